import type { BatchItem, ItemCost, ItemStatus } from '../domain/records.js';

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

/**
 * What a batch holds once sealed: its members (from the parts' sidecars) and an item per
 * exception (sent again, escalated, not taken by its destination, delivered out of the checkpoint).
 * Every method is safe to call again after a crash; conditional writes decide races.
 */
interface BatchMembers {
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

  /**
   * Takes a member of a still-running batch for the realtime lane, atomically with a check
   * that the batch is still `submitted`: once a batch has ended, its own results stand.
   * False when the batch moved on, or the member was delivered or taken already, or the batch
   * does not hold this provider custom id (then nothing is written).
   */
  escalateMember(batchId: string, providerCustomId: string, at: string): Promise<boolean>;
}

export type { BatchMembers, ItemDelivery, MemberException };
