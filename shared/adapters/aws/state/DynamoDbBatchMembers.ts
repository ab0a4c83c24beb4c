import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { UnavailableError } from '../../../domain/errors.js';
import { mapWithConcurrency } from '../../../domain/mapWithConcurrency.js';
import type { BatchItem } from '../../../domain/records.js';
import type { BatchMembers, ItemDelivery, MemberException } from '../../../ports/BatchMembers.js';
import type { BlobStore } from '../../../ports/BlobStore.js';
import { awsBackoffMs } from '../backoff.js';
import {
  batchItemToItem,
  batchKey,
  isVoidSlot,
  itemKey,
  itemToBatchItem,
  itemToException,
  pagesOfMembers,
  requestKey,
  type StateItem,
  withException,
} from '../stateItemCodec.js';
import {
  ITEM_PREFIX,
  listOpenedParts,
  memberIdOfItem,
  membersOfParts,
  queryBatchPartition,
  sidecarHolds,
} from './batchPartition.js';
import {
  IS_NEW,
  PK_NAME,
  StateTableAccess,
  type StateTableOptions,
  UNSET,
} from './StateTableAccess.js';

/** BatchGetItem accepts at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;

interface DynamoDbBatchMembersOptions extends StateTableOptions {
  /**
   * batchlane's bucket: what a batch holds is read from its parts' sidecars there (see
   * `partMembers.ts`), and only exceptions have items.
   */
  readonly blobs: BlobStore;
  /** Members per page of {@link DynamoDbBatchMembers.listItems} (default 500). */
  readonly itemPageSize?: number;
  /** Parallel UpdateItem calls in `markForRetry`, `markUndelivered`, `recordDeliveries` (default 16). */
  readonly writeConcurrency?: number;
}

/**
 * {@link BatchMembers} on the state table. A batch's members are its parts' sidecar objects in
 * the bucket, less each part's void indexes (parts are `BATCH#<batchId>/PART#<n>`, written by
 * `DynamoDbBatchFilling`); only exceptions (a member escalated, sent again, moved to a retry
 * batch, or a retry batch's own members) have an item, `BATCH#<batchId>/ITEM#<providerCustomId>`,
 * which overrides what the sidecar says. Moving a member to a retry batch also moves its
 * ledger entry (`REQ#…`, the `RequestLedger`'s), in the same transaction: one table.
 */
class DynamoDbBatchMembers implements BatchMembers {
  readonly #table: StateTableAccess;
  readonly #blobs: BlobStore;
  readonly #itemPageSize: number;
  readonly #writeConcurrency: number;

  constructor(options: DynamoDbBatchMembersOptions) {
    this.#table = new StateTableAccess(options);
    this.#blobs = options.blobs;
    this.#itemPageSize = options.itemPageSize ?? 500;
    this.#writeConcurrency = options.writeConcurrency ?? 16;
  }

