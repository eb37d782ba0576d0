import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ERROR } from '../../lambdas/contracts';
import { DynamoTransactionRepository } from '../../lambdas/adapters/dynamo-transaction-repository';

/*
 * BatchGetItem's UnprocessedKeys only appear under throttling, which dynalite never does: the
 * retry loop is checked against a scripted SDK client instead.
 */
function scriptedClient(answers: ((keys: { id: string }[]) => unknown)[]) {
  const requests: { id: string }[][] = [];
  const client = {
    send: async (command: {
      input: { RequestItems: Record<string, { Keys: { id: string }[]; ConsistentRead?: boolean }> };
    }) => {
      const request = command.input.RequestItems.T;
      expect(request.ConsistentRead).toBe(true);
      requests.push(request.Keys);
      const answer = answers.shift();
      if (answer === undefined) throw new Error('unexpected call');
      return answer(request.Keys);
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, requests };
}

const repo = (client: DynamoDBDocumentClient) =>
  new DynamoTransactionRepository(client, {
    tableName: 'T',
    pendingIndexName: 'I',
    unprocessedRetryDelaysMs: [1, 1, 1],
  });

describe('strongly consistent batched read', () => {
  test('re-reads UnprocessedKeys until every key is answered', async () => {
    const { client, requests } = scriptedClient([
      (keys) => ({
        Responses: { T: [{ id: keys[0].id }] },
        UnprocessedKeys: { T: { Keys: keys.slice(1) } },
      }),
      (keys) => ({ Responses: { T: keys.map(({ id }) => ({ id })) } }),
    ]);
    const found = await repo(client).getMany(['a', 'b', 'c']);
    expect([...found.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(requests).toEqual([
      [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
      [{ id: 'b' }, { id: 'c' }],
    ]);
  });

  test('splits more than 100 ids into requests of at most 100 keys', async () => {
    const answer = (keys: { id: string }[]) => ({
      Responses: { T: keys.map(({ id }) => ({ id })) },
    });
    const { client, requests } = scriptedClient([answer, answer, answer]);
    const ids = Array.from({ length: 250 }, (_, i) => `id-${i}`);
    const found = await repo(client).getMany(ids);
    expect(found.size).toBe(250);
    expect(requests.map((keys) => keys.length).sort((a, b) => a - b)).toEqual([50, 100, 100]);
  });

  test('keys still unprocessed after the last retry are a SystemicFault (throttled)', async () => {
    const throttled = (keys: { id: string }[]) => ({
      Responses: { T: [] },
      UnprocessedKeys: { T: { Keys: keys } },
    });
    const { client, requests } = scriptedClient([throttled, throttled, throttled, throttled]);
    await expect(repo(client).getMany(['a'])).rejects.toMatchObject({
      name: ERROR.SystemicFault,
      message: expect.stringContaining('unprocessed after 4 attempts'),
    });
    expect(requests).toHaveLength(4);
  });

  test('an SDK error is a SystemicFault carrying the cause', async () => {
    const failure = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    const { client } = scriptedClient([
      () => {
        throw failure;
      },
    ]);
    const error = await repo(client)
      .getMany(['a'])
      .catch((err: unknown) => err);
    expect(error).toMatchObject({
      name: ERROR.SystemicFault,
      message:
        'DynamoDB BatchGetItem on T failed: ProvisionedThroughputExceededException: Rate exceeded',
    });
    expect((error as Error).cause).toBe(failure);
  });
});
