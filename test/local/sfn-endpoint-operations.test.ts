// DescribeStateMachineForExecution and ValidateStateMachineDefinition on the local Step Functions
// endpoint, driven by the real SFNClient: each test is named after the API reference statement it
// checks.
import {
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  ValidateStateMachineDefinitionCommand,
} from '@aws-sdk/client-sfn';
import type { LocalRuntime } from '../../local/runtime/local-runtime';
import type { SfnEndpoint } from '../../local/aws/sfn-endpoint';
import { startSfnFixture, stopSfnFixture } from './sfn-endpoint-support';
import { UNSUPPORTED_BY_LOCAL_RUNTIME } from '../../local/engine/validate-definition';
import { rejection } from '../support/rejection';

let runtime: LocalRuntime;
let endpoint: SfnEndpoint;
let sfn: SFNClient;
let stateMachineArn: string;

beforeAll(async () => {
  ({ runtime, endpoint, sfn, stateMachineArn } = await startSfnFixture());
});

afterAll(() => stopSfnFixture({ runtime, endpoint, sfn }));

describe('DescribeStateMachineForExecution', () => {
  let executionArn: string;

  beforeAll(async () => {
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'for-sm' }));
    executionArn = started.executionArn as string;
    await runtime.engine.waitForExecution(executionArn);
  });

  it('"Provides information about a state machine\'s definition, its execution role ARN, and configuration.": the machine DescribeStateMachine describes', async () => {
    const described = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(described).toMatchObject({
      stateMachineArn,
      name: runtime.stack.definition.stateMachineName,
      definition: machine.definition,
      roleArn: machine.roleArn,
      tracingConfiguration: machine.tracingConfiguration,
    });
    expect(JSON.parse(described.definition as string)).toEqual(runtime.stack.definition.definition);
    expect(described.roleArn).toMatch(/^arn:aws:iam::\d{12}:role\//);
    expect(described.loggingConfiguration).toEqual(machine.loggingConfiguration);
    // A Map Run's child only: every local execution is a top-level one.
    expect(described.mapRunArn).toBeUndefined();
  });

  it('updateDate: "For a newly created state machine, this is the creation date."', async () => {
    const described = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(described.updateDate).toBeInstanceOf(Date);
    expect(described.updateDate?.getTime()).toBe(machine.creationDate?.getTime());
  });

  it('"ExecutionDoesNotExist: The specified execution does not exist."', async () => {
    const error = await rejection(
      sfn.send(
        new DescribeStateMachineForExecutionCommand({ executionArn: `${executionArn}-never` }),
      ),
    );
    expect(error.name).toBe('ExecutionDoesNotExist');
    expect(error.message).toContain(`${executionArn}-never`);
  });

  it('"InvalidArn: The provided Amazon Resource Name (ARN) is not valid.": malformed, or a state machine\'s', async () => {
    for (const arn of ['nope', stateMachineArn]) {
      const error = await rejection(
        sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: arn })),
      );
      expect(error.name).toBe('InvalidArn');
    }
  });

  it('executionArn "Length Constraints: Minimum length of 1. Maximum length of 256." and includedData "Valid Values: ALL_DATA | METADATA_ONLY"', async () => {
    const long = `${executionArn}${'x'.repeat(257 - executionArn.length)}`;
    expect(
      (
        await rejection(
          sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: long })),
        )
      ).name,
    ).toBe('ValidationException');
    const metadataOnly = await sfn.send(
      new DescribeStateMachineForExecutionCommand({ executionArn, includedData: 'METADATA_ONLY' }),
    );
    expect(metadataOnly.stateMachineArn).toBe(stateMachineArn);
    expect(
      (
        await rejection(
          sfn.send(
            new DescribeStateMachineForExecutionCommand({
              executionArn,
              includedData: 'EVERYTHING' as never,
            }),
          ),
        )
      ).name,
    ).toBe('ValidationException');
  });

  it('the engine answers it too (LocalStepFunctions.describeStateMachineForExecution)', () => {
    const machine = runtime.engine.describeStateMachineForExecution(executionArn);
    expect(machine).toMatchObject({ stateMachineArn, updateDate: runtime.engine.creationDate });
    expect(machine.definition).toEqual(runtime.stack.definition.definition);
    expect(() => runtime.engine.describeStateMachineForExecution(`${executionArn}-never`)).toThrow(
      expect.objectContaining({ name: 'ExecutionDoesNotExist' }) as Error,
    );
  });
});