  /**
   * Members of a batch by provider custom id: exception items first (one BatchGetItem per
   * hundred), then the sidecars of the parts that hold the others. Missing ones are absent.
   */
  async getItems(
    batchId: string,
    providerCustomIds: readonly string[],
  ): Promise<Map<string, BatchItem>> {
    // BatchGetItem rejects a request that names the same key twice.
    const unique = [...new Set(providerCustomIds)];
    const exceptions = await this.#getExceptions(batchId, unique);
    const found = new Map<string, BatchItem>();
    const wanted = new Set<string>();
    for (const id of unique) {
      const item = exceptions.get(id);
      if (item !== undefined && typeof item.custom_id === 'string') {
        found.set(id, itemToBatchItem(item));
      } else {
        wanted.add(id);
      }
    }
    if (wanted.size === 0) return found;
    const indexes = [...wanted].map((id) => Number.parseInt(id.slice(1), 10));
    const parts = (await listOpenedParts(this.#table, batchId)).filter((part) =>
      indexes.some((i) => i >= part.firstIndex && i < part.firstIndex + part.requestCount),
    );
    for await (const member of membersOfParts(this.#blobs, parts)) {
      if (!wanted.has(member.providerCustomId)) continue;
      const item = exceptions.get(member.providerCustomId);
      found.set(member.providerCustomId, item === undefined ? member : withException(member, item));
    }
    return found;
  }

  /**
   * Every member of a batch, a page at a time: the parts' sidecars in order, each member
   * overlaid with its exception item, then the members that are items alone (a retry batch's).
   */
  async *listItems(batchId: string): AsyncIterable<BatchItem[]> {
    const exceptions = new Map<string, StateItem>();
    for await (const page of queryBatchPartition(this.#table, batchId, ITEM_PREFIX)) {
      for (const item of page) {
        // Void slots (indexes that held no member, before sidecars) are bookkeeping.
        if (!isVoidSlot(item)) exceptions.set(memberIdOfItem(item), item);
      }
    }
    const parts = await listOpenedParts(this.#table, batchId);
    yield* pagesOfMembers(membersOfParts(this.#blobs, parts), exceptions, this.#itemPageSize);
  }

  async exceptionsOf(
    batchId: string,
    providerCustomIds: readonly string[],
  ): Promise<Map<string, MemberException>> {
    const items = await this.#getExceptions(batchId, [...new Set(providerCustomIds)]);
    return new Map([...items].map(([id, item]) => [id, itemToException(item)]));
  }

  async #getExceptions(batchId: string, ids: readonly string[]): Promise<Map<string, StateItem>> {
    const table = this.#table;
    const found = new Map<string, StateItem>();
    for (let offset = 0; offset < ids.length; offset += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] = ids
        .slice(offset, offset + BATCH_GET_LIMIT)
        .map((id) => itemKey(batchId, id));
      for (let attempt = 1; keys.length > 0; attempt++) {
        if (attempt > table.maxAttempts) {
          throw new UnavailableError(
            `BatchGetItem left ${keys.length} keys unprocessed after ${table.maxAttempts} tries`,
            { code: 'unavailable', details: { batchId, unprocessed: keys.length } },
          );
        }
        if (attempt > 1) await table.sleep(awsBackoffMs(attempt, 50, 2_000));
        try {
          const response = await table.client.send(
            new BatchGetCommand({
              RequestItems: { [table.tableName]: { Keys: keys, ConsistentRead: true } },
            }),
          );
          for (const item of response.Responses?.[table.tableName] ?? []) {
            if (isVoidSlot(item)) continue;
            found.set(memberIdOfItem(item), item);
          }
          keys = response.UnprocessedKeys?.[table.tableName]?.Keys ?? [];
        } catch (error) {
          throw table.translate(error, 'BatchGetItem', batchKey(batchId));
        }
      }
    }
    return found;
  }

  /**
   * Records that completion will send these members again (an exception item each, made if
   * absent), before its checkpoint passes their results: a rerun that resumes after them
   * still moves them to the retry batch.
   */
  markForRetry(batchId: string, providerCustomIds: readonly string[], at: string): Promise<void> {
    return this.#markExceptions(batchId, providerCustomIds, 'retry_at', at);
  }

  /**
   * Records that a destination did not take these members' results (an exception item each),
   * before completion's checkpoint passes them: a later run delivers them again.
   */
  markUndelivered(
    batchId: string,
    providerCustomIds: readonly string[],
    at: string,
  ): Promise<void> {
    return this.#markExceptions(batchId, providerCustomIds, 'undelivered_at', at);
  }

  #markExceptions(
    batchId: string,
    providerCustomIds: readonly string[],
    attribute: 'retry_at' | 'undelivered_at',
    at: string,
  ): Promise<void> {
    return this.#updateEach([...new Set(providerCustomIds)], (id) =>
      this.#table.update(itemKey(batchId, id), {
        // The first time stands: a rerun marking it again changes nothing.
        UpdateExpression: `SET ${attribute} = if_not_exists(${attribute}, :at)`,
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }

  /**
   * Records exception members delivered, with their status and cost, on their items (made if
   * absent): a member whose first delivery failed is counted from its item, not from the
   * checkpoint that passed it. Recording one again writes the same values.
   */
  recordDeliveries(batchId: string, deliveries: readonly ItemDelivery[]): Promise<void> {
    // The last record for a member wins, as it would in sequence.
    const unique = [...new Map(deliveries.map((d) => [d.providerCustomId, d])).values()];
    return this.#updateEach(unique, (delivery) =>
      this.#table.update(itemKey(batchId, delivery.providerCustomId), {
        UpdateExpression: 'SET #status = :status, delivered_at = :at, #cost = :cost',
        ExpressionAttributeNames: { '#status': 'status', '#cost': 'cost' },
        ExpressionAttributeValues: {
          ':status': delivery.status,
          ':at': delivery.deliveredAt,
          ':cost': delivery.cost ?? null,
        },
      }),
    );
  }

