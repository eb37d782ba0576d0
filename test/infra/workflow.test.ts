import aslValidator from 'asl-validator';
import { ERROR, STATE } from '../../lambdas/contracts';
import { TRANSIENT_ERRORS } from '../../lib/workflow/tasks';
import { dev } from '../support/stages';
import {
  type AslState,
  synthesizedDefinition,
  type SynthesizedDefinition,
} from '../../local/stack/synthesized-definition';
import { logicalIdOf, synthStage } from './synth';

// The ASL exactly as synthesized (DefinitionString resolved), read once for the whole file.
const { stack, json } = synthStage('dev');
const synthesized: SynthesizedDefinition = synthesizedDefinition(json);
const { definition } = synthesized;
const state = (name: string): AslState => {
  const s = definition.States[name];
  if (!s) throw new Error(`no state ${name}`);
  return s;
};
const confirmPage = state(STATE.ConfirmPage);
const itemProcessor = confirmPage.ItemProcessor as {
  ProcessorConfig: Record<string, string>;
  StartAt: string;
  States: Record<string, AslState>;
};
const arnOfFunction = (fn: keyof typeof stack.functions) =>
  `arn:aws:lambda:us-east-1:000000000000:function:${logicalIdOf(stack.functions[fn])}`;

describe('the synthesized definition', () => {
  it('passes asl-validator', () => {
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('has exactly the states of the contract, starting at StartRun', () => {
    expect(definition.StartAt).toBe(STATE.StartRun);
    const { ConfirmBatch, ...topLevel } = STATE;
    expect(Object.keys(definition.States).sort()).toEqual(Object.values(topLevel).sort());
    expect(Object.keys(itemProcessor.States)).toEqual([ConfirmBatch]);
    expect(definition.TimeoutSeconds).toBe(dev.executionTimeoutMinutes * 60);
  });

  it('maps every Lambda ARN it names to the function and its handler entry', () => {
    const taskArns = [...Object.values(definition.States), ...Object.values(itemProcessor.States)]
      .map((s) => (s.Parameters as { FunctionName?: string } | undefined)?.FunctionName)
      .filter((arn): arn is string => arn !== undefined);
    expect(new Set(taskArns).size).toBe(4);
    for (const arn of taskArns) {
      expect(synthesized.functionsByArn[arn]).toEqual(
        expect.objectContaining({
          entry: expect.stringMatching(/^lambdas\/handlers\/[a-z-]+\.ts$/),
        }),
      );
    }
    expect(synthesized.functionsByArn[arnOfFunction('confirmBatch')]).toMatchObject({
      logicalId: logicalIdOf(stack.functions.confirmBatch),
      entry: 'lambdas/handlers/confirm-batch.ts',
      handlerExport: 'handler',
    });
    // release-lock is not in the ASL (the release rule invokes it) but the local runtime needs it too.
    expect(synthesized.functionsByArn[arnOfFunction('releaseLock')]?.entry).toBe(
      'lambdas/handlers/release-lock.ts',
    );
    expect(synthesized.stateMachineArn).toBe(
      'arn:aws:states:us-east-1:000000000000:stateMachine:txconfirm-dev',
    );
  });
});

describe('StartRun and RunSkipped?', () => {
  it('StartRun passes the execution context and becomes the whole state; it has no Catch', () => {
    expect(state(STATE.StartRun)).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: arnOfFunction('startRun'),
        Payload: {
          'input.$': '$$.Execution.Input',
          'executionArn.$': '$$.Execution.Id',
          'executionName.$': '$$.Execution.Name',
          'startTime.$': '$$.Execution.StartTime',
        },
      },
      OutputPath: '$.Payload',
      Next: STATE.RunSkipped,
    });
    expect(state(STATE.StartRun).Catch).toBeUndefined();
  });

  it('a SKIPPED run succeeds as Skipped, anything else goes on to FetchPage', () => {
    expect(state(STATE.RunSkipped)).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.status', StringEquals: 'SKIPPED', Next: STATE.Skipped }],
      Default: STATE.FetchPage,
    });
    expect(state(STATE.Skipped).Type).toBe('Succeed');
  });
});

