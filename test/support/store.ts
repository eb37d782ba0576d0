import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// Node 20 is supported until 2027: the SDK's reminder is noise in every test file.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface TableNames {
  transactions: string;
  pendingIndex: string;
  runs: string;
}

export const TABLE_NAMES: TableNames = {
  transactions: 'Transactions',
  pendingIndex: 'pending-by-shard',
  runs: 'Runs',
};

/** The CreateTable inputs of the stack's tables. */
// Replaced by definitions read from the synthesized template (lead's integration step).
export function tableDefinitions(names: TableNames = TABLE_NAMES): CreateTableCommandInput[] {
  return [
    {
      TableName: names.transactions,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'pendingShard', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: names.pendingIndex,
          KeySchema: [
            { AttributeName: 'pendingShard', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    },
    {
      TableName: names.runs,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    },
  ];
}

export interface Store {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint: string;
  /** A document client on this store (test-side reads and writes). */
  ddb: DynamoDBDocumentClient;
  tableNames: TableNames;
  /** Stops dynalite; calls to the endpoint then fail with ECONNREFUSED. */
  stop(): Promise<void>;
}

/** Start dynalite in-process (in memory) on a free loopback port and create the tables. */
export async function startStore(): Promise<Store> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, maxAttempts: 1 });
  for (const definition of tableDefinitions()) {
    await client.send(new CreateTableCommand(definition));
  }
  for (const definition of tableDefinitions()) {
    for (;;) {
      const { Table } = await client.send(
        new DescribeTableCommand({ TableName: definition.TableName }),
      );
      const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every(
        (index) => index.IndexStatus === 'ACTIVE',
      );
      if (Table?.TableStatus === 'ACTIVE' && indexesActive) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  const ddb = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  let stopped = false;
  return {
    endpoint,
    ddb,
    tableNames: { ...TABLE_NAMES },
    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
