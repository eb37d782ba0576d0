import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynalite } from '../../local/aws/dynalite-host';
import type { StackTableNames } from '../../local/stack/stack-template';
import { testStack } from './template';

// Node 20 is supported until 2027: the SDK's reminder is noise in every test file.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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

/** Start dynalite in-process (in memory) on a free loopback port with the stack's tables. */
export async function startStore(): Promise<Store> {
  const host = await startDynalite({
    tables: tableDefinitions(),
    // Test-side calls fail at once instead of retrying against a store a test stopped.
    clientConfig: { maxAttempts: 1 },
  });
  return {
    endpoint: host.endpoint,
    ddb: DynamoDBDocumentClient.from(host.client, {
      marshallOptions: { removeUndefinedValues: true },
    }),
    tableNames: { ...tableNames() },
    stop: () => host.stop(),
  };
}
