import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StackTableNames } from '../../local/stack-template';
import { testStack } from './template';

// Node 20 is supported until 2027: the SDK's reminder is noise in every test file.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export type TableNames = StackTableNames;

/** The stack's table names, as the synthesized template gives them to the handlers. */
export function tableNames(): TableNames {
  return testStack().tableNames;
}

/** The CreateTable inputs of the stack's tables, read from the synthesized template. */
export function tableDefinitions(): CreateTableCommandInput[] {
  return [...testStack().tables];
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
    tableNames: { ...tableNames() },
    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