describe('FetchPage and NextStep?', () => {
  it('FetchPage gets the whole state and its result becomes the state', () => {
    expect(state(STATE.FetchPage)).toMatchObject({
      Parameters: { FunctionName: arnOfFunction('fetchPage'), 'Payload.$': '$' },
      OutputPath: '$.Payload',
      Next: STATE.NextStep,
    });
  });

  it('routes CONFIRM / CONTINUE / FINISH / UNAVAILABLE', () => {
    expect(state(STATE.NextStep).Choices).toEqual([
      { Variable: '$.next', StringEquals: 'CONFIRM', Next: STATE.ConfirmPage },
      { Variable: '$.next', StringEquals: 'CONTINUE', Next: STATE.ContinueAsNew },
      { Variable: '$.next', StringEquals: 'FINISH', Next: STATE.FinishRun },
      { Variable: '$.next', StringEquals: 'UNAVAILABLE', Next: STATE.RecordProviderUnavailable },
    ]);
  });
});

describe('ConfirmPage (Distributed Map)', () => {
  it("reads the page ids from the page's S3 manifest, batches them with the run context, bounded and tolerant as configured, then loops to FetchPage", () => {
    expect(confirmPage.ItemsPath).toBeUndefined();
    expect(confirmPage.ItemReader).toEqual({
      Resource: expect.stringMatching(/:states:::s3:getObject$/),
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { Bucket: expect.any(String), 'Key.$': '$.page.manifest.key' },
    });
    expect(confirmPage).toMatchObject({
      Type: 'Map',
      ItemBatcher: {
        MaxItemsPerBatch: dev.batchSize,
        BatchInput: { 'runId.$': '$.run.runId', 'dryRun.$': '$.run.dryRun' },
      },
      MaxConcurrency: dev.maxConcurrency,
      ToleratedFailurePercentage: dev.toleratedFailurePercentage,
      ResultPath: '$.pageResults',
      Next: STATE.FetchPage,
    });
    expect(itemProcessor.ProcessorConfig).toEqual({
      Mode: 'DISTRIBUTED',
      ExecutionType: 'EXPRESS',
    });
  });

  it('ConfirmBatch invokes confirm-batch with the batch, within a task timeout', () => {
    expect(itemProcessor.States[STATE.ConfirmBatch]).toMatchObject({
      Type: 'Task',
      Parameters: { FunctionName: arnOfFunction('confirmBatch'), 'Payload.$': '$' },
      OutputPath: '$.Payload',
      TimeoutSeconds: dev.confirmBatchTimeoutSeconds + 5,
      End: true,
    });
  });

  it('ConfirmBatch retries transient faults only, with capped backoff and full jitter', () => {
    const retry = itemProcessor.States[STATE.ConfirmBatch].Retry as Record<string, unknown>[];
    expect(retry).toEqual([
      {
        ErrorEquals: [
          'SystemicFault',
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
          'Lambda.ClientExecutionTimeoutException',
          'States.Timeout',
          'Lambda.Unknown',
          'Sandbox.Timedout',
        ],
        IntervalSeconds: dev.confirmBatchRetry.intervalSeconds,
        MaxAttempts: dev.confirmBatchRetry.maxAttempts,
        BackoffRate: dev.confirmBatchRetry.backoffRate,
        MaxDelaySeconds: dev.confirmBatchRetry.maxDelaySeconds,
        JitterStrategy: 'FULL',
      },
    ]);
  });
});

describe('retries', () => {
  const allStates = [...Object.entries(definition.States), ...Object.entries(itemProcessor.States)];

  it('no state retries States.ALL or the errors that must fail at once', () => {
    const neverRetried = [
      'States.ALL',
      ERROR.InvalidExecutionInput,
      ERROR.LockLost,
      ERROR.InvalidConfiguration,
    ];
    const retried = allStates.flatMap(([, s]) =>
      ((s.Retry ?? []) as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals),
    );
    expect(retried.length).toBeGreaterThan(0);
    for (const error of neverRetried) expect(retried).not.toContain(error);
  });

  it('every Lambda task retries the transient faults with full jitter', () => {
    const lambdaTasks = allStates.filter(
      ([, s]) => s.Resource === 'arn:aws:states:::lambda:invoke',
    );
    expect(lambdaTasks.map(([name]) => name).sort()).toEqual(
      [
        STATE.StartRun,
        STATE.FetchPage,
        STATE.ConfirmBatch,
        STATE.FinishRun,
        STATE.ReleaseLockAfterFailure,
        STATE.RecordProviderUnavailable,
      ].sort(),
    );
    for (const [, s] of lambdaTasks) {
      expect(s.Retry).toEqual([
        expect.objectContaining({ ErrorEquals: [...TRANSIENT_ERRORS], JitterStrategy: 'FULL' }),
      ]);
      expect(s.TimeoutSeconds).toEqual(expect.any(Number));
    }
  });
});

