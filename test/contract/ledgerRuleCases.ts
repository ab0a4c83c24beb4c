import type { ClaimDecision } from '../../shared/adapters/aws/state/ledgerClaimRule.js';
import { requestToItem, type StateItem } from '../../shared/adapters/aws/stateItemCodec.js';
import type { RequestState } from '../../shared/domain/records.js';
import type { RegisterOutcome, RegisterRequestInput } from '../../shared/ports/RequestLedger.js';
import { ACCEPTED, EXPIRES } from './stateFixtures.js';

/**
 * The ledger rules' decision tables: entry states, each with what the rule decides. Each row is
 * judged by the decision function, by the in-memory fake and by the DynamoDB adapter on
 * DynamoDB Local (`LedgerRulesContract.ts`), so a condition expression and the decision it
 * stands for cannot drift apart unseen.
 */

/** The hash of the request every row's claim or registration carries. */
const HASH = 'h-this';
/** When the claims are made: a lease is live at or after it. */
const NOW = '2026-11-26T10:00:30.000Z';
const BEFORE = '2026-11-26T10:00:29.999Z';
const AFTER = '2026-11-26T10:05:00.000Z';
/** The batch and member every claim row claims for. */
const BATCH = 'b-rules';
const MEMBER = 'r000001';

/** A ledger entry as stored, its id to be given: a state, a hash, and whatever else it holds. */
interface EntryShape {
  readonly state: RequestState;
  readonly requestHash: string;
  readonly batchId?: string;
  readonly extra?: StateItem;
}

/** The stored item of an entry of the default producer under `customId`. */
const entryItemOf = (customId: string, shape: EntryShape): StateItem => ({
  ...requestToItem({
    producer: '',
    customId,
    requestHash: shape.requestHash,
    state: shape.state,
    batchId: shape.batchId ?? null,
    acceptedAt: ACCEPTED,
    expiresAt: EXPIRES,
  }),
  ...shape.extra,
});

interface ClaimCase {
  readonly name: string;
  readonly entry: EntryShape | undefined;
  readonly decision: ClaimDecision;
}

const pending = (extra?: StateItem): EntryShape => ({ state: 'pending', requestHash: HASH, extra });
const claimedBy = (batchId: string, extra?: StateItem, requestHash = HASH): EntryShape => ({
  state: 'claimed',
  requestHash,
  batchId,
  extra,
});

const CLAIM_CASES: readonly ClaimCase[] = [
  { name: 'no entry', entry: undefined, decision: 'take' },
  {
    name: 'a refusal of another request',
    entry: { state: 'rejecting', requestHash: 'h-other' },
    decision: 'take',
  },
  {
    name: 'a refusal marked out',
    entry: { state: 'rejected', requestHash: HASH },
    decision: 'take',
  },
  { name: 'pending, no lease', entry: pending(), decision: 'take' },
  {
    name: 'pending, a lease run out',
    entry: pending({ realtime_lease_until: BEFORE }),
    decision: 'take',
  },
  {
    name: 'pending, delivered_at still NULL',
    entry: pending({ delivered_at: null }),
    decision: 'take',
  },
  {
    name: 'pending, a lease to this very instant',
    entry: pending({ realtime_lease_until: NOW }),
    decision: 'held',
  },
  {
    name: 'pending, a live lease',
    entry: pending({ realtime_lease_until: AFTER }),
    decision: 'held',
  },
  {
    name: 'pending, a lease of NULL (never lapses)',
    entry: pending({ realtime_lease_until: null }),
    decision: 'held',
  },
  { name: 'pending, delivered', entry: pending({ delivered_at: BEFORE }), decision: 'held' },
  {
    name: 'pending, delivered after its lease ran out',
    entry: pending({ delivered_at: BEFORE, realtime_lease_until: BEFORE }),
    decision: 'held',
  },
  {
    name: 'pending, another request',
    entry: { state: 'pending', requestHash: 'h-other' },
    decision: 'conflict',
  },
  { name: 'realtime', entry: { state: 'realtime', requestHash: HASH }, decision: 'held' },
  {
    name: 'realtime, another request',
    entry: { state: 'realtime', requestHash: 'h-other' },
    decision: 'conflict',
  },
  {
    name: 'claimed by this member',
    entry: claimedBy(BATCH, { member_id: MEMBER }),
    decision: 'claimed',
  },
  {
    name: 'claimed by this batch before members were named',
    entry: claimedBy(BATCH),
    decision: 'claimed',
  },
  {
    name: 'claimed by another member of this batch',
    entry: claimedBy(BATCH, { member_id: 'r000009' }),
    decision: 'held',
  },
  {
    name: 'claimed by another batch',
    entry: claimedBy('b-else', { member_id: MEMBER }),
    decision: 'held',
  },
  {
    name: 'another request claimed by another batch',
    entry: claimedBy('b-else', { member_id: MEMBER }, 'h-other'),
    decision: 'conflict',
  },
];

