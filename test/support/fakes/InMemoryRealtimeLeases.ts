import type { StateItem } from '../../../shared/adapters/aws/stateItemCodec.js';
import { NotFoundError } from '../../../shared/domain/errors.js';
import { ledgerIdOf } from '../../../shared/domain/producer.js';
import type { ItemDelivery } from '../../../shared/ports/BatchMembers.js';
import type {
  RealtimeLease,
  RealtimeLeases,
  RealtimeTarget,
} from '../../../shared/ports/RealtimeLeases.js';
import { InMemoryStatePort } from './InMemoryStateTable.js';

/**
 * {@link RealtimeLeases} in memory, as `DynamoDbRealtimeLeases` behaves: a request's lease on
 * its ledger entry (only while the entry is the lane's), an escalated member's on its
 * exception item, both in the shared table.
 */
class InMemoryRealtimeLeases extends InMemoryStatePort<RealtimeLeases> implements RealtimeLeases {
  async leaseRealtime(target: RealtimeTarget, until: string, now: string): Promise<RealtimeLease> {
    this.table.failIfAsked('leaseRealtime');
    const item = this.#realtimeItem(target);
    if (item === undefined) return 'missing';
    // Only while the entry is the realtime lane's (`realtime`, or `pending` until marked).
    if (target.kind === 'request' && item.state !== 'realtime' && item.state !== 'pending') {
      return 'missing';
    }
    if (typeof item.delivered_at === 'string') return 'done';
    const lease = item.realtime_lease_until;
    // As DynamoDB compares a string with `<`: a lease of another type never lapses.
    if (lease !== undefined && !(typeof lease === 'string' && lease < now)) return 'busy';
    item.realtime_lease_until = until;
    return 'leased';
  }

  async releaseRealtime(target: RealtimeTarget): Promise<void> {
    this.table.failIfAsked('releaseRealtime');
    const item = this.#realtimeItem(target);
    if (item !== undefined) delete item.realtime_lease_until;
  }

  async finishRealtime(
    target: RealtimeTarget,
    delivery: Omit<ItemDelivery, 'providerCustomId'>,
  ): Promise<void> {
    this.table.failIfAsked('finishRealtime');
    const item = this.#realtimeItem(target);
    if (item === undefined) {
      const where =
        target.kind === 'request'
          ? `REQ#${ledgerIdOf(target.producer, target.customId)}/REQ`
          : `BATCH#${target.batchId}/ITEM#${target.providerCustomId}`;
      throw new NotFoundError(`realtime target ${where} does not exist`, { code: 'not_found' });
    }
    item.status = delivery.status;
    item.delivered_at = delivery.deliveredAt;
    item.cost = structuredClone(delivery.cost ?? null);
    delete item.realtime_lease_until;
  }

  #realtimeItem(target: RealtimeTarget): StateItem | undefined {
    return target.kind === 'request'
      ? this.table.ledgerEntry(ledgerIdOf(target.producer, target.customId))
      : this.table.exceptionsOfBatch(target.batchId).get(target.providerCustomId);
  }
}

export { InMemoryRealtimeLeases };
