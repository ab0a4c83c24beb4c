import type { PartMemberLine } from '../domain/partMembers.js';
import type {
  BatchEstimate,
  BatchItem,
  BatchPart,
  BatchRecord,
  ItemCost,
  ItemStatus,
  RequestRecord,
  RequestState,
} from '../domain/records.js';

/** What registering a caller `custom_id` found. */
type RegisterOutcome =
  /** First time this id is seen: recorded with the given state. */
  | { readonly kind: 'new' }
  /** Same request seen before and still `pending` (an earlier try crashed before claiming it). */
  | { readonly kind: 'pending'; readonly existing: RequestRecord }
  /** Same request already claimed by a batch or rejected: fold it silently. */
  | { readonly kind: 'duplicate'; readonly existing: RequestRecord }
  /** Same id, different request: refuse, never deliver twice. */
  | { readonly kind: 'conflict'; readonly existing: RequestRecord };

interface RegisterRequestInput {
  /** Who sent it: ids are the producer's own (see `ledgerIdOf`). */
  readonly producer: string;
  readonly customId: string;
  readonly requestHash: string;
  readonly state: Extract<RequestState, 'pending' | 'rejecting'>;
  readonly acceptedAt: string;
  readonly expiresAt: number;
}

/** What the realtime lane works on: a request sent there at intake, or an escalated member. */
type RealtimeTarget =
  | { readonly kind: 'request'; readonly producer: string; readonly customId: string }
  | { readonly kind: 'member'; readonly batchId: string; readonly providerCustomId: string };

/** What taking a realtime target found. */
type RealtimeLease = 'leased' | 'busy' | 'done' | 'missing';

/** Fields of a batch an update may change. `version` is bumped by the store. */
type BatchPatch = Partial<Omit<BatchRecord, 'batchId' | 'version' | 'provider' | 'endpoint'>>;

interface ItemDelivery {
  readonly providerCustomId: string;
  readonly status: ItemStatus;
  readonly deliveredAt: string;
  /** What the delivered outcome cost (absent for members moved to a retry batch). */
  readonly cost?: ItemCost;
}

/** What a member's exception item says: these fields of the member, as they now stand. */
type MemberException = Pick<
  BatchItem,
  'status' | 'deliveredAt' | 'escalatedAt' | 'cost' | 'retryAt' | 'undeliveredAt'
>;

/** What a collector invocation asks a `filling` batch for. */
interface PartReservation {
  readonly requests: number;
  readonly bytes: number;
  /** Added to the batch's estimate, so admission counts it while the batch fills. */
  readonly estimate: BatchEstimate;
  /** The batch may not go past these (the provider's limits, or the deployment's caps). */
  readonly maxRequests: number;
  readonly maxBytes: number;
}

/** A reserved part: its number and first index, and the batch's totals with it. */
interface ReservedPart {
  readonly partNo: number;
  readonly firstIndex: number;
  readonly batchRequests: number;
  readonly batchBytes: number;
}

/**
 * A member to claim into a part, as its part's sidecar holds it (see `partMembers.ts`): its
 * ledger entry is written from these.
 */
type PartMember = PartMemberLine;

/**
 * What claiming a member found in the ledger: the entry is now this member's (`claimed`); it
 * holds the same request elsewhere (`held`: another member or batch, the realtime lane, a
 * duplicate to fold); or it holds another request under the same id (`conflict`: refused). Or
 * the store refuses to hold the request for something in the request itself (`unstorable`:
 * an item DynamoDB will not take), which no retry changes.
 */
type MemberClaim = 'claimed' | 'held' | 'conflict' | 'unstorable';

/**
 * Durable state: the idempotency ledger, batches and what they hold (their parts' sidecars
 * in the bucket, and an item per exception).
 * Every method is safe to call again after a crash; conditional writes decide races.
 */
interface StateStore {
  /**
   * Records a producer's id, or reports what an earlier registration of it found. A `pending`
   * registration takes over an id whose entry is a refusal (`rejecting`, `rejected`): an
   * invalid message never reserves an id.
   */
  registerRequest(input: RegisterRequestInput): Promise<RegisterOutcome>;

  /**
   * `registerRequest` for many distinct ids at once (one round trip per hundred in the
   * common case where they are all new); outcomes in the order given.
   */
  registerRequests(inputs: readonly RegisterRequestInput[]): Promise<RegisterOutcome[]>;

  /** Records that a refused request's result and event are out (`rejecting` → `rejected`). */
  markRefused(producer: string, customId: string): Promise<void>;

  /** Creates a batch record; throws `ConflictError` if the id exists. */
  createBatch(batch: BatchRecord): Promise<void>;

  getBatch(batchId: string): Promise<BatchRecord | null>;

  /**
   * Applies `patch` if the stored version is still `expectedVersion`; returns the new record.
   * Throws `ConflictError` when another writer got there first.
   */
  updateBatch(batchId: string, expectedVersion: number, patch: BatchPatch): Promise<BatchRecord>;

  /** Batches not yet completed whose `nextPollAt` is at or before `now`, oldest first. */
  listDueBatches(now: string, limit: number): Promise<BatchRecord[]>;

  /**
   * The members of a batch with these provider custom ids, with what their exception items
   * say (escalated, delivered by the realtime lane, sent again); missing ones are absent.
   */
  getItems(batchId: string, providerCustomIds: readonly string[]): Promise<Map<string, BatchItem>>;

