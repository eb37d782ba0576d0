// Engine conformance: load-time checks (every unsupported feature names its state), the
// mechanical transform of the definition and the real synthesized txconfirm definition.
import { STATE } from '../../lambdas/contracts';
import {
  DISTRIBUTED_MAP_RESOURCE,
  InvalidAslDefinition,
  LocalStepFunctions,
  UnsupportedAslFeature,
} from '../../local/engine';
import { testStack } from '../support/template';
import {
  closeAll,
  engineFor,
  functionArn,
  invokeTask,
  lambda,
  machine,
  namedError,
  run,
  type States,
} from './engine-support';

afterEach(closeAll);

/** A lambda:invoke Task; End unless `extra` has a Next. */
const task = (extra: Record<string, unknown> = {}) => ({
  ...invokeTask('work'),
  ...('Next' in extra ? {} : { End: true }),
  ...extra,
});
const distributedProcessor = {
  ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
  StartAt: 'Inner',
  States: { Inner: { ...invokeTask('work'), End: true } },
};
const distributed = (extra: Record<string, unknown> = {}) => ({
  Type: 'Map',
  ItemsPath: '$.items',
  ItemProcessor: distributedProcessor,
  End: true,
  ...extra,
});

/** [feature, definition, state named in the error, field named in the error] */
const unsupported: [string, Record<string, unknown>, string | undefined, string][] = [
  [
    'ItemReader of CSV',
    machine({
      ConfirmPage: {
        ...distributed({
          ItemReader: {
            Resource: 'arn:aws:states:::s3:getObject',
            ReaderConfig: { InputType: 'CSV' },
            Parameters: { Bucket: 'b', Key: 'k.csv' },
          },
        }),
        ItemsPath: undefined,
      },
    }),
    'ConfirmPage',
    'ItemReader.ReaderConfig.InputType',
  ],
  [
    'ResultWriter',
    machine({ M: distributed({ ResultWriter: { Resource: 'arn:aws:states:::s3:putObject' } }) }),
    'M',
    'ResultWriter',
  ],
  [
    'ItemBatcher on an inline Map',
    machine({
      M: {
        ...distributed({ ItemBatcher: { MaxItemsPerBatch: 2 } }),
        ItemProcessor: { ...distributedProcessor, ProcessorConfig: { Mode: 'INLINE' } },
      },
    }),
    'M',
    'ItemBatcher',
  ],
  [
    'a .waitForTaskToken resource',
    machine({ A: task({ Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken' }) }),
    'A',
    'Resource',
  ],
  [
    'a .sync resource',
    machine({ A: task({ Resource: 'arn:aws:states:::states:startExecution.sync:2' }) }),
    'A',
    'Resource',
  ],
  [
    'Credentials',
    machine({ A: task({ Credentials: { RoleArn: 'arn:aws:iam::000000000000:role/x' } }) }),
    'A',
    'Credentials',
  ],
  ['HeartbeatSeconds', machine({ A: task({ HeartbeatSeconds: 10 }) }), 'A', 'HeartbeatSeconds'],
  [
    'a resource no adapter serves',
    machine({ A: task({ Resource: 'arn:aws:states:::sns:publish' }) }),
    'A',
    'Resource',
  ],
  [
    'an asynchronous lambda:invoke',
    machine({ A: task({ Parameters: { FunctionName: 'work', InvocationType: 'Event' } }) }),
    'A',
    'Parameters.InvocationType',
  ],
  [
    'an unsupported field inside a Parallel branch',
    machine({
      P: {
        Type: 'Parallel',
        Branches: [machine({ Deep: task({ HeartbeatSeconds: 5 }) })],
        End: true,
      },
    }),
    'Deep',
    'HeartbeatSeconds',
  ],
  [
    'an unsupported field inside a Distributed Map processor',
    machine({
      M: distributed({
        ItemProcessor: {
          ...distributedProcessor,
          States: { Inner: task({ Resource: 'arn:aws:states:::sqs:sendMessage' }) },
        },
      }),
    }),
    'Inner',
    'Resource',
  ],
];

describe('load-time checks', () => {
  it.each(unsupported)(
    'refuses %s, naming the state and the field',
    (_feature, definition, stateName, field) => {
      let error: unknown;
      try {
        engineFor(definition, { lambdas: [lambda('work', async () => null)] });
      } catch (caught) {
        error = caught;
      }

      expect(error).toBeInstanceOf(UnsupportedAslFeature);
      const feature = error as UnsupportedAslFeature;
      expect(feature.stateName).toBe(stateName);
      expect(feature.field).toBe(field);
      expect(
        feature.message.startsWith(stateName ? `State "${stateName}": ` : 'State machine: '),
      ).toBe(true);
    },
  );

  it('refuses a definition that is not valid ASL with the validator findings', () => {
    expect(() => engineFor(machine({ A: { Type: 'Pass', Next: 'Nowhere' } }))).toThrow(
      InvalidAslDefinition,
    );
  });
});

describe('transform', () => {
  it('replaces a DISTRIBUTED Map by a Task of the same name, I/O, Retry, Catch and transitions, without Parameters', () => {
    const map = distributed({
      InputPath: '$.page',
      Parameters: { 'id.$': '$$.Map.Item.Value' },
      ResultSelector: { 'results.$': '$' },
      ResultPath: '$.pageResults',
      OutputPath: '$.out',
      Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 1 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'After' }],
      ItemBatcher: { MaxItemsPerBatch: 5 },
      ToleratedFailurePercentage: 10,
      Next: 'After',
    });
    delete (map as Record<string, unknown>).End;
    const engine = engineFor(
      machine({ Fan: map, After: { Type: 'Pass', End: true } }, { TimeoutSeconds: 600 }),
    );

    const transformed = engine.transformedDefinition;
    expect(transformed.States.Fan).toEqual({
      Type: 'Task',
      Resource: DISTRIBUTED_MAP_RESOURCE,
      InputPath: '$.page',
      ResultSelector: { 'results.$': '$' },
      ResultPath: '$.pageResults',
      OutputPath: '$.out',
      Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 1 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'After' }],
      Next: 'After',
    });
    expect(transformed.TimeoutSeconds).toBeUndefined(); // enforced by the engine itself
  });

  // Guide, "Transforming data with JSONata": a JSONata state has "Arguments and Output" instead of
  // the five JSONPath fields; "Passing data between states with variables": a Map supports Assign.
  // A DISTRIBUTED Map in a JSONata machine (it was refused at load before) becomes a Task that keeps
  // Output, Assign, Retry, Catch and the transition; its Map fields stay with the runner.
  it('replaces a DISTRIBUTED Map of a JSONata machine by a Task with its Output, Assign, Retry, Catch and transitions', () => {
    const map = {
      Type: 'Map',
      Items: '{% $states.input.items %}',
      ItemSelector: { id: '{% $states.context.Map.Item.Value %}' },
      ItemProcessor: {
        ...distributedProcessor,
        States: { Inner: { Type: 'Pass', Output: '{% $states.input %}', End: true } },
      },
      MaxConcurrency: '{% $states.input.limit %}',
      Output: '{% $states.result %}',
      Assign: { count: '{% $count($states.result) %}' },
      Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 1 }],
      Catch: [{ ErrorEquals: ['States.ALL'], Output: '{% $states.errorOutput %}', Next: 'After' }],
      Next: 'After',
    };
    const engine = engineFor(
      machine({ Fan: map, After: { Type: 'Pass', End: true } }, { QueryLanguage: 'JSONata' }),
    );

    expect(engine.transformedDefinition.States.Fan).toEqual({
      Type: 'Task',
      Resource: DISTRIBUTED_MAP_RESOURCE,
      Output: '{% $states.result %}',
      Assign: { count: '{% $count($states.result) %}' },
      Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 1 }],
      Catch: [{ ErrorEquals: ['States.ALL'], Output: '{% $states.errorOutput %}', Next: 'After' }],
      Next: 'After',
    });
  });

  it('treats ResultPath "$" as the default: the result replaces the input ("Use ResultPath to replace input with the task result")', async () => {
    const engine = engineFor(
      machine({
        A: task({ ResultPath: '$', Next: 'B' }),
        B: task({
          ResultPath: '$',
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$', Next: 'C' }],
          Next: 'C',
        }),
        C: { Type: 'Pass', End: true },
      }),
      {
        lambdas: [
          lambda('work', async (event) => {
            if ((event as { replaced?: boolean }).replaced)
              throw namedError('Second', 'second call');
            return { replaced: true };
          }),
        ],
      },
    );

    const record = await run(engine, { original: true });

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toMatchObject({ Error: 'Second' }); // the Catch output replaced the input
    expect(record.output).not.toHaveProperty('$');
  });

  it('leaves Retry as written: the interval scale of fast tests is applied when retrying', () => {
    const retry = [{ ErrorEquals: ['X'], IntervalSeconds: 4, MaxDelaySeconds: 30, BackoffRate: 2 }];
    const fast = engineFor(machine({ A: task({ Retry: retry }) }), { retryIntervalScale: 0.5 });

    expect((fast.transformedDefinition.States as States).A.Retry).toEqual(retry);
  });
});

describe('the synthesized txconfirm definition', () => {
  it('is accepted as CDK synthesized it, ConfirmPage becoming the Distributed Map runner', () => {
    const { definition } = testStack();
    const lambdas = Object.values(definition.functionsByArn).map((fn) =>
      lambda(fn.functionName, async () => null, fn.timeoutSeconds ?? 3),
    );

    const engine = new LocalStepFunctions({ definition, lambdas });

    const states = engine.transformedDefinition.States as States;
    expect(states[STATE.ConfirmPage]).toMatchObject({
      Type: 'Task',
      Resource: DISTRIBUTED_MAP_RESOURCE,
      ResultPath: '$.pageResults',
      Next: STATE.FetchPage,
    });
    expect(states[STATE.ConfirmPage]).not.toHaveProperty('ItemProcessor');
    expect(states[STATE.StartRun].TimeoutSeconds).toBe(
      (definition.definition.States[STATE.StartRun] as Record<string, unknown>).TimeoutSeconds,
    );
    expect(engine.stateMachineArn).toBe(definition.stateMachineArn);
    expect(functionArn('x')).toContain(':function:x'); // the helpers name functions as the stack does
  });
});
