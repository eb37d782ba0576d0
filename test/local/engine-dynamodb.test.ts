// Engine conformance: the DynamoDB adapters (aws-sdk:dynamodb:* and the optimized dynamodb:*)
// against dynalite started in-process, with a tiny table of this file's own.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UnsupportedAslFeature } from '../../local/engine';
import { closeAll, engineFor, run } from './engine-support';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

const TABLE = 'EngineItems';
let server: Server;
let client: DynamoDBClient;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterEach(closeAll);

afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** PutItem on `pk` only if it does not exist yet, then GetItem it back. */
function putThenGet(putResource: string, prefix: string): Record<string, unknown> {
  return {
    StartAt: 'Put',
    States: {
      Put: {
        Type: 'Task',
        Resource: putResource,
        Parameters: {
          TableName: TABLE,
          Item: { pk: { 'S.$': '$.pk' }, note: { 'S.$': '$.note' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
        ResultPath: null,
        Catch: [
          {
            ErrorEquals: [`${prefix}.ConditionalCheckFailedException`],
            ResultPath: '$.lost',
            Next: 'Get',
          },
        ],
        Next: 'Get',
      },
      Get: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:dynamodb:getItem',
        Parameters: { TableName: TABLE, Key: { pk: { 'S.$': '$.pk' } }, ConsistentRead: true },
        ResultSelector: { 'note.$': '$.Item.note.S' },
        ResultPath: '$.stored',
        End: true,
      },
    },
  };
}

describe('DynamoDB adapters', () => {
  it('sends aws-sdk:dynamodb:putItem and getItem to the store and returns the SDK output', async () => {
    const engine = engineFor(putThenGet('arn:aws:states:::aws-sdk:dynamodb:putItem', 'DynamoDb'), {
      dynamoDbClient: client,
    });

    const record = await run(engine, { pk: 'item-1', note: 'first' });

    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({ pk: 'item-1', note: 'first', stored: { note: 'first' } });
  });

  it('names a lost condition DynamoDb.ConditionalCheckFailedException, caught by that name', async () => {
    const engine = engineFor(putThenGet('arn:aws:states:::aws-sdk:dynamodb:putItem', 'DynamoDb'), {
      dynamoDbClient: client,
    });
    expect((await run(engine, { pk: 'item-2', note: 'first' })).status).toBe('SUCCEEDED');

    const second = await run(engine, { pk: 'item-2', note: 'second' });

    expect(second.status).toBe('SUCCEEDED');
    const output = second.output as { lost: { Error: string; Cause: string }; stored: unknown };
    expect(output.lost.Error).toBe('DynamoDb.ConditionalCheckFailedException');
    expect(output.lost.Cause).toMatch(/conditional request failed/i);
    expect(output.stored).toEqual({ note: 'first' }); // the first writer's item is untouched
  });

  it('names errors of the optimized dynamodb:putItem integration DynamoDB.* (uppercase DB, as AWS does)', async () => {
    const engine = engineFor(putThenGet('arn:aws:states:::dynamodb:putItem', 'DynamoDB'), {
      dynamoDbClient: client,
    });
    await run(engine, { pk: 'item-3', note: 'first' });

    const second = await run(engine, { pk: 'item-3', note: 'second' });

    expect((second.output as { lost: { Error: string } }).lost.Error).toBe(
      'DynamoDB.ConditionalCheckFailedException',
    );
  });

  it('fails with the SDK exception name when the table does not exist', async () => {
    const engine = engineFor(
      {
        StartAt: 'Get',
        States: {
          Get: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:dynamodb:getItem',
            Parameters: { TableName: 'NoSuchTable', Key: { pk: { S: 'x' } } },
            End: true,
          },
        },
      },
      { dynamoDbClient: client },
    );

    const record = await run(engine);

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('DynamoDb.ResourceNotFoundException');
  });

  it('refuses a DynamoDB resource at load time when no DynamoDBClient is given', () => {
    const load = () =>
      engineFor(putThenGet('arn:aws:states:::aws-sdk:dynamodb:putItem', 'DynamoDb'));

    expect(load).toThrow(UnsupportedAslFeature);
    expect(load).toThrow(/^State "Put": Resource \S+ needs a DynamoDBClient/);
  });
});
