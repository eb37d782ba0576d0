/**
 * The engine's own ceiling: items/s through a Distributed Map of 10,000 items whose children
 * invoke a no-op Lambda (ItemBatcher 50 per child, MaxConcurrency 20), i.e. what the engine
 * costs per item with no store or provider behind it.
 *
 *   npx tsx bench/measure-noop.ts [items] [rounds]
 */
import { LocalStepFunctions } from '../local/engine';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:noop';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:measure-noop';

const definition = {
  StartAt: 'FanOut',
  States: {
    FanOut: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 20,
      ItemBatcher: { MaxItemsPerBatch: 50, BatchInput: { 'runId.$': '$.runId' } },
      ToleratedFailurePercentage: 10,
      ResultPath: '$.results',
      OutputPath: '$.results',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
        StartAt: 'NoOp',
        States: {
          NoOp: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: FUNCTION_ARN, 'Payload.$': '$' },
            OutputPath: '$.Payload',
            End: true,
          },
        },
      },
      End: true,
    },
  },
};

async function main(): Promise<void> {
  const items = Number(process.argv[2] ?? 10_000);
  const rounds = Number(process.argv[3] ?? 5);
  const engine = new LocalStepFunctions({
    definition: {
      stateMachineArn: STATE_MACHINE_ARN,
      stateMachineName: 'measure-noop',
      definition: definition as never,
    },
    lambdas: [
      {
        functionName: 'noop',
        arn: FUNCTION_ARN,
        timeoutSeconds: 60,
        invoke: async (event) => ({ processed: (event as { Items: unknown[] }).Items.length }),
      },
    ],
  });
  const input = {
    runId: 'measure',
    items: Array.from({ length: items }, (_, i) => ({ id: `tx-${String(i).padStart(7, '0')}` })),
  };
  const rates: number[] = [];
  for (let round = 0; round <= rounds; round += 1) {
    const started = process.hrtime.bigint();
    const { executionArn } = engine.startExecution({ input });
    const record = await engine.waitForExecution(executionArn);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (record.status !== 'SUCCEEDED') {
      throw new Error(
        `round ${round}: ${record.status} ${record.error ?? ''} ${record.cause ?? ''}`,
      );
    }
    const processed = (record.output as { processed: number }[]).reduce(
      (n, r) => n + r.processed,
      0,
    );
    if (processed !== items)
      throw new Error(`round ${round}: ${processed} of ${items} items processed`);
    if (round > 0) rates.push(items / seconds); // round 0 warms the JIT
  }
  await engine.close();
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  process.stdout.write(
    `${items} items, batch 50, concurrency 20, no-op Lambda: median ${Math.round(median)} items/s ` +
      `(min ${Math.round(rates[0])}, max ${Math.round(rates[rates.length - 1])}, ${rates.length} rounds)\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
