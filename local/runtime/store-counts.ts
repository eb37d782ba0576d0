/** Store-wide counts of transactions per status: for summaries and checks, a full scan. */
import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';

export type StoreCounts = Record<'PENDING' | 'CONFIRMED' | 'REJECTED' | 'FAILED' | 'OTHER', number>;

export async function storeCounts(
  client: DynamoDBDocumentClient,
  transactionsTable: string,
): Promise<StoreCounts> {
  const counts: StoreCounts = { PENDING: 0, CONFIRMED: 0, REJECTED: 0, FAILED: 0, OTHER: 0 };
  const pages = paginateScan(
    { client },
    {
      TableName: transactionsTable,
      ProjectionExpression: '#s',
      ExpressionAttributeNames: { '#s': 'status' },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const status: unknown = item.status;
      if (
        status === 'PENDING' ||
        status === 'CONFIRMED' ||
        status === 'REJECTED' ||
        status === 'FAILED'
      ) {
        counts[status] += 1;
      } else {
        counts.OTHER += 1;
      }
    }
  }
  return counts;
}