describe('ValidateStateMachineDefinition', () => {
  async function validate(
    definition: string,
    extra: { severity?: 'ERROR' | 'WARNING'; maxResults?: number } = {},
  ) {
    return sfn.send(new ValidateStateMachineDefinitionCommand({ definition, ...extra }));
  }

  it('"The result value will be OK when no syntax errors are found": the project\'s synthesized definition', async () => {
    const validated = await validate(JSON.stringify(runtime.stack.definition.definition));
    expect(validated).toMatchObject({ result: 'OK', diagnostics: [], truncated: false });
  });

  it('"INVALID_JSON_DESCRIPTION: JSON syntax problem found." → FAIL', async () => {
    const validated = await validate('{"StartAt": "A", "States": {');
    expect(validated.result).toBe('FAIL');
    expect(validated.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'ERROR',
        code: 'INVALID_JSON_DESCRIPTION',
        message: expect.stringContaining('not valid JSON') as unknown,
      }),
    ]);
  });

  it('"MISSING_DESCRIPTION: Received a null or empty workflow input." → FAIL', async () => {
    for (const definition of ['   ', 'null']) {
      const validated = await validate(definition);
      expect(validated.result).toBe('FAIL');
      expect(validated.diagnostics?.map((d) => d.code)).toEqual(['MISSING_DESCRIPTION']);
    }
  });

  it('"SCHEMA_VALIDATION_FAILED: Schema validation reported errors.": a definition missing StartAt → FAIL', async () => {
    const validated = await validate(JSON.stringify({ States: { Done: { Type: 'Succeed' } } }));
    expect(validated.result).toBe('FAIL');
    expect(validated.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'ERROR',
        code: 'SCHEMA_VALIDATION_FAILED',
        message: expect.stringContaining('StartAt') as unknown,
      }),
    ]);
  });

  it('"The result value will be FAIL when the workflow definition contains errors that would prevent you from creating or updating your state machine": a feature the local runtime cannot run, located "/States/<StateName>/<FieldName>"', async () => {
    const definition = {
      StartAt: 'Outer',
      States: {
        Outer: {
          Type: 'Parallel',
          End: true,
          Branches: [
            {
              StartAt: 'WaitForApproval',
              States: {
                WaitForApproval: {
                  Type: 'Task',
                  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
                  Parameters: { FunctionName: 'approve', 'Payload.$': '$' },
                  End: true,
                },
              },
            },
          ],
        },
      },
    };
    const validated = await validate(JSON.stringify(definition));
    expect(validated.result).toBe('FAIL');
    expect(validated.diagnostics).toEqual([
      {
        severity: 'ERROR',
        code: UNSUPPORTED_BY_LOCAL_RUNTIME,
        message: expect.stringContaining('WaitForApproval') as unknown,
        location: '/States/Outer/Branches/0/States/WaitForApproval/Resource',
      },
    ]);
    expect(validated.truncated).toBe(false);
  });

  it('"SCHEMA_VALIDATION_FAILED" for what the Distributed Map checks (a MaxConcurrency and its Path together), located at the field', async () => {
    const definition = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          MaxConcurrency: 2,
          MaxConcurrencyPath: '$.limit',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
            StartAt: 'Inner',
            States: { Inner: { Type: 'Pass', End: true } },
          },
          End: true,
        },
      },
    };
    const validated = await validate(JSON.stringify(definition));
    expect(validated.result).toBe('FAIL');
    expect(validated.diagnostics).toEqual([
      {
        severity: 'ERROR',
        code: 'SCHEMA_VALIDATION_FAILED',
        message: expect.stringContaining('MaxConcurrencyPath') as unknown,
        location: '/States/Fan/MaxConcurrency',
      },
    ]);
  });

  it('severity: "WARNING returns both WARNING and ERROR diagnostics"; maxResults "Setting the value to 0 will also use the default of 100."', async () => {
    for (const extra of [{ severity: 'WARNING' as const }, { maxResults: 0 }, { maxResults: 1 }]) {
      const validated = await validate('{', extra);
      expect(validated.result).toBe('FAIL');
      expect(validated.diagnostics?.map((d) => d.code)).toEqual(['INVALID_JSON_DESCRIPTION']);
      expect(validated.truncated).toBe(false);
    }
  });

  it('request limits: maxResults "Maximum value of 100.", type "Valid Values: STANDARD | EXPRESS", definition "Minimum length of 1." → ValidationException', async () => {
    const calls = [
      validate('{}', { maxResults: 101 }),
      validate('{}', { severity: 'INFO' as never }),
      sfn.send(
        new ValidateStateMachineDefinitionCommand({ definition: '{}', type: 'BATCH' as never }),
      ),
      validate(''),
    ];
    for (const call of calls) {
      expect((await rejection(call)).name).toBe('ValidationException');
    }
    const express = await sfn.send(
      new ValidateStateMachineDefinitionCommand({
        definition: JSON.stringify(runtime.stack.definition.definition),
        type: 'EXPRESS',
      }),
    );
    expect(express.result).toBe('OK');
  });

  it('the engine answers it too (LocalStepFunctions.validateStateMachineDefinition)', () => {
    expect(runtime.engine.validateStateMachineDefinition({ definition: '[' })).toMatchObject({
      result: 'FAIL',
      diagnostics: [{ code: 'INVALID_JSON_DESCRIPTION' }],
    });
  });
});
