import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PageManifest } from '../../lambdas/contracts';
import { startDynalite } from '../../local/aws/dynalite-host';
import { startS3Endpoint, type S3Endpoint } from '../../local/aws/s3-endpoint';
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
  /** The loopback S3 with the stack's manifest bucket (AWS_ENDPOINT_URL_S3). */
  s3: S3Endpoint;
  /** The manifest bucket's name, as the template gives it to fetch-page. */
  manifestBucket: string;
  /** The ids of a page's manifest, in order (the ItemReader's view of it). */
  readManifest(manifest: PageManifest | undefined): Promise<string[]>;
  /** Stops dynalite and the S3 endpoint; calls to them then fail with ECONNREFUSED. */
  stop(): Promise<void>;
}

/** Start dynalite in-process (in memory) on a free loopback port with the stack's tables. */
export async function startStore(): Promise<Store> {
  const host = await startDynalite({
    tables: tableDefinitions(),
    // Test-side calls fail at once instead of retrying against a store a test stopped.
    clientConfig: { maxAttempts: 1 },
  });
  const manifestBucket = testStack().buckets[0];
  const s3 = await startS3Endpoint({
    buckets: [manifestBucket],
    clientConfig: { maxAttempts: 1 },
  });
  return {
    endpoint: host.endpoint,
    ddb: DynamoDBDocumentClient.from(host.client, {
      marshallOptions: { removeUndefinedValues: true },
    }),
    tableNames: { ...tableNames() },
    s3,
    manifestBucket,
    readManifest: async (manifest) => {
      if (manifest === undefined) throw new Error('the page has no manifest');
      const object = await s3.client.send(
        new GetObjectCommand({ Bucket: manifest.bucket, Key: manifest.key }),
      );
      const items = JSON.parse(await object.Body!.transformToString()) as { id: string }[];
      return items.map((item) => item.id);
    },
    stop: async () => {
      await s3.stop();
      await host.stop();
    },
  };
}
