// The local view of the synthesized stack: tables and names come from the template, never a copy.
import { ENV } from '../../lambdas/contracts';
import { dev, devWith } from '../support/stages';
import { localStack, synthesizeStackTemplate } from '../../local/stack/stack-template';
import { testStack } from '../support/template';

describe('local view of the synthesized stack', () => {
  const stack = testStack();

  it('creates the transactions table with the sparse pending index as the stack defines it', () => {
    const transactions = stack.tables.find((t) => t.TableName === stack.tableNames.transactions);
    expect(transactions?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(transactions?.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: stack.tableNames.pendingIndex,
        KeySchema: [
          { AttributeName: 'pendingShard', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
  });

  it('creates the runs table with its composite key', () => {
    const runs = stack.tables.find((t) => t.TableName === stack.tableNames.runs);
    expect(runs?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });

  it('gives each function the environment the stack sets, with table names resolved', () => {
    const fetchPage = Object.values(stack.definition.functionsByArn).find(
      (f) => f.entry === 'lambdas/handlers/fetch-page.ts',
    );
    expect(fetchPage?.environment[ENV.TRANSACTIONS_TABLE]).toBe(stack.tableNames.transactions);
    expect(fetchPage?.environment[ENV.SHARD_COUNT]).toBe(String(dev.shardCount));
  });

  it("runs the very template `cdk synth` gives: turning CDK's CloudFormation validation off (as the runtime does) changes nothing in it", () => {
    expect(synthesizeStackTemplate({ stage: 'dev', cloudFormationValidation: false })).toEqual(
      synthesizeStackTemplate({ stage: 'dev' }),
    );
  });

  it('follows a config change (shard count) without any second copy to edit', () => {
    const changed = localStack(synthesizeStackTemplate({ config: devWith({ shardCount: 7 }) }));
    const fetchPage = Object.values(changed.definition.functionsByArn).find(
      (f) => f.entry === 'lambdas/handlers/fetch-page.ts',
    );
    expect(fetchPage?.environment[ENV.SHARD_COUNT]).toBe('7');
  });

  it('resolves a production stage too (stage key, log group names from the stack id, created secret)', () => {
    const prodStack = localStack(
      synthesizeStackTemplate({
        config: devWith({ production: true, providerSecret: 'create', vpc: true }),
      }),
    );
    const confirmBatch = Object.values(prodStack.definition.functionsByArn).find(
      (f) => f.entry === 'lambdas/handlers/confirm-batch.ts',
    );
    expect(confirmBatch?.environment[ENV.PROVIDER_SECRET_ID]).toBe(
      'txconfirm/dev/provider-api-key',
    );
    expect(prodStack.tables.map((t) => t.TableName).sort()).toEqual(
      [prodStack.tableNames.runs, prodStack.tableNames.transactions].sort(),
    );
  });
});