describe('ContinueAsNew', () => {
  it('starts this very state machine with the resume token and hands over', () => {
    expect(state(STATE.ContinueAsNew)).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: {
        'StateMachineArn.$': '$$.StateMachine.Id',
        Input: {
          'resume.$': '$.resume',
          'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
        },
      },
      Next: STATE.HandedOver,
    });
    expect(state(STATE.HandedOver).Type).toBe('Succeed');
  });

  it('retries only an error that proves no execution was started', () => {
    expect(
      (state(STATE.ContinueAsNew).Retry as { ErrorEquals: string[] }[]).map((r) => r.ErrorEquals),
    ).toEqual([['StepFunctions.ExecutionLimitExceededException']]);
  });
});

describe('finishing', () => {
  it('FinishRun reports SUCCEEDED with the run and totals, then RunSucceeded', () => {
    expect(state(STATE.FinishRun)).toMatchObject({
      Parameters: {
        FunctionName: arnOfFunction('finishRun'),
        Payload: {
          'run.$': '$.run',
          'totals.$': '$.totals',
          'executionArn.$': '$$.Execution.Id',
          outcome: 'SUCCEEDED',
        },
      },
      OutputPath: '$.Payload',
      Next: STATE.Succeeded,
    });
    expect(state(STATE.Succeeded).Type).toBe('Succeed');
  });

  it.each([
    STATE.FetchPage,
    STATE.ConfirmPage,
    STATE.ContinueAsNew,
    STATE.FinishRun,
    STATE.RecordProviderUnavailable,
  ])('%s catches everything into $.failure and goes to ReleaseLockAfterFailure', (name) => {
    expect(state(name).Catch).toEqual([
      {
        ErrorEquals: ['States.ALL'],
        ResultPath: '$.failure',
        Next: STATE.ReleaseLockAfterFailure,
      },
    ]);
  });

  it('ReleaseLockAfterFailure reports FAILED with the error, keeps the state, then RunFailed', () => {
    expect(state(STATE.ReleaseLockAfterFailure)).toMatchObject({
      Parameters: {
        FunctionName: arnOfFunction('finishRun'),
        Payload: {
          'run.$': '$.run',
          'totals.$': '$.totals',
          'executionArn.$': '$$.Execution.Id',
          outcome: 'FAILED',
          'error.$': '$.failure',
        },
      },
      ResultPath: null,
      Next: STATE.Failed,
    });
    // Even if the release itself fails, the execution fails with the original error.
    expect(state(STATE.ReleaseLockAfterFailure).Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.releaseFailure', Next: STATE.Failed },
    ]);
  });

  it('RunFailed fails with the caught error name and cause', () => {
    expect(state(STATE.Failed)).toEqual({
      Type: 'Fail',
      ErrorPath: '$.failure.Error',
      CausePath: '$.failure.Cause',
    });
  });

  it('RecordProviderUnavailable reports PROVIDER_UNAVAILABLE with the outage, keeps the state, then ProviderUnavailable', () => {
    expect(state(STATE.RecordProviderUnavailable)).toMatchObject({
      Parameters: {
        FunctionName: arnOfFunction('finishRun'),
        Payload: {
          'run.$': '$.run',
          'totals.$': '$.totals',
          'executionArn.$': '$$.Execution.Id',
          outcome: 'PROVIDER_UNAVAILABLE',
          'providerUnavailable.$': '$.providerUnavailable',
        },
      },
      ResultPath: null,
      Next: STATE.ProviderUnavailable,
    });
  });

  it('ProviderUnavailable fails the execution with that error and the outage as its cause', () => {
    expect(state(STATE.ProviderUnavailable)).toMatchObject({
      Type: 'Fail',
      Error: ERROR.ProviderUnavailable,
      CausePath: '$.providerUnavailable.cause',
    });
  });
});
