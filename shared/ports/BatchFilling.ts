import type { PartMemberLine } from '../domain/partMembers.js';
import type { BatchEstimate, BatchPart, BatchRecord } from '../domain/records.js';

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
 * holds the same request elsewhere (`held`: another member or batch, the realtime lane, even
 * while still `pending` under a worker's lease, a duplicate to fold); or it holds another request under the same id (`conflict`: refused). Or
 * the store refuses to hold the request for something in the request itself (`unstorable`:
 * an item DynamoDB will not take), which no retry changes.
 */
type MemberClaim = 'claimed' | 'held' | 'conflict' | 'unstorable';

/**
 * How a batch fills across collector invocations: the group's current `filling` batch, its
 * parts (reserved, opened, claimed into, committed) and sealing. A part's members live in its
 * sidecar in the bucket; claiming one puts its ledger entry.
 * Every method is safe to call again after a crash; conditional writes decide races.
 */
interface BatchFilling {
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
   * `pending` entry of the same request). A `pending` entry a realtime worker holds a lease on
   * at `now` (its collector sent the job, then died before marking it `realtime`, and a retry
   * chose the batch lane), or has delivered, is the realtime lane's: `held`, never claimed,
   * so the request is served once. Each claim is one conditional write, with no read before
   * it. Returns what each claim found (see {@link MemberClaim}); an index whose claim was not
   * `claimed` then holds no member. Throws `ConflictError` with code `part_sealed` when the
   * part is already sealed (sealing then settles it from the sidecar with the same puts).
   */
  claimPartMembers(
    batchId: string,
    partNo: number,
    members: readonly PartMember[],
    now: string,
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
   * is put again, leases judged at `now`: the ledger entry decides membership), so its
   * `claimed` and `voids` are then exact too.
   */
  sealParts(batchId: string, partCount: number, now: string): Promise<BatchPart[]>;
}

export type { BatchFilling, MemberClaim, PartMember, PartReservation, ReservedPart };
