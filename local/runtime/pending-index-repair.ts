/**
 * Local-only repair of the sparse pending index. dynalite writes an item and its GSI entries as
 * separate LevelDB operations, so a SIGKILL between them can leave a PENDING item missing from
 * the index (stranded: no run would ever page it) or an index entry for an item that left it.
 * DynamoDB itself never does that; this runs when a data dir is reopened, before any execution.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { StackTableNames } from '../stack/stack-template';

/**
 * Re-puts every PENDING item the index lacks and clears entries whose item moved on; returns the
 * ids of the items repaired.
 */
export async function repairPendingIndex(
  client: DynamoDBDocumentClient,
  storeEndpoint: string,
  { transactions, pendingIndex }: StackTableNames,
): Promise<string[]> {
  const indexed = new Map<string, Record<string, unknown>>();
  for await (const page of paginateScan(
    { client },
    { TableName: transactions, IndexName: pendingIndex },
  )) {
    for (const entry of page.Items ?? []) indexed.set(entry.id as string, entry);
  }
  // Items are read and re-put with numbers as exact strings (NumberValue): any stored number,
  // also one a JS number cannot hold (an amount of 12345678901234567890.5 written by another
  // system), must neither fail the reopen nor change. A client of its own: two document clients
  // on one DynamoDBClient share (and overwrite) one translate config.
  const base = new DynamoDBClient({
    endpoint: storeEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const exact = DynamoDBDocumentClient.from(base, { unmarshallOptions: { wrapNumbers: true } });
  const repaired: string[] = [];
  try {
    for await (const page of paginateScan(
      { client: exact },
      { TableName: transactions, ConsistentRead: true },
    )) {
      for (const item of page.Items ?? []) {
        const entry = indexed.get(item.id as string);
        const inSync =
          item.pendingShard === undefined
            ? entry === undefined
            : entry !== undefined &&
              entry.pendingShard === item.pendingShard &&
              entry.createdAt === item.createdAt;
        if (inSync) continue;
        repaired.push(String(item.id));
        if (item.pendingShard === undefined) {
          // A stale entry: write the attribute it was indexed under, then remove it, so dynalite
          // deletes the entry it computes from the old item.
          await exact.send(
            new PutCommand({ TableName: transactions, Item: { ...item, ...entry } }),
          );
        }
        await exact.send(new PutCommand({ TableName: transactions, Item: item }));
      }
    }
  } finally {
    base.destroy();
  }
  return repaired;
}