interface RegisterCase {
  readonly name: string;
  readonly entry: EntryShape | undefined;
  readonly state: RegisterRequestInput['state'];
  readonly kind: RegisterOutcome['kind'];
}

const REGISTER_CASES: readonly RegisterCase[] = [
  { name: 'no entry, a valid request', entry: undefined, state: 'pending', kind: 'new' },
  { name: 'no entry, a refused request', entry: undefined, state: 'rejecting', kind: 'new' },
  {
    name: 'a refusal of another request, then a valid one',
    entry: { state: 'rejecting', requestHash: 'h-other' },
    state: 'pending',
    kind: 'new',
  },
  {
    name: 'a refusal marked out, then the same request valid',
    entry: { state: 'rejected', requestHash: HASH },
    state: 'pending',
    kind: 'new',
  },
  {
    name: 'a refusal resent',
    entry: { state: 'rejecting', requestHash: HASH },
    state: 'rejecting',
    kind: 'duplicate',
  },
  {
    name: 'a refusal marked out, then another refused request',
    entry: { state: 'rejected', requestHash: 'h-other' },
    state: 'rejecting',
    kind: 'conflict',
  },
  {
    name: 'pending, resent',
    entry: { state: 'pending', requestHash: HASH },
    state: 'pending',
    kind: 'pending',
  },
  {
    name: 'pending, another request',
    entry: { state: 'pending', requestHash: 'h-other' },
    state: 'pending',
    kind: 'conflict',
  },
  {
    name: 'pending, then refused under the same id',
    entry: { state: 'pending', requestHash: 'h-other' },
    state: 'rejecting',
    kind: 'conflict',
  },
  { name: 'claimed, resent', entry: claimedBy(BATCH), state: 'pending', kind: 'duplicate' },
  {
    name: 'claimed, another request',
    entry: claimedBy(BATCH, undefined, 'h-other'),
    state: 'pending',
    kind: 'conflict',
  },
  {
    name: 'realtime, resent',
    entry: { state: 'realtime', requestHash: HASH },
    state: 'pending',
    kind: 'duplicate',
  },
];

/** A mark's rows: whether it applies to the entry (`markRefused`, `markRealtime` with `HASH`). */
interface MarkCase {
  readonly name: string;
  readonly entry: EntryShape | undefined;
  readonly applies: boolean;
}

const MARK_REFUSED_CASES: readonly MarkCase[] = [
  { name: 'no entry', entry: undefined, applies: false },
  { name: 'rejecting', entry: { state: 'rejecting', requestHash: HASH }, applies: true },
  { name: 'rejected already', entry: { state: 'rejected', requestHash: HASH }, applies: false },
  { name: 'pending', entry: { state: 'pending', requestHash: HASH }, applies: false },
  { name: 'claimed', entry: claimedBy(BATCH), applies: false },
];

const MARK_REALTIME_CASES: readonly MarkCase[] = [
  { name: 'no entry', entry: undefined, applies: false },
  { name: 'pending', entry: { state: 'pending', requestHash: HASH }, applies: true },
  {
    name: 'pending under a live lease',
    entry: pending({ realtime_lease_until: AFTER }),
    applies: true,
  },
  {
    name: 'pending, another request',
    entry: { state: 'pending', requestHash: 'h-other' },
    applies: false,
  },
  { name: 'realtime already', entry: { state: 'realtime', requestHash: HASH }, applies: false },
  { name: 'claimed', entry: claimedBy(BATCH), applies: false },
  { name: 'rejecting', entry: { state: 'rejecting', requestHash: HASH }, applies: false },
];

export {
  BATCH,
  CLAIM_CASES,
  type ClaimCase,
  type EntryShape,
  entryItemOf,
  HASH,
  MARK_REALTIME_CASES,
  MARK_REFUSED_CASES,
  type MarkCase,
  MEMBER,
  NOW,
  REGISTER_CASES,
  type RegisterCase,
};
