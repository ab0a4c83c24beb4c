import { ConflictError } from '../../../domain/errors.js';
import type { BatchItem } from '../../../domain/records.js';
import type { MemberClaim, PartMember } from '../../../ports/BatchFilling.js';
import { requestToItem, type StateItem } from '../stateItemCodec.js';
import { IS_NEW, isUnset, PK_NAME, UNSET } from './stateExpressions.js';

/**
 * The rule that makes a request a member of a batch, stated once: {@link claimDecisionOf}
 * decides what a claim finds, and {@link ledgerClaimPut} is the same rule as the one
 * conditional PutItem DynamoDB evaluates atomically (one write unit, no read first). The
 * in-memory fake applies the decision to its map; the adapter sends the put and, when DynamoDB
 * refuses it, hands the entry the refusal returned (`ALL_OLD`) to the same decision, so the
 * answer a caller gets is decided here for both. Each clause of the condition is the branch of
 * the decision that answers `take`; `test/unit/fakes/ledgerRules.test.ts` holds them together
 * case by case (the fake), and so does `test/integration/contract/ledgerRules.test.ts`
 * (DynamoDB Local). This module imports no SDK.
 */

/**
 * What a claim of a member finds its ledger entry to be: free for it to `take` (the put
 * writes it), already `claimed` by this very member (an earlier try, or sealing settling the
 * part), `held` for the same request by something else (another member or batch, or the
 * realtime lane), or a `conflict` (another request under the same id).
 */
type ClaimDecision = 'take' | Exclude<MemberClaim, 'unstorable'>;

/**
 * Whether a realtime worker holds the entry at `now` or has delivered it. A lease lapses only
 * once it is a string before `now`, as DynamoDB compares a string with `<` (a lease of another
 * type, NULL included, never lapses); a delivery counts once `delivered_at` is set.
 */
const realtimeServes = (entry: StateItem, now: string): boolean => {
  if (!isUnset(entry, 'delivered_at')) return true;
  const lease = entry.realtime_lease_until;
  return lease !== undefined && !(typeof lease === 'string' && lease < now);
};

/**
 * Whether an entry is this member's own claim, made by an earlier try that crashed after it
 * (or by sealing settling the part): same batch and same member. Entries written before the
 * member was recorded held one member per batch, so the batch decides for them.
 */
const isOwnClaim = (entry: StateItem, item: BatchItem): boolean =>
  entry.state === 'claimed' &&
  entry.batch_id === item.batchId &&
  (entry.member_id === undefined || entry.member_id === item.providerCustomId);

/**
 * What claiming `claim`'s member at `now` decides, given its ledger entry (undefined when
 * there is none). It takes an entry that is absent (a request seen for the first time), only
 * a refusal (an invalid message never reserves an id), or `pending` with the same hash (a
 * request registered before it was packed) that the realtime lane is not serving. Anything
 * else stands: this member's own claim, the same request held elsewhere (a duplicate,
 * folded), or another request (a conflict, refused).
 *
 * A `pending` entry may be the realtime lane's already: its collector sends the job before it
 * marks the entry `realtime`, so a worker can lease it (or even deliver it) while it is still
 * `pending`, and a retry of that collector may then choose the batch lane for it. A live lease
 * (`realtime_lease_until` at or after `now`) or a delivery keeps it the lane's, so the request
 * is served once. A lease that ran out without a delivery is no one's: the batch takes the
 * request, and the worker's next try finds the entry `claimed` and serves nothing.
 */
const claimDecisionOf = (
  entry: StateItem | undefined,
  claim: Pick<PartMember, 'item' | 'requestHash'>,
  now: string,
): ClaimDecision => {
  if (entry === undefined) return 'take';
  if (entry.state === 'rejecting' || entry.state === 'rejected') return 'take';
  const sameRequest = entry.request_hash === claim.requestHash;
  if (entry.state === 'pending' && sameRequest && !realtimeServes(entry, now)) return 'take';
  if (isOwnClaim(entry, claim.item)) return 'claimed';
  return sameRequest ? 'held' : 'conflict';
};

/** What a claim answers its caller for a decision: a taken entry is now this member's. */
const memberClaimOf = (decision: ClaimDecision): Exclude<MemberClaim, 'unstorable'> =>
  decision === 'take' ? 'claimed' : decision;

/** The entry a claim writes: `claimed` by the member's batch and the member itself. */
const claimedEntryOf = ({ item, requestHash, expiresAt }: PartMember): StateItem => ({
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
});

/**
 * {@link claimDecisionOf}'s `take`, clause by clause, as DynamoDB evaluates it: absent;
 * a refusal; `pending` with this hash and not served by the realtime lane (no delivery, and no
 * lease or one before `:now`; ISO times compare as strings).
 */
const CLAIM_TAKES = [
  IS_NEW,
  '#state IN (:rejecting, :rejected)',
  `(#state = :pending AND request_hash = :hash AND ${UNSET('delivered_at')} AND (attribute_not_exists(realtime_lease_until) OR realtime_lease_until < :now))`,
].join(' OR ');

/**
 * The one write that makes a request a member of a batch: the member's ledger entry, put
 * `claimed` under {@link CLAIM_TAKES}, returning the entry it found when refused (judge it with
 * {@link refusedClaimOf}).
 */
const ledgerClaimPut = (tableName: string, claim: PartMember, now: string) => ({
  TableName: tableName,
  Item: claimedEntryOf(claim),
  ConditionExpression: CLAIM_TAKES,
  ExpressionAttributeNames: { ...PK_NAME, '#state': 'state' },
  ExpressionAttributeValues: {
    ':rejecting': 'rejecting',
    ':rejected': 'rejected',
    ':pending': 'pending',
    ':hash': claim.requestHash,
    ':nullType': 'NULL',
    ':now': now,
  },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

/**
 * What a refused {@link ledgerClaimPut} means, by {@link claimDecisionOf} on the entry the
 * refusal returned: `retry` when it returned none (the entry was swept between the condition
 * and now, so the id is free again). The returned entry is the one the condition was
 * evaluated against, so a decision to take it means the condition and the decision disagree:
 * a defect, refused loudly rather than answered either way.
 */
const refusedClaimOf = (
  old: StateItem | null,
  claim: PartMember,
  now: string,
): Exclude<MemberClaim, 'unstorable'> | 'retry' => {
  const decision = claimDecisionOf(old ?? undefined, claim, now);
  if (decision === 'take') {
    if (old === null) return 'retry';
    throw new ConflictError('the ledger claim condition refused an entry its rule would take', {
      code: 'claim_rule_mismatch',
      details: { batchId: claim.item.batchId, member: claim.item.providerCustomId },
    });
  }
  return decision;
};

export {
  CLAIM_TAKES,
  type ClaimDecision,
  claimDecisionOf,
  claimedEntryOf,
  ledgerClaimPut,
  memberClaimOf,
  refusedClaimOf,
};
