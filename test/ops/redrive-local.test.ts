// `txc redrive` against `txc local serve` (child processes), driven as docs/runbook.md
// "redrive-or-a-new-run" says: the local endpoint's RedriveExecution through the real SDK, and
// the workflow's own answer to "redrive or a new run".
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ERROR, STATE } from '../../lambdas/contracts';
import type { RedriveReport } from '../../ops/commands/redrive';
import { type Result, serve, type Served, txc } from './local-serve';
import { until } from '../support/poll';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const json = <T>(r: Result): T => JSON.parse(r.stdout) as T;

describe('txc redrive on the local runtime', () => {
  let served: Served;
  let sfn: SFNClient;
  let endpoint: string;
  beforeAll(async () => {
    served = await serve(['--no-schedule', '--transactions', '200', '--provider-latency-ms', '0']);
    endpoint = served.info.stepFunctionsEndpoint;
    sfn = new SFNClient({ endpoint, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    sfn?.destroy();
    await served?.stop();
  });

  const finished = (executionArn: string) =>
    until(
      () => sfn.send(new DescribeExecutionCommand({ executionArn })),
      (d) => d.status !== 'RUNNING',
    );

  it('stopped in StartRun (before the lock): redriven, the same input again, redriveCount 1', async () => {
    const { stateMachineArn } = served.info;
    // An input StartRun refuses: the execution fails in StartRun, outside any Catch.
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'fails-in-start-run',
        input: '{"maxItems":0}',
      }),
    );
    const failed = await finished(executionArn!);
    expect(failed).toMatchObject({
      status: 'FAILED',
      error: ERROR.InvalidExecutionInput,
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
    });

    const result = await txc(endpoint, ['redrive', 'fails-in-start-run', '--wait', '--json']);
    const report = json<RedriveReport>(result);
    expect(report).toMatchObject({
      executionArn,
      status: 'FAILED',
      stoppedIn: STATE.StartRun,
      advice: 'redrive',
      redriven: true,
      final: { status: 'FAILED', error: ERROR.InvalidExecutionInput },
    });
    expect(result.code).toBe(1);

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', redriveCount: 1 });
    expect(described.redriveDate).toBeInstanceOf(Date);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = (history.events ?? []).map((e) => e.type);
    expect(types.filter((t) => t === 'ExecutionRedriven')).toHaveLength(1);
    expect(types.filter((t) => t === 'ExecutionFailed')).toHaveLength(2);
    const redriven = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, redriveFilter: 'REDRIVEN' }),
    );
    expect(redriven.executions?.map((e) => e.name)).toEqual(['fails-in-start-run']);
  });

  it('stopped after StartRun: refused with the reason, then --force shows why (LockLost); a new run finishes the backlog', async () => {
    const { stateMachineArn } = served.info;
    expect((await txc(endpoint, ['local', 'provider', 'slow', '1s'])).code).toBe(0);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'stopped-mid-page', input: '{}' }),
    );
    // Stop it while its first page is being confirmed.
    await until(
      () => sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 })),
      (h) => (h.events ?? []).some((e) => e.type === 'MapRunStarted'),
    );
    await sfn.send(new StopExecutionCommand({ executionArn }));
    expect((await finished(executionArn!)).status).toBe('ABORTED');
    expect((await txc(endpoint, ['local', 'provider', 'recover'])).code).toBe(0);

    const refused = await txc(endpoint, ['redrive', 'stopped-mid-page', '--json']);
    expect(refused.code).toBe(1);
    expect(json<RedriveReport>(refused)).toMatchObject({
      status: 'ABORTED',
      stoppedIn: STATE.ConfirmPage,
      advice: 'new-run',
      reason: expect.stringContaining('LockLost'),
      redriven: false,
    });
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).redriveCount).toBe(0);
    const human = await txc(endpoint, ['redrive', 'stopped-mid-page']);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`stopped in ${STATE.ConfirmPage}`);
    expect(human.stdout).toContain('Nothing was redriven');
    expect(human.stdout).toContain('start --wait');

    const forced = await txc(endpoint, [
      'redrive',
      'stopped-mid-page',
      '--force',
      '--wait',
      '--json',
    ]);
    expect(forced.code).toBe(1);
    expect(json<RedriveReport>(forced)).toMatchObject({
      redriven: true,
      final: { status: 'FAILED', error: ERROR.LockLost },
    });
    // The redrive ran the page's unsuccessful batches again in the same Map Run.
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    expect((history.events ?? []).some((e) => e.type === 'MapRunRedriven')).toBe(true);

    const fresh = await txc(endpoint, ['start', '--wait', '--json']);
    expect(fresh.code).toBe(0);
    const pending = await txc(endpoint, ['pending', '--json']);
    expect(json<{ total: number }>(pending).total).toBe(0);
  });
});