  /** One write per entry, `writeConcurrency` in flight; the first failure is thrown. */
  async #updateEach<T>(entries: readonly T[], write: (entry: T) => Promise<void>): Promise<void> {
    const outcomes = await mapWithConcurrency(entries, this.#writeConcurrency, write);
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async moveToRetryBatch(from: BatchItem, to: BatchItem, movedAt: string): Promise<boolean> {
    const tableName = this.#table.tableName;
    const reasons = await this.#table.transact(
      [
        {
          // The old member must still be undelivered: a rerun must not move it twice. Its
          // exception item is made here if completion did not make one first.
          Update: {
            TableName: tableName,
            Key: itemKey(from.batchId, from.providerCustomId),
            // Items are written with `delivered_at: null` until delivered.
            ConditionExpression: UNSET('delivered_at'),
            UpdateExpression: 'SET #status = :retried, delivered_at = :at, retried_in = :to',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':nullType': 'NULL',
              ':retried': 'retried',
              ':at': movedAt,
              ':to': to.batchId,
            },
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: batchItemToItem(to),
            ConditionExpression: IS_NEW,
            ExpressionAttributeNames: PK_NAME,
          },
        },
        {
          // The ledger entry follows the member (the `RequestLedger`'s item, in this table).
          Update: {
            TableName: tableName,
            Key: requestKey(from.producer, from.customId),
            ConditionExpression: 'batch_id = :from',
            UpdateExpression: 'SET batch_id = :to, member_id = :member',
            ExpressionAttributeValues: {
              ':from': from.batchId,
              ':to': to.batchId,
              ':member': to.providerCustomId,
            },
          },
        },
      ],
      `BATCH#${from.batchId}`,
    );
    return reasons === null;
  }

  /**
   * A member held by a sidecar gets an exception item; any other id must already be a whole
   * member item (a retry batch's member, or one written before sidecars): the condition says
   * so, and an id the batch does not hold writes nothing. Reading the parts costs a query of
   * the batch's part records (a handful of items), never the sidecars.
   */
  async escalateMember(batchId: string, providerCustomId: string, at: string): Promise<boolean> {
    const inSidecar = sidecarHolds(await listOpenedParts(this.#table, batchId), providerCustomId);
    const tableName = this.#table.tableName;
    const reasons = await this.#table.transact(
      [
        {
          // Completion only starts on an ended batch: while it is `submitted` (or `open`, not
          // yet at the provider), no run can be delivering this member from its results.
          ConditionCheck: {
            TableName: tableName,
            Key: batchKey(batchId),
            ConditionExpression: '#state IN (:submitted, :open)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':submitted': 'submitted', ':open': 'open' },
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: itemKey(batchId, providerCustomId),
            // Made here for a sidecar member: its exception item (its routing stays there).
            ConditionExpression: `${UNSET('delivered_at')} AND ${UNSET('escalated_at')}${
              inSidecar ? '' : ' AND attribute_exists(custom_id)'
            }`,
            UpdateExpression: 'SET escalated_at = :at',
            ExpressionAttributeValues: { ':nullType': 'NULL', ':at': at },
          },
        },
      ],
      `BATCH#${batchId}`,
    );
    return reasons === null;
  }
}

export { DynamoDbBatchMembers, type DynamoDbBatchMembersOptions };
