import type { BatchItem, BatchPart, BatchRecord } from '../domain/records.js';
import type {
  BatchFilling,
  BatchMembers,
  BatchPatch,
  BatchRecords,
  ItemDelivery,
  MemberClaim,
  MemberException,
  PartMember,
  PartReservation,
  RealtimeLease,
  RealtimeLeases,
  RealtimeTarget,
  RegisterOutcome,
  RegisterRequestInput,
  RequestLedger,
  ReservedPart,
  StateStore,
} from '../ports/StateStore.js';

/** The five state ports one store is made of, over one table. */
interface StateStoreParts {
  readonly ledger: RequestLedger;
  readonly records: BatchRecords;
  readonly filling: BatchFilling;
  readonly members: BatchMembers;
  readonly leases: RealtimeLeases;
}

/**
 * A {@link StateStore} made of its five ports' implementations, each answering its own
 * methods. They must share one table (or one in-memory table): what one writes, the others
 * read (a member claimed while filling is in the ledger).
 */
class ComposedStateStore<Parts extends StateStoreParts = StateStoreParts> implements StateStore {
  readonly ledger: Parts['ledger'];
  readonly records: Parts['records'];
  readonly filling: Parts['filling'];
  readonly members: Parts['members'];
  readonly leases: Parts['leases'];

  constructor(parts: Parts) {
    this.ledger = parts.ledger;
    this.records = parts.records;
    this.filling = parts.filling;
    this.members = parts.members;
    this.leases = parts.leases;
  }

  registerRequest(input: RegisterRequestInput): Promise<RegisterOutcome> {
    return this.ledger.registerRequest(input);
  }

  registerRequests(inputs: readonly RegisterRequestInput[]): Promise<RegisterOutcome[]> {
    return this.ledger.registerRequests(inputs);
  }

  markRefused(producer: string, customId: string): Promise<void> {
    return this.ledger.markRefused(producer, customId);
  }

  markRealtime(producer: string, customId: string, requestHash: string): Promise<boolean> {
    return this.ledger.markRealtime(producer, customId, requestHash);
  }

  createBatch(batch: BatchRecord): Promise<void> {
    return this.records.createBatch(batch);
  }

  getBatch(batchId: string): Promise<BatchRecord | null> {
    return this.records.getBatch(batchId);
  }

  updateBatch(batchId: string, expectedVersion: number, patch: BatchPatch): Promise<BatchRecord> {
    return this.records.updateBatch(batchId, expectedVersion, patch);
  }

  listDueBatches(now: string, limit: number): Promise<BatchRecord[]> {
    return this.records.listDueBatches(now, limit);
  }

  currentFillingBatch(groupKey: string): Promise<string | null> {
    return this.filling.currentFillingBatch(groupKey);
  }

  setFillingBatch(groupKey: string, batchId: string, replacing: string | null): Promise<boolean> {
    return this.filling.setFillingBatch(groupKey, batchId, replacing);
  }

  reservePart(batchId: string, reservation: PartReservation): Promise<ReservedPart | null> {
    return this.filling.reservePart(batchId, reservation);
  }

  stopFilling(batchId: string, nextPollAt: string): Promise<BatchRecord | null> {
    return this.filling.stopFilling(batchId, nextPollAt);
  }

  openPart(part: BatchPart): Promise<boolean> {
    return this.filling.openPart(part);
  }

  claimPartMembers(
    batchId: string,
    partNo: number,
    members: readonly PartMember[],
    now: string,
  ): Promise<MemberClaim[]> {
    return this.filling.claimPartMembers(batchId, partNo, members, now);
  }

  commitPart(
    batchId: string,
    partNo: number,
    claimed: number,
    voids?: readonly string[],
  ): Promise<void> {
    return this.filling.commitPart(batchId, partNo, claimed, voids);
  }

  sealParts(batchId: string, partCount: number, now: string): Promise<BatchPart[]> {
    return this.filling.sealParts(batchId, partCount, now);
  }

  getItems(batchId: string, providerCustomIds: readonly string[]): Promise<Map<string, BatchItem>> {
    return this.members.getItems(batchId, providerCustomIds);
  }

  // A generator of its own, as the port's implementations are, so a caller (or a wrapper
  // that tells generators from calls) sees the same kind of method.
  async *listItems(batchId: string): AsyncIterable<BatchItem[]> {
    yield* this.members.listItems(batchId);
  }

  exceptionsOf(
    batchId: string,
    providerCustomIds: readonly string[],
  ): Promise<Map<string, MemberException>> {
    return this.members.exceptionsOf(batchId, providerCustomIds);
  }

  markForRetry(batchId: string, providerCustomIds: readonly string[], at: string): Promise<void> {
    return this.members.markForRetry(batchId, providerCustomIds, at);
  }

  markUndelivered(
    batchId: string,
    providerCustomIds: readonly string[],
    at: string,
  ): Promise<void> {
    return this.members.markUndelivered(batchId, providerCustomIds, at);
  }

  recordDeliveries(batchId: string, deliveries: readonly ItemDelivery[]): Promise<void> {
    return this.members.recordDeliveries(batchId, deliveries);
  }

  moveToRetryBatch(from: BatchItem, to: BatchItem, movedAt: string): Promise<boolean> {
    return this.members.moveToRetryBatch(from, to, movedAt);
  }

  escalateMember(batchId: string, providerCustomId: string, at: string): Promise<boolean> {
    return this.members.escalateMember(batchId, providerCustomId, at);
  }

  leaseRealtime(target: RealtimeTarget, until: string, now: string): Promise<RealtimeLease> {
    return this.leases.leaseRealtime(target, until, now);
  }

  releaseRealtime(target: RealtimeTarget): Promise<void> {
    return this.leases.releaseRealtime(target);
  }

  finishRealtime(
    target: RealtimeTarget,
    delivery: Omit<ItemDelivery, 'providerCustomId'>,
  ): Promise<void> {
    return this.leases.finishRealtime(target, delivery);
  }
}

export { ComposedStateStore, type StateStoreParts };
