import type { BatchItem } from '../../domain/records.js';
import { batchItemToItem, requestKey, type StateItem } from './stateItemCodec.js';

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
        Key: requestKey(item.producer, item.customId),
        ConditionExpression: '#state = :pending AND request_hash = :hash',
        // The member is recorded too: parts of one batch come from different invocations, so
        // a concurrent duplicate may be claimed into the same batch under another member.
        UpdateExpression: 'SET #state = :claimed, batch_id = :batch, member_id = :member',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':pending': 'pending',
          ':claimed': 'claimed',
          ':hash': requestHash,
          ':batch': item.batchId,
          ':member': item.providerCustomId,
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    },
    { Put: { TableName: tableName, Item: batchItemToItem(item) } },
  ] as const;

/**
 * Whether a ledger entry a claim found (instead of `pending`) is that very claim, made by an
 * earlier try that crashed after it: same batch and same member. Entries written before the
 * member was recorded held one member per batch, so the batch decides for them.
 */
const isOwnClaim = (old: StateItem, item: BatchItem): boolean =>
  old.state === 'claimed' &&
  old.batch_id === item.batchId &&
  (old.member_id === undefined || old.member_id === item.providerCustomId);

export { claimOperations, isOwnClaim };
