import type { BatchItem } from '../../domain/records.js';
import { IS_NEW, PK_NAME, UNSET } from './state/StateTableAccess.js';
import { requestToItem, type StateItem } from './stateItemCodec.js';

/**
 * A ledger entry no realtime worker holds or has served: no delivery, and no lease, or one
 * that ran out before `:now` (the lease `leaseRealtime` takes; ISO times compare as strings).
 */
const NOT_REALTIME_SERVED = `${UNSET('delivered_at')} AND (attribute_not_exists(realtime_lease_until) OR realtime_lease_until < :now)`;

/**
 * The one write that makes a request a member of a batch: its ledger entry, put already
 * `claimed` by the batch and member. It may create the entry (a request seen for the first
 * time), take over an entry that only refused a message (an invalid message never reserves an
 * id) or a `pending` one with the same hash (a request registered before it was packed) that
 * the realtime lane is not serving; anything else is returned as it stands, to be judged by
 * {@link claimOutcomeOf}.
 *
 * A `pending` entry may be the realtime lane's already: its collector sends the job before it
 * marks the entry `realtime`, so a worker can lease it (or even deliver it) while it is still
 * `pending`, and a retry of that collector may then choose the batch lane for it. The put
 * refuses such an entry (a live lease, `realtime_lease_until` at or after `now`, or a delivery)
 * in the same condition, so the claim stays one conditional write and the request is served
 * once. A lease that ran out without a delivery is no one's: the batch takes the request, and
 * the worker's next try finds the entry `claimed` and serves nothing.
 */
const ledgerClaimPut = (
  tableName: string,
  item: BatchItem,
  requestHash: string,
  expiresAt: number,
  now: string,
) => ({
  TableName: tableName,
  Item: {
    ...requestToItem({
      producer: item.producer,
      customId: item.customId,
      requestHash,
      state: 'claimed',
      batchId: item.batchId,
      acceptedAt: item.acceptedAt,
      expiresAt,
    }),
    // Parts of one batch come from different invocations, so a concurrent duplicate may be
    // packed into the same batch under another member: the entry names which one holds it.
    member_id: item.providerCustomId,
  },
  ConditionExpression: `${IS_NEW} OR #state IN (:rejecting, :rejected) OR (#state = :pending AND request_hash = :hash AND ${NOT_REALTIME_SERVED})`,
  ExpressionAttributeNames: { ...PK_NAME, '#state': 'state' },
  ExpressionAttributeValues: {
    ':rejecting': 'rejecting',
    ':rejected': 'rejected',
    ':pending': 'pending',
    ':hash': requestHash,
    ':nullType': 'NULL',
    ':now': now,
  },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

/**
 * Whether a ledger entry a claim found is that very claim, made by an earlier try that crashed
 * after it (or by sealing settling the part): same batch and same member. Entries written
 * before the member was recorded held one member per batch, so the batch decides for them.
 */
const isOwnClaim = (old: StateItem, item: BatchItem): boolean =>
  old.state === 'claimed' &&
  old.batch_id === item.batchId &&
  (old.member_id === undefined || old.member_id === item.providerCustomId);

/**
 * What a claim that found `old` in the ledger means: this member's own claim; the request
 * held by something else (another member or batch, the realtime lane, whether marked
 * `realtime` or still `pending` under a worker's lease: a duplicate, folded);
 * or another request under the same id (a conflict, refused).
 */
const claimOutcomeOf = (
  old: StateItem,
  item: BatchItem,
  requestHash: string,
): 'claimed' | 'held' | 'conflict' => {
  if (isOwnClaim(old, item)) return 'claimed';
  return old.request_hash === requestHash ? 'held' : 'conflict';
};

export { claimOutcomeOf, isOwnClaim, ledgerClaimPut };
