/**
 * `putPending`: how an application writes a new PENDING transaction (docs/producers.md). A
 * conditional put: an id that is already in the table is never overwritten — not a PENDING one
 * written before (a retry after a lost reply), and never one that txconfirm has finished.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  newPendingTransaction,
  type NewPendingInput,
  type NewPendingOptions,
  type PendingItem,
} from '../domain/new-pending';
import { isConditionalCheckFailed } from './dynamo-errors';

export interface PutPendingResult {
  /** `written`, or `exists` when the table already holds this id (nothing was changed). */
  readonly outcome: 'written' | 'exists';
  /** The item that was (or would have been) written. */
  readonly item: PendingItem;
}

/** Writes `input` as a new PENDING transaction; throws InvalidPendingTransaction for bad input. */
export async function putPending(
  client: DynamoDBDocumentClient,
  tableName: string,
  input: NewPendingInput,
  options: NewPendingOptions,
): Promise<PutPendingResult> {
  const item = newPendingTransaction(input, options);
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
    return { outcome: 'written', item };
  } catch (err) {
    if (isConditionalCheckFailed(err)) return { outcome: 'exists', item };
    throw err;
  }
}
