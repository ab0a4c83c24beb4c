import { membersOfParts, sidecarHolds } from '../../../shared/adapters/aws/state/batchPartition.js';
import { isUnset } from '../../../shared/adapters/aws/state/stateExpressions.js';
import {
  batchItemToItem,
  itemToBatchItem,
  itemToException,
  pagesOfMembers,
  withException,
} from '../../../shared/adapters/aws/stateItemCodec.js';
import { ledgerIdOf } from '../../../shared/domain/producer.js';
import type { BatchItem } from '../../../shared/domain/records.js';
import type {
  BatchMembers,
  ItemDelivery,
  MemberException,
} from '../../../shared/ports/BatchMembers.js';
import { InMemoryStatePort } from './InMemoryStateTable.js';

/**
 * {@link BatchMembers} in memory, as `DynamoDbBatchMembers` behaves: members read from the
 * parts' sidecars in the table's bucket, overlaid by exception items. Moving a member to a
 * retry batch moves its ledger entry too (the shared table's, what `InMemoryRequestLedger`
 * reads), all or nothing.
 */
class InMemoryBatchMembers extends InMemoryStatePort<BatchMembers> implements BatchMembers {
  async getItems(
    batchId: string,
    providerCustomIds: readonly string[],
  ): Promise<Map<string, BatchItem>> {
    this.table.failIfAsked('getItems');
    const exceptions = this.table.exceptionsOfBatch(batchId);
    const found = new Map<string, BatchItem>();
    const wanted = new Set<string>();
    for (const id of new Set(providerCustomIds)) {
      const item = exceptions.get(id);
      if (item !== undefined && typeof item.custom_id === 'string') {
        found.set(id, itemToBatchItem(structuredClone(item)));
      } else {
        wanted.add(id);
      }
    }
    if (wanted.size === 0) return found;
    const indexes = [...wanted].map((id) => Number.parseInt(id.slice(1), 10));
    const parts = this.table
      .openedParts(batchId)
      .filter((part) =>
        indexes.some((i) => i >= part.firstIndex && i < part.firstIndex + part.requestCount),
      );
    for await (const member of membersOfParts(this.table.blobs, parts)) {
      if (!wanted.has(member.providerCustomId)) continue;
      const item = exceptions.get(member.providerCustomId);
      found.set(
        member.providerCustomId,
        item === undefined ? member : withException(member, structuredClone(item)),
      );
    }
    return found;
  }

  async *listItems(batchId: string): AsyncIterable<BatchItem[]> {
    this.table.failIfAsked('listItems');
    // In sort-key order, as the adapter's query returns them.
    const exceptions = new Map(
      [...this.table.exceptionsOfBatch(batchId)]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([id, item]) => [id, structuredClone(item)]),
    );
    const parts = this.table.openedParts(batchId);
    yield* pagesOfMembers(
      membersOfParts(this.table.blobs, parts),
      exceptions,
      this.table.itemPageSize,
    );
  }

  async exceptionsOf(
    batchId: string,
    providerCustomIds: readonly string[],
  ): Promise<Map<string, MemberException>> {
    this.table.failIfAsked('exceptionsOf');
    const exceptions = this.table.exceptionsOfBatch(batchId);
    const found = new Map<string, MemberException>();
    for (const id of new Set(providerCustomIds)) {
      const item = exceptions.get(id);
      if (item !== undefined) found.set(id, itemToException(structuredClone(item)));
    }
    return found;
  }

  async markForRetry(
    batchId: string,
    providerCustomIds: readonly string[],
    at: string,
  ): Promise<void> {
    this.table.failIfAsked('markForRetry');
    this.#markExceptions(batchId, providerCustomIds, 'retry_at', at);
  }

  async markUndelivered(
    batchId: string,
    providerCustomIds: readonly string[],
    at: string,
  ): Promise<void> {
    this.table.failIfAsked('markUndelivered');
    this.#markExceptions(batchId, providerCustomIds, 'undelivered_at', at);
  }

  #markExceptions(
    batchId: string,
    providerCustomIds: readonly string[],
    attribute: 'retry_at' | 'undelivered_at',
    at: string,
  ): void {
    for (const id of new Set(providerCustomIds)) {
      const item = this.table.exceptionItem(batchId, id);
      // The first time stands: a rerun marking it again changes nothing.
      if (item[attribute] === undefined) item[attribute] = at;
    }
  }

  async recordDeliveries(batchId: string, deliveries: readonly ItemDelivery[]): Promise<void> {
    this.table.failIfAsked('recordDeliveries');
    for (const delivery of deliveries) {
      const item = this.table.exceptionItem(batchId, delivery.providerCustomId);
      item.status = delivery.status;
      item.delivered_at = delivery.deliveredAt;
      item.cost = structuredClone(delivery.cost ?? null);
    }
  }

  async moveToRetryBatch(from: BatchItem, to: BatchItem, movedAt: string): Promise<boolean> {
    this.table.failIfAsked('moveToRetryBatch');
    // The three writes of the adapter's transaction: all their conditions, then all of them.
    const old = this.table.exceptionsOfBatch(from.batchId).get(from.providerCustomId);
    if (!isUnset(old, 'delivered_at')) return false;
    if (this.table.exceptionsOfBatch(to.batchId).has(to.providerCustomId)) return false;
    const entry = this.table.ledgerEntry(ledgerIdOf(from.producer, from.customId));
    if (entry === undefined || entry.batch_id !== from.batchId) return false;
    const moved = this.table.exceptionItem(from.batchId, from.providerCustomId);
    moved.status = 'retried';
    moved.delivered_at = movedAt;
    moved.retried_in = to.batchId;
    this.table
      .exceptionsOfBatch(to.batchId, true)
      .set(to.providerCustomId, batchItemToItem(structuredClone(to)));
    entry.batch_id = to.batchId;
    entry.member_id = to.providerCustomId;
    return true;
  }

  async escalateMember(batchId: string, providerCustomId: string, at: string): Promise<boolean> {
    this.table.failIfAsked('escalateMember');
    const state = this.table.batches.get(batchId)?.state;
    if (state !== 'submitted' && state !== 'open') return false;
    const old = this.table.exceptionsOfBatch(batchId).get(providerCustomId);
    if (!isUnset(old, 'delivered_at') || !isUnset(old, 'escalated_at')) return false;
    // A member not in a sidecar must be a whole item already: an id the batch does not hold
    // is refused, and nothing is written.
    const held =
      sidecarHolds(this.table.openedParts(batchId), providerCustomId) ||
      typeof old?.custom_id === 'string';
    if (!held) return false;
    this.table.exceptionItem(batchId, providerCustomId).escalated_at = at;
    return true;
  }
}

export { InMemoryBatchMembers };
