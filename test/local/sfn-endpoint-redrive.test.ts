// RedriveExecution on the local Step Functions endpoint, driven by the real SFNClient over the
// project's own state machine; each test is named after the API reference statement it checks.
// How a redrive runs (what is run again) is test/local/engine-redrive.test.ts.
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { LocalRuntime } from '../../local/runtime/local-runtime';
import type { SfnEndpoint } from '../../local/aws/sfn-endpoint';
import { startSfnFixture, stopSfnFixture } from './sfn-endpoint-support';
import { rejection } from '../support/rejection';

let runtime: LocalRuntime;
let endpoint: SfnEndpoint;
let sfn: SFNClient;
let stateMachineArn: string;

beforeAll(async () => {
  ({ runtime, endpoint, sfn, stateMachineArn } = await startSfnFixture());
});

afterAll(() => stopSfnFixture({ runtime, endpoint, sfn }));

/** An execution that fails in StartRun (an input it refuses), finished. */
async function failedExecution(name: string): Promise<string> {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name, input: '{"maxItems":0}' }),
  );
  await runtime.engine.waitForExecution(executionArn as string);
  return executionArn as string;
}

describe('RedriveExecution', () => {
  it('"redriveDate: The date the execution was last redriven."; DescribeExecution: redriveCount, redriveDate, redriveStatus', async () => {
    const executionArn = await failedExecution('redrive-me');
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: 'FAILED',
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
    });

    const { redriveDate } = await sfn.send(new RedriveExecutionCommand({ executionArn }));
    expect(redriveDate).toBeInstanceOf(Date);
    await runtime.engine.waitForExecution(executionArn);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', redriveCount: 1, redriveDate });
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    expect(listed.executions?.find((e) => e.executionArn === executionArn)).toMatchObject({
      redriveCount: 1,
      redriveDate,
    });
  });

  it('"clientToken … The API will return idempotent responses for the last 10 client tokens"', async () => {
    const executionArn = await failedExecution('redrive-with-token');
    const first = await sfn.send(
      new RedriveExecutionCommand({ executionArn, clientToken: 'operator-1' }),
    );
    await runtime.engine.waitForExecution(executionArn);
    const again = await sfn.send(
      new RedriveExecutionCommand({ executionArn, clientToken: 'operator-1' }),
    );
    expect(again.redriveDate).toEqual(first.redriveDate);
    expect(runtime.engine.describeExecution(executionArn).redriveCount).toBe(1);
  });

  it('"ExecutionNotRedrivable: The execution Amazon Resource Name (ARN) that you specified for executionArn cannot be redriven."', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'redrive-succeeded', input: '{}' }),
    );
    await runtime.engine.waitForExecution(executionArn as string);
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: 'SUCCEEDED',
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven.',
    });
    const error = await rejection(sfn.send(new RedriveExecutionCommand({ executionArn })));
    expect(error).toMatchObject({
      name: 'ExecutionNotRedrivable',
      message: 'Execution is SUCCEEDED and cannot be redriven.',
    });
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('"ExecutionDoesNotExist"; "InvalidArn"; clientToken "Length Constraints: Minimum length of 1. Maximum length of 64. Pattern: [!-~]+"', async () => {
    const unknown = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:no-such`;
    expect(
      await rejection(sfn.send(new RedriveExecutionCommand({ executionArn: unknown }))),
    ).toMatchObject({ name: 'ExecutionDoesNotExist' });
    expect(
      await rejection(sfn.send(new RedriveExecutionCommand({ executionArn: stateMachineArn }))),
    ).toMatchObject({ name: 'InvalidArn' });
    const executionArn = await failedExecution('redrive-bad-token');
    for (const clientToken of ['has space', 'x'.repeat(65), 'é']) {
      expect(
        await rejection(sfn.send(new RedriveExecutionCommand({ executionArn, clientToken }))),
      ).toMatchObject({ name: 'ValidationException' });
    }
    expect(runtime.engine.describeExecution(executionArn).redriveCount).toBeUndefined();
  });

  it('ListExecutions "redriveFilter: Sets a filter to list executions based on whether or not they have been redriven."', async () => {
    await failedExecution('never-redriven');
    const redriven = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, redriveFilter: 'REDRIVEN' }),
    );
    const others = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, redriveFilter: 'NOT_REDRIVEN' }),
    );
    const names = (list: typeof redriven) => (list.executions ?? []).map((e) => e.name);
    expect(names(redriven)).toEqual(expect.arrayContaining(['redrive-me', 'redrive-with-token']));
    expect(names(redriven)).not.toContain('never-redriven');
    expect(names(others)).toContain('never-redriven');
    expect(names(others)).not.toContain('redrive-me');
  });
});