  /**
   * Every member of a batch, a page at a time, with what its exception item says. While the
   * batch fills, a part still being claimed yields every member it may hold.
   */
  listItems(batchId: string): AsyncIterable<BatchItem[]>;

  /** The exception items of these members (absent: the member has none). */
  exceptionsOf(
    batchId: string,
    providerCustomIds: readonly string[],
  ): Promise<Map<string, MemberException>>;

  /**
   * Records that these members will be sent again (`retryAt`), before completion's checkpoint
   * passes their results; their move to a retry batch follows (`moveToRetryBatch`).
   */
  markForRetry(batchId: string, providerCustomIds: readonly string[], at: string): Promise<void>;

  /**
   * Records that a destination did not take these members' results (`undeliveredAt`), before
   * completion's checkpoint passes them: a later run delivers them again.
   */
  markUndelivered(batchId: string, providerCustomIds: readonly string[], at: string): Promise<void>;

  /**
   * Records members with an exception item delivered (status, time, cost): they are counted
   * from their items, not from the checkpoint.
   */
  recordDeliveries(batchId: string, deliveries: readonly ItemDelivery[]): Promise<void>;

  /**
   * Hands a member on to a retry batch, atomically: the old item becomes `retried`, the new
   * item is written, and the ledger entry points at the new batch. Returns false when the old
   * item was already delivered or moved (a rerun after a crash), true when this call moved it.
   */
  moveToRetryBatch(from: BatchItem, to: BatchItem, movedAt: string): Promise<boolean>;

  /** The `filling` batch that requests of a group (see `batchGroupKey`) go to, if any. */
  currentFillingBatch(groupKey: string): Promise<string | null>;

  /**
   * Points a group at a new `filling` batch, if it still points at `replacing` (null: at
   * none). False when another collector moved it first; that batch is then the one to use.
   */
  setFillingBatch(groupKey: string, batchId: string, replacing: string | null): Promise<boolean>;

  /**
   * Atomically adds a part to a `filling` batch: its request and byte counts and estimate
   * are added, and the part gets the next number and the next run of member indexes. Null
   * when the batch is no longer filling or the part would take it past its limits.
   */
  reservePart(batchId: string, reservation: PartReservation): Promise<ReservedPart | null>;

  /**
   * `filling` → `sealing`: the batch takes no more parts; it is due to the poller at
   * `nextPollAt` should the caller die before it is submitted. Returns the batch as it now
   * stands, or null when it was not filling (another caller is sealing it).
   */
  stopFilling(batchId: string, nextPollAt: string): Promise<BatchRecord | null>;

  /**
   * Records a reserved part whose object is written, `open` for claims. False when the
   * batch's sealing got there first (the part then stays out of the batch).
   */
  openPart(part: BatchPart): Promise<boolean>;

  /**
   * Claims members into an open part whose sidecar is written: each member's ledger entry is
   * put `claimed` by the batch and member (creating it, or taking over a refusal or a
   * `pending` entry of the same request). Returns what each claim found (see
   * {@link MemberClaim}); an index whose claim was not `claimed` then holds no member. Throws
   * `ConflictError` with code `part_sealed` when the part is already sealed (sealing then
   * settles it from the sidecar with the same puts).
   */
  claimPartMembers(
    batchId: string,
    partNo: number,
    members: readonly PartMember[],
  ): Promise<MemberClaim[]>;

  /**
   * Records how many members of an open part were claimed and which indexes hold none
   * (nothing once it is sealed).
   */
  commitPart(
    batchId: string,
    partNo: number,
    claimed: number,
    voids?: readonly string[],
  ): Promise<void>;

  /**
   * Seals parts 1..partCount of a batch that stopped filling, including parts whose record
   * a crashed collector never wrote, and returns those that were opened. A part its collector
   * did not commit is settled from its sidecar against the ledger first (each member's claim
   * is put again: the ledger entry decides membership), so its `claimed` and `voids` are
   * then exact too.
   */
  sealParts(batchId: string, partCount: number): Promise<BatchPart[]>;

  /** `pending` → `realtime`: the request is the realtime lane's. False if it was not pending. */
  markRealtime(producer: string, customId: string, requestHash: string): Promise<boolean>;

  /**
   * Takes a member of a still-running batch for the realtime lane, atomically with a check
   * that the batch is still `submitted`: once a batch has ended, its own results stand.
   * False when the batch moved on, or the member was delivered or taken already.
   */
  escalateMember(batchId: string, providerCustomId: string, at: string): Promise<boolean>;

  /**
   * Leases a realtime target to one worker until `until`: `busy` while another worker holds
   * it, `done` once delivered, `missing` when there is no such request or member.
   */
  leaseRealtime(target: RealtimeTarget, until: string, now: string): Promise<RealtimeLease>;

  /** Hands a lease back before it runs out (the job failed for now and will be tried again). */
  releaseRealtime(target: RealtimeTarget): Promise<void>;

  /** Records a realtime target delivered, with its status and cost; the lease ends. */
  finishRealtime(
    target: RealtimeTarget,
    delivery: Omit<ItemDelivery, 'providerCustomId'>,
  ): Promise<void>;
}

export type {
  BatchPatch,
  ItemDelivery,
  MemberClaim,
  MemberException,
  PartMember,
  PartReservation,
  RealtimeLease,
  RealtimeTarget,
  RegisterOutcome,
  RegisterRequestInput,
  ReservedPart,
  StateStore,
};
