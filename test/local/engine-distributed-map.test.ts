// Engine conformance: the Distributed Map runner (batching, selection, concurrency, tolerated
// failure, cancellation), on hand-made ASL with in-process LocalLambdas.
import type { MapChildCompleted } from '../../local/engine';
import {
  aborted,
  closeAll,
  distributedMap,
  engineFor,
  items,
  lambda,
  namedError,
  run,
  sleep,
  until,
} from './engine-support';

interface Batch {
  Items: { id: string; pad?: string }[];
  BatchInput?: Record<string, unknown>;
}

afterEach(closeAll);

describe('Distributed Map', () => {
  it('batches items by count (MaxItemsPerBatch), outputs in item order', async () => {
    const seen: Batch[] = [];
    const engine = engineFor(distributedMap('work', { ItemBatcher: { MaxItemsPerBatch: 3 } }), {
      lambdas: [
        lambda('work', async (event) => {
          seen.push(event as Batch);
          return (event as Batch).Items.map((item) => item.id).join(',');
        }),
      ],
    });

    const record = await run(engine, { items: items(7) });

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual(['tx-0,tx-1,tx-2', 'tx-3,tx-4,tx-5', 'tx-6']);
    expect(seen.map((b) => b.Items.length).sort()).toEqual([1, 3, 3]);
    expect(seen.every((b) => !('BatchInput' in b))).toBe(true);
  });

  it('batches items by bytes (MaxInputBytesPerBatch), counting the child input as UTF-8 JSON', async () => {
    const limit = 120;
    const pads = [
      'a',
      'bbbbbbbbbbbbbbbbbbbb',
      'é',
      'cccccccccc',
      'dd',
      'éééééééééééé',
      'e',
      'ffffffff',
    ];
    const input = pads.map((pad, i) => ({ id: `tx-${i}`, pad }));
    const seen: Batch[] = [];
    const engine = engineFor(
      distributedMap('work', {
        ItemBatcher: { MaxInputBytesPerBatch: limit, BatchInput: { run: 'r-1' } },
        MaxConcurrency: 1,
      }),
      {
        lambdas: [
          lambda('work', async (event) => {
            seen.push(event as Batch);
            return null;
          }),
        ],
      },
    );

    const record = await run(engine, { items: input });

    expect(record.status).toBe('SUCCEEDED');
    const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
    expect(seen.flatMap((b) => b.Items)).toEqual(input); // every item, in order
    expect(seen.length).toBeGreaterThan(2);
    for (const [i, batch] of seen.entries()) {
      expect(bytes(batch)).toBeLessThanOrEqual(limit);
      const next = seen[i + 1]?.Items[0];
      // Greedy: the next batch's first item would not have fitted in this one.
      if (next) expect(bytes({ ...batch, Items: [...batch.Items, next] })).toBeGreaterThan(limit);
    }
  });

  it('fails with States.DataLimitExceeded when one item alone exceeds MaxInputBytesPerBatch', async () => {
    const engine = engineFor(
      distributedMap('work', { ItemBatcher: { MaxInputBytesPerBatch: 40 } }),
      {
        lambdas: [lambda('work', async () => null)],
      },
    );

    const record = await run(engine, { items: [{ id: 'tx-0', pad: 'x'.repeat(50) }] });

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.DataLimitExceeded');
  });

  it('evaluates BatchInput once against the state input and ItemSelector per item with $$.Map.Item', async () => {
    const seen: Batch[] = [];
    const engine = engineFor(
      distributedMap('work', {
        ItemSelector: {
          'id.$': '$$.Map.Item.Value.id',
          'index.$': '$$.Map.Item.Index',
          'run.$': '$.run',
          'execution.$': '$$.Execution.Name',
          fixed: 'same',
        },
        ItemBatcher: {
          MaxItemsPerBatch: 2,
          BatchInput: { 'runId.$': '$.run', 'startedBy.$': '$$.Execution.Name', kind: 'confirm' },
        },
      }),
      {
        lambdas: [
          lambda('work', async (event) => {
            seen.push(event as Batch);
            return null;
          }),
        ],
      },
    );

    const { executionArn, name } = engine.startExecution({
      input: { run: 'r-7', items: items(3) },
    });
    const record = await engine.waitForExecution(executionArn);

    expect(record.status).toBe('SUCCEEDED');
    const all = seen.flatMap((b) => b.Items).sort((a, b) => a.id.localeCompare(b.id));
    expect(all).toEqual([
      { id: 'tx-0', index: 0, run: 'r-7', execution: name, fixed: 'same' },
      { id: 'tx-1', index: 1, run: 'r-7', execution: name, fixed: 'same' },
      { id: 'tx-2', index: 2, run: 'r-7', execution: name, fixed: 'same' },
    ]);
    for (const batch of seen) {
      expect(batch.BatchInput).toEqual({ runId: 'r-7', startedBy: name, kind: 'confirm' });
    }
  });

  describe('tolerated failure', () => {
    // 10 items in batches of 3: [0-2] [3-5] [6-8] [9]. One failed batch of four is 25% of the
    // children but 30% of the items: the threshold counts items.
    const failingBatches = (failing: string[]) =>
      lambda('work', async (event) => {
        const first = (event as Batch).Items[0].id;
        if (failing.includes(first)) throw namedError('BatchBroken', `batch ${first} failed`);
        return first;
      });
    const percentageMap = distributedMap('work', {
      ItemBatcher: { MaxItemsPerBatch: 3 },
      ToleratedFailurePercentage: 25,
    });

    it('by percentage, just under: passes with { Error, Cause } in the failed slot', async () => {
      const engine = engineFor(percentageMap, { lambdas: [failingBatches(['tx-9'])] }); // 1 of 10 items

      const record = await run(engine, { items: items(10) });

      expect(record.status).toBe('SUCCEEDED');
      const output = record.output as unknown[];
      expect(output.slice(0, 3)).toEqual(['tx-0', 'tx-3', 'tx-6']);
      const slot = output[3] as { Error: string; Cause: string };
      expect(slot.Error).toBe('BatchBroken');
      expect(JSON.parse(slot.Cause)).toMatchObject({
        errorType: 'BatchBroken',
        errorMessage: 'batch tx-9 failed',
      });
    });

    it('by percentage, just over (counted in items): fails with States.ExceedToleratedFailureThreshold', async () => {
      const engine = engineFor(percentageMap, { lambdas: [failingBatches(['tx-0'])] }); // 3 of 10 items

      const record = await run(engine, { items: items(10) });

      expect(record.status).toBe('FAILED');
      expect(record.error).toBe('States.ExceedToleratedFailureThreshold');
    });

    const countMap = distributedMap('work', { ToleratedFailureCount: 2 });
    const failingItems = (failing: string[]) =>
      lambda('work', async (event) => {
        const id = (event as { id: string }).id;
        if (failing.includes(id)) throw namedError('ItemBroken', id);
        return id;
      });

    it('by count, just under: passes with the failed slots in the output', async () => {
      const engine = engineFor(countMap, { lambdas: [failingItems(['tx-1', 'tx-4'])] });

      const record = await run(engine, { items: items(6) });

      expect(record.status).toBe('SUCCEEDED');
      const output = record.output as unknown[];
      expect(output.filter((o) => typeof o === 'object')).toHaveLength(2);
      expect((output[1] as { Error: string }).Error).toBe('ItemBroken');
      expect(output[0]).toBe('tx-0');
    });

    it('by count, just over: fails with States.ExceedToleratedFailureThreshold', async () => {
      const engine = engineFor(countMap, { lambdas: [failingItems(['tx-1', 'tx-3', 'tx-4'])] });

      const record = await run(engine, { items: items(6) });

      expect(record.status).toBe('FAILED');
      expect(record.error).toBe('States.ExceedToleratedFailureThreshold');
      expect(record.cause).toMatch(/3 of 6 items failed/);
    });

    it('tolerates nothing when neither threshold is set, and Catch sees the error by name', async () => {
      const definition = distributedMap('work', {
        Catch: [
          {
            ErrorEquals: ['States.ExceedToleratedFailureThreshold'],
            ResultPath: '$.failure',
            Next: 'Done',
          },
        ],
      });
      const states = definition.States as Record<string, Record<string, unknown>>;
      delete states.Fan.End;
      states.Fan.Next = 'Done';
      states.Done = { Type: 'Pass', End: true };
      const engine = engineFor(definition, { lambdas: [failingItems(['tx-2'])] });

      const record = await run(engine, { items: items(4) });

      expect(record.status).toBe('SUCCEEDED');
      expect((record.output as { failure: { Error: string } }).failure.Error).toBe(
        'States.ExceedToleratedFailureThreshold',
      );
    });
  });

  it('honours MaxConcurrency: the peak of children in flight is exactly the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const engine = engineFor(distributedMap('work', { MaxConcurrency: 3 }), {
      lambdas: [
        lambda('work', async () => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await sleep(3);
          inFlight -= 1;
          return null;
        }),
      ],
    });

    const record = await run(engine, { items: items(24) });

    expect(record.status).toBe('SUCCEEDED');
    expect(peak).toBe(3);
  });

  it('reads MaxConcurrencyPath from the input; 0 means no limit below AWS ceiling', async () => {
    let inFlight = 0;
    let peak = 0;
    const engine = engineFor(distributedMap('work', { MaxConcurrencyPath: '$.limit' }), {
      lambdas: [
        lambda('work', async () => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await sleep(5);
          inFlight -= 1;
          return null;
        }),
      ],
    });

    expect((await run(engine, { limit: 2, items: items(10) })).status).toBe('SUCCEEDED');
    expect(peak).toBe(2);
    peak = 0;
    expect((await run(engine, { limit: 0, items: items(10) })).status).toBe('SUCCEEDED');
    expect(peak).toBe(10);
  });

  it('cancels after the threshold is exceeded: children in flight see the abort, no new child starts', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let invocations = 0;
    const sawAbort: boolean[] = [];
    const engine = engineFor(distributedMap('work', { MaxConcurrency: 3 }), {
      lambdas: [
        lambda('work', async (event, context) => {
          invocations += 1;
          if ((event as { id: string }).id === 'tx-0') {
            await sleep(10);
            throw namedError('ItemBroken', 'first item fails');
          }
          // Blocked until the test releases them: they see the abort, but do not return on it.
          const abort = aborted(context.abortSignal).then(() => context.abortSignal.aborted);
          await released;
          sawAbort.push(await Promise.race([abort, Promise.resolve(false)]));
          return null;
        }),
      ],
    });

    const record = await run(engine, { items: items(30) });
    // The run ended while its two other children were still blocked: it did not wait for them.
    expect(sawAbort).toEqual([]);
    release();

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.ExceedToleratedFailureThreshold');
    await until(() => sawAbort.length === 2);
    expect(sawAbort).toEqual([true, true]);
    await sleep(30);
    expect(invocations).toBe(3); // the first wave only
  });

  it('cancels on stopExecution: children in flight see the abort, no new child starts', async () => {
    let invocations = 0;
    let inFlight = 0;
    const sawAbort: boolean[] = [];
    const engine = engineFor(distributedMap('work', { MaxConcurrency: 4 }), {
      lambdas: [
        lambda('work', async (_event, context) => {
          invocations += 1;
          inFlight += 1;
          await Promise.race([aborted(context.abortSignal), sleep(3000)]);
          sawAbort.push(context.abortSignal.aborted);
          return null;
        }),
      ],
    });

    const { executionArn } = engine.startExecution({ input: { items: items(40) } });
    await until(() => inFlight === 4);
    const stopped = engine.stopExecution(executionArn, {
      error: 'Operator',
      cause: 'stopped by test',
    });

    expect(stopped).toMatchObject({
      status: 'ABORTED',
      error: 'Operator',
      cause: 'stopped by test',
    });
    await until(() => sawAbort.length === 4);
    expect(sawAbort).toEqual([true, true, true, true]);
    await sleep(30);
    expect(invocations).toBe(4);
    expect((await engine.waitForExecution(executionArn)).status).toBe('ABORTED');
  });

  it('reports every child to onMapChildCompleted with its item count, output or error', async () => {
    const events: MapChildCompleted[] = [];
    const engine = engineFor(
      distributedMap('work', { ItemBatcher: { MaxItemsPerBatch: 2 }, ToleratedFailureCount: 10 }),
      {
        lambdas: [
          lambda('work', async (event) => {
            const batch = event as Batch;
            if (batch.Items[0].id === 'tx-2') throw namedError('BatchBroken', 'no');
            return batch.Items.length;
          }),
        ],
        onMapChildCompleted: (event) => events.push(event),
      },
    );

    const { executionArn } = engine.startExecution({ input: { items: items(5) } });
    await engine.waitForExecution(executionArn);

    expect(events).toHaveLength(3);
    expect(events.every((e) => e.executionArn === executionArn && e.stateName === 'Fan')).toBe(
      true,
    );
    expect(events.map((e) => e.items).sort()).toEqual([1, 2, 2]);
    expect(events.filter((e) => e.error?.Error === 'BatchBroken')).toHaveLength(1);
    expect(events.filter((e) => e.output === 2)).toHaveLength(1);
  });

  it('gives each child its own execution context (EXPRESS child ARN under the parent machine)', async () => {
    const contexts: Record<string, unknown>[] = [];
    const definition = distributedMap('work');
    const fan = (definition.States as Record<string, Record<string, unknown>>).Fan;
    (fan.ItemProcessor as { States: Record<string, unknown> }).States.Work = {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: 'work',
        Payload: { 'execution.$': '$$.Execution.Id', 'machine.$': '$$.StateMachine.Name' },
      },
      OutputPath: '$.Payload',
      End: true,
    };
    const engine = engineFor(definition, {
      lambdas: [
        lambda('work', async (event) => {
          contexts.push(event as Record<string, unknown>);
          return null;
        }),
      ],
    });

    const record = await run(engine, { items: items(2) });

    expect(record.status).toBe('SUCCEEDED');
    expect(contexts).toHaveLength(2);
    for (const context of contexts) {
      expect(context.execution).toMatch(
        /^arn:aws:states:us-east-1:000000000000:express:engine-test\/Fan:[0-9a-f-]{36}:[0-9a-f-]{36}$/,
      );
      expect(context.machine).toBe('engine-test/Fan');
    }
    expect(contexts[0].execution).not.toBe(contexts[1].execution);
  });
});
