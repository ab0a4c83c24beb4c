import type { BatchItem } from '../../domain/records.js';
import { batchItemToItem, requestKey } from './stateItemCodec.js';

/**
 * The two writes that make a request a member of a batch, for one transaction: its ledger
 * entry goes from `pending` (with this hash) to `claimed` by the batch, returning the entry
 * it found when it was not, and the member item is written.
 */
const claimOperations = (tableName: string, item: BatchItem, requestHash: string) =>
  [
    {
      Update: {
        TableName: tableName,
        Key: requestKey(item.customId),
        ConditionExpression: '#state = :pending AND request_hash = :hash',
        UpdateExpression: 'SET #state = :claimed, batch_id = :batch',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':pending': 'pending',
          ':claimed': 'claimed',
          ':hash': requestHash,
          ':batch': item.batchId,
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    },
    { Put: { TableName: tableName, Item: batchItemToItem(item) } },
  ] as const;

export { claimOperations };
