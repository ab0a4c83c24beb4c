import { NotFoundError } from '../../../domain/errors.js';
import type { ItemDelivery } from '../../../ports/BatchMembers.js';
import type {
  RealtimeLease,
  RealtimeLeases,
  RealtimeTarget,
} from '../../../ports/RealtimeLeases.js';
import { itemKey, requestKey, type StateItem } from '../stateItemCodec.js';
import {
  EXISTS,
  PK_NAME,
  StateTableAccess,
  type StateTableOptions,
  UNSET,
} from './StateTableAccess.js';

/** The item a target's lease is kept on: the request's ledger entry, or the member's exception. */
const realtimeKey = (target: RealtimeTarget) =>
  target.kind === 'request'
    ? requestKey(target.producer, target.customId)
    : itemKey(target.batchId, target.providerCustomId);

/** The states of a ledger entry the realtime lane may serve (see `leaseRealtime`). */
const REALTIME_STATES: readonly unknown[] = ['realtime', 'pending'];

/** What a lease that was not taken found, from the item as it stood. */
const refusedLease = (target: RealtimeTarget, old: StateItem | null): RealtimeLease => {
  if (old === null) return 'missing';
  if (target.kind === 'request' && !REALTIME_STATES.includes(old.state)) return 'missing';
  return typeof old.delivered_at === 'string' ? 'done' : 'busy';
};

/**
 * {@link RealtimeLeases} on the state table: a request's lease is kept on its ledger entry
 * (`REQ#…`, the `RequestLedger`'s item), an escalated member's on its exception item
 * (`BATCH#<batchId>/ITEM#<id>`, made by `escalateMember`): one table, so the lease, the
 * delivery and the entry are one item.
 */
class DynamoDbRealtimeLeases implements RealtimeLeases {
  readonly #table: StateTableAccess;

  constructor(options: StateTableOptions) {
    this.#table = new StateTableAccess(options);
  }

  async leaseRealtime(target: RealtimeTarget, until: string, now: string): Promise<RealtimeLease> {
    // A request is the lane's only while its entry says so: a `claimed` one is a batch's.
    const isRealtime = target.kind === 'request' ? ' AND #state IN (:realtime, :pending)' : '';
    const outcome = await this.#table.updateIf(realtimeKey(target), {
      ConditionExpression: `${EXISTS}${isRealtime} AND ${UNSET('delivered_at')} AND (attribute_not_exists(realtime_lease_until) OR realtime_lease_until < :now)`,
      UpdateExpression: 'SET realtime_lease_until = :until',
      ExpressionAttributeNames: { ...PK_NAME, ...(isRealtime === '' ? {} : { '#state': 'state' }) },
      ExpressionAttributeValues: {
        ':nullType': 'NULL',
        ':now': now,
        ':until': until,
        ...(isRealtime === '' ? {} : { ':realtime': 'realtime', ':pending': 'pending' }),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    return outcome.applied ? 'leased' : refusedLease(target, outcome.old);
  }

  async releaseRealtime(target: RealtimeTarget): Promise<void> {
    // Not applied when the target is gone: no lease left to release.
    await this.#table.updateIf(realtimeKey(target), {
      ConditionExpression: EXISTS,
      UpdateExpression: 'REMOVE realtime_lease_until',
      ExpressionAttributeNames: PK_NAME,
    });
  }

  async finishRealtime(
    target: RealtimeTarget,
    delivery: Omit<ItemDelivery, 'providerCustomId'>,
  ): Promise<void> {
    const key = realtimeKey(target);
    const outcome = await this.#table.updateIf(key, {
      ConditionExpression: EXISTS,
      UpdateExpression:
        'SET #status = :status, delivered_at = :at, #cost = :cost REMOVE realtime_lease_until',
      ExpressionAttributeNames: { ...PK_NAME, '#status': 'status', '#cost': 'cost' },
      ExpressionAttributeValues: {
        ':status': delivery.status,
        ':at': delivery.deliveredAt,
        ':cost': delivery.cost ?? null,
      },
    });
    if (!outcome.applied) {
      throw new NotFoundError(`realtime target ${Object.values(key).join('/')} does not exist`, {
        code: 'not_found',
      });
    }
  }
}

export { DynamoDbRealtimeLeases };
