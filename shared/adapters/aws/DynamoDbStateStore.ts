import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { STATE_TABLE } from '../../config/stateTableSchema.js';
import { ConflictError, NotFoundError, UnavailableError } from '../../domain/errors.js';
import { mapWithConcurrency } from '../../domain/mapWithConcurrency.js';
import type { BatchItem, BatchPart, BatchRecord, RequestRecord } from '../../domain/records.js';
import type {
  BatchPatch,
  ItemDelivery,
  MemberClaim,
  PartMember,
  PartReservation,
  RealtimeLease,
  RealtimeTarget,
  RegisterOutcome,
  RegisterRequestInput,
  ReservedPart,
  StateStore,
} from '../../ports/StateStore.js';
import { awsBackoffMs, sleep as realSleep, type Sleep } from './backoff.js';
import { DynamoDbFillingBatches } from './DynamoDbFillingBatches.js';
import { isAwsErrorNamed } from './isAwsErrorNamed.js';
import {
  ACTIVE_PARTITION,
  batchItemToItem,
  batchKey,
  batchToItem,
  isVoidSlot,
  itemKey,
  itemToBatch,
  itemToBatchItem,
  itemToRequest,
  requestKey,
  requestToItem,
  type StateItem,
} from './stateItemCodec.js';
import { type TransactItems, transactWithRetries } from './transactWithRetries.js';
import { translateAwsError } from './translateAwsError.js';

/** BatchGetItem accepts at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;

/** Constructor options of {@link DynamoDbStateStore}. */
interface DynamoDbStateStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Items per page of {@link DynamoDbStateStore.listItems} (default 500). */
  readonly itemPageSize?: number;
  /** Parallel PutItem/UpdateItem calls in `registerRequests` and `markDelivered` (default 16). */
  readonly writeConcurrency?: number;
  /** Tries for UnprocessedKeys and transaction conflicts before giving up (default 8). */
  readonly maxAttempts?: number;
  readonly sleep?: Sleep;
}

/** A condition that an attribute is absent or still the NULL items are written with. */
const UNSET = (name: string): string =>
  `(attribute_not_exists(${name}) OR attribute_type(${name}, :nullType))`;

const realtimeKey = (target: RealtimeTarget): { pk: string; sk: string } =>
  target.kind === 'request'
    ? requestKey(target.producer, target.customId)
    : itemKey(target.batchId, target.providerCustomId);

/** The `Item` DynamoDB returns with ReturnValuesOnConditionCheckFailure (never unmarshalled). */
const oldItemOf = (raw: unknown): StateItem | null =>
  typeof raw === 'object' && raw !== null && Object.keys(raw).length > 0
    ? unmarshall(raw as Record<string, AttributeValue>)
    : null;

/**
 * The condition a new ledger entry is written under. A refused request holds its id only to
 * fold its own resends: a valid request of the same producer takes the id over, so an invalid
 * message never reserves an id.
 */
const registerCondition = (
  input: RegisterRequestInput,
): {
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, string>;
} =>
  input.state === 'pending'
    ? {
        ConditionExpression: 'attribute_not_exists(pk) OR #state IN (:rejecting, :rejected)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':rejecting': 'rejecting', ':rejected': 'rejected' },
      }
    : { ConditionExpression: 'attribute_not_exists(pk)' };

/** What registering `input` means, given the entry already stored for its id. */
const registrationOf = (input: RegisterRequestInput, existing: RequestRecord): RegisterOutcome => {
  if (existing.requestHash !== input.requestHash) return { kind: 'conflict', existing };
  if (existing.state === 'pending') return { kind: 'pending', existing };
  return { kind: 'duplicate', existing };
};

/**
 * {@link StateStore} on one DynamoDB table (schema in `config/stateTableSchema.ts`):
 * ledger `REQ#<producer>#<customId>/REQ` (see `ledgerIdOf`), batch `BATCH#<batchId>/BATCH` (on the `active-batches` index
 * while not completed), members `BATCH#<batchId>/ITEM#<providerCustomId>`, and the filling
 * side kept by {@link DynamoDbFillingBatches} (group pointers and parts).
 */
class DynamoDbStateStore implements StateStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #itemPageSize: number;
  readonly #writeConcurrency: number;
  readonly #maxAttempts: number;
  readonly #sleep: Sleep;
  readonly #filling: DynamoDbFillingBatches;

  constructor(options: DynamoDbStateStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#itemPageSize = options.itemPageSize ?? 500;
    this.#writeConcurrency = options.writeConcurrency ?? 16;
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#sleep = options.sleep ?? realSleep;
    this.#filling = new DynamoDbFillingBatches({
      client: this.#client,
      tableName: this.#table,
      maxAttempts: this.#maxAttempts,
      sleep: this.#sleep,
    });
  }

  currentFillingBatch(groupKey: string): Promise<string | null> {
    return this.#filling.currentFillingBatch(groupKey);
  }

  setFillingBatch(groupKey: string, batchId: string, replacing: string | null): Promise<boolean> {
    return this.#filling.setFillingBatch(groupKey, batchId, replacing);
  }

  reservePart(batchId: string, reservation: PartReservation): Promise<ReservedPart | null> {
    return this.#filling.reservePart(batchId, reservation);
  }

  stopFilling(batchId: string, nextPollAt: string): Promise<BatchRecord | null> {
    return this.#filling.stopFilling(batchId, nextPollAt);
  }

  openPart(part: BatchPart): Promise<boolean> {
    return this.#filling.openPart(part);
  }

  claimPartMembers(
    batchId: string,
    partNo: number,
    members: readonly PartMember[],
  ): Promise<MemberClaim[]> {
    return this.#filling.claimPartMembers(batchId, partNo, members);
  }

  commitPart(batchId: string, partNo: number, claimed: number): Promise<void> {
    return this.#filling.commitPart(batchId, partNo, claimed);
  }

  sealParts(batchId: string, partCount: number): Promise<BatchPart[]> {
    return this.#filling.sealParts(batchId, partCount);
  }

  async registerRequest(input: RegisterRequestInput): Promise<RegisterOutcome> {
    const record: RequestRecord = {
      producer: input.producer,
      customId: input.customId,
      requestHash: input.requestHash,
      state: input.state,
      batchId: null,
      acceptedAt: input.acceptedAt,
      expiresAt: input.expiresAt,
    };
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: requestToItem(record),
          ...registerCondition(input),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'new' };
    } catch (error) {
      if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.#translate(error, 'PutItem', requestKey(input.producer, input.customId).pk);
      }
      const old = oldItemOf((error as { Item?: unknown }).Item);
      const existing =
        old === null ? await this.#getRequest(input.producer, input.customId) : itemToRequest(old);
      if (existing === null) {
        // Deleted between our write and read (TTL sweep): the id is free again.
        return this.registerRequest(input);
      }
      return registrationOf(input, existing);
    }
  }

  /**
   * One conditional PutItem per entry, `writeConcurrency` in flight. Not a transaction: a
   * transactional write bills 2 write units per item where a plain one bills 1, the entries are
   * independent (each decides its own id), and the parallel puts keep the round trips short.
   */
  async registerRequests(inputs: readonly RegisterRequestInput[]): Promise<RegisterOutcome[]> {
    const settled = await mapWithConcurrency(inputs, this.#writeConcurrency, (input) =>
      this.registerRequest(input),
    );
    return settled.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    });
  }

  async markRefused(producer: string, customId: string): Promise<void> {
    const key = requestKey(producer, customId);
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          ConditionExpression: '#state = :rejecting',
          UpdateExpression: 'SET #state = :rejected',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':rejecting': 'rejecting', ':rejected': 'rejected' },
        }),
      );
    } catch (error) {
      // Already marked by an earlier try: nothing left to do.
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return;
      throw this.#translate(error, 'UpdateItem', key.pk);
    }
  }

  async createBatch(batch: BatchRecord): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: batchToItem(batch),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      throw this.#translate(error, 'PutItem', `BATCH#${batch.batchId}`);
    }
  }

  #transact(items: TransactItems, resource: string) {
    return transactWithRetries(this.#client, items, {
      maxAttempts: this.#maxAttempts,
      sleep: this.#sleep,
      translate: (error) => this.#translate(error, 'TransactWriteItems', resource),
    });
  }

  async moveToRetryBatch(from: BatchItem, to: BatchItem, movedAt: string): Promise<boolean> {
    const reasons = await this.#transact(
      [
        {
          // The old member must still be undelivered: a rerun must not move it twice.
          Update: {
            TableName: this.#table,
            Key: itemKey(from.batchId, from.providerCustomId),
            // Items are written with `delivered_at: null` until delivered.
            ConditionExpression:
              'attribute_exists(pk) AND (attribute_not_exists(delivered_at) OR attribute_type(delivered_at, :nullType))',
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
            TableName: this.#table,
            Item: batchItemToItem(to),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: this.#table,
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

  async getBatch(batchId: string): Promise<BatchRecord | null> {
    const item = await this.#get(batchKey(batchId));
    return item === null ? null : itemToBatch(item);
  }

  async updateBatch(
    batchId: string,
    expectedVersion: number,
    patch: BatchPatch,
  ): Promise<BatchRecord> {
    // Read, merge, then write conditioned on the version: the index keys depend on the whole
    // record (state and nextPollAt), which a partial patch alone cannot tell.
    const current = await this.getBatch(batchId);
    if (current === null) {
      throw new NotFoundError(`batch ${batchId} does not exist`, {
        code: 'not_found',
        details: { batchId },
      });
    }
    if (current.version !== expectedVersion) throw this.#versionConflict(batchId, expectedVersion);
    const defined = Object.fromEntries(
      Object.entries(patch).filter(([, value]) => value !== undefined),
    ) as BatchPatch;
    const next: BatchRecord = { ...current, ...defined, version: expectedVersion + 1 };
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: batchToItem(next),
          ConditionExpression: 'attribute_exists(pk) AND version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.#versionConflict(batchId, expectedVersion, error);
      }
      throw this.#translate(error, 'PutItem', `BATCH#${batchId}`);
    }
    return next;
  }

  async listDueBatches(now: string, limit: number): Promise<BatchRecord[]> {
    const batches: BatchRecord[] = [];
    // DynamoDB rejects Limit < 1.
    if (limit < 1) return batches;
    let startKey: Record<string, unknown> | undefined;
    do {
      try {
        const page = await this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: STATE_TABLE.activeBatchesIndex,
            KeyConditionExpression: 'gsi1pk = :active AND gsi1sk <= :now',
            ExpressionAttributeValues: { ':active': ACTIVE_PARTITION, ':now': now },
            ScanIndexForward: true,
            Limit: limit - batches.length,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) batches.push(itemToBatch(item));
        startKey = page.LastEvaluatedKey;
      } catch (error) {
        throw this.#translate(error, 'Query', STATE_TABLE.activeBatchesIndex);
      }
    } while (startKey !== undefined && batches.length < limit);
    return batches;
  }

  async getItems(
    batchId: string,
    providerCustomIds: readonly string[],
  ): Promise<Map<string, BatchItem>> {
    // BatchGetItem rejects a request that names the same key twice.
    const unique = [...new Set(providerCustomIds)];
    const found = new Map<string, BatchItem>();
    for (let offset = 0; offset < unique.length; offset += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] = unique
        .slice(offset, offset + BATCH_GET_LIMIT)
        .map((id) => itemKey(batchId, id));
      for (let attempt = 1; keys.length > 0; attempt++) {
        if (attempt > this.#maxAttempts) {
          throw new UnavailableError(
            `BatchGetItem left ${keys.length} keys unprocessed after ${this.#maxAttempts} tries`,
            { code: 'unavailable', details: { batchId, unprocessed: keys.length } },
          );
        }
        if (attempt > 1) await this.#sleep(awsBackoffMs(attempt, 50, 2_000));
        try {
          const response = await this.#client.send(
            new BatchGetCommand({
              RequestItems: { [this.#table]: { Keys: keys, ConsistentRead: true } },
            }),
          );
          for (const item of response.Responses?.[this.#table] ?? []) {
            if (isVoidSlot(item)) continue;
            const batchItem = itemToBatchItem(item);
            found.set(batchItem.providerCustomId, batchItem);
          }
          keys = response.UnprocessedKeys?.[this.#table]?.Keys ?? [];
        } catch (error) {
          throw this.#translate(error, 'BatchGetItem', `BATCH#${batchId}`);
        }
      }
    }
    return found;
  }

  async *listItems(batchId: string): AsyncIterable<BatchItem[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      let page: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> };
      try {
        page = await this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :item)',
            ExpressionAttributeValues: { ':pk': `BATCH#${batchId}`, ':item': 'ITEM#' },
            Limit: this.#itemPageSize,
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
      } catch (error) {
        throw this.#translate(error, 'Query', `BATCH#${batchId}`);
      }
      // Void slots (indexes that hold no member) are the store's own bookkeeping.
      const items = (page.Items ?? []).filter((item) => !isVoidSlot(item)).map(itemToBatchItem);
      if (items.length > 0) yield items;
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  /** The update recording one member delivered (never creating a bare item). */
  #deliveryUpdate(batchId: string, delivery: ItemDelivery) {
    return {
      TableName: this.#table,
      Key: itemKey(batchId, delivery.providerCustomId),
      ConditionExpression: 'attribute_exists(pk)',
      UpdateExpression:
        delivery.cost === undefined
          ? 'SET #status = :status, delivered_at = :at'
          : 'SET #status = :status, delivered_at = :at, #cost = :cost',
      ExpressionAttributeNames: {
        '#status': 'status',
        ...(delivery.cost === undefined ? {} : { '#cost': 'cost' }),
      },
      ExpressionAttributeValues: {
        ':status': delivery.status,
        ':at': delivery.deliveredAt,
        ...(delivery.cost === undefined ? {} : { ':cost': delivery.cost }),
      },
    };
  }

  async #markOneDelivered(batchId: string, delivery: ItemDelivery): Promise<void> {
    try {
      await this.#client.send(new UpdateCommand(this.#deliveryUpdate(batchId, delivery)));
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw new NotFoundError(
          `item ${delivery.providerCustomId} of batch ${batchId} does not exist`,
          { code: 'not_found', cause: error, details: { batchId, ...delivery } },
        );
      }
      throw this.#translate(error, 'UpdateItem', `BATCH#${batchId}`);
    }
  }

  /**
   * One UpdateItem per member, `writeConcurrency` in flight: 1 write unit each, where the same
   * update inside a transaction bills 2. Every write settles before the first failure (a
   * missing member, named) is reported, so the others are recorded either way.
   */
  async markDelivered(batchId: string, deliveries: readonly ItemDelivery[]): Promise<void> {
    // The last record for a member wins, as it would in sequence.
    const unique = [...new Map(deliveries.map((d) => [d.providerCustomId, d])).values()];
    const outcomes = await mapWithConcurrency(unique, this.#writeConcurrency, (delivery) =>
      this.#markOneDelivered(batchId, delivery),
    );
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async markRealtime(producer: string, customId: string, requestHash: string): Promise<boolean> {
    const key = requestKey(producer, customId);
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          ConditionExpression: '#state = :pending AND request_hash = :hash',
          UpdateExpression: 'SET #state = :realtime',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':realtime': 'realtime',
            ':hash': requestHash,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return false;
      throw this.#translate(error, 'UpdateItem', key.pk);
    }
  }

  async escalateMember(batchId: string, providerCustomId: string, at: string): Promise<boolean> {
    const reasons = await this.#transact(
      [
        {
          // Completion only starts on an ended batch: while it is `submitted` (or `open`, not
          // yet at the provider), no run can be delivering this member from its results.
          ConditionCheck: {
            TableName: this.#table,
            Key: batchKey(batchId),
            ConditionExpression: '#state IN (:submitted, :open)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':submitted': 'submitted', ':open': 'open' },
          },
        },
        {
          Update: {
            TableName: this.#table,
            Key: itemKey(batchId, providerCustomId),
            ConditionExpression: `attribute_exists(pk) AND ${UNSET('delivered_at')} AND ${UNSET('escalated_at')}`,
            UpdateExpression: 'SET escalated_at = :at',
            ExpressionAttributeValues: { ':nullType': 'NULL', ':at': at },
          },
        },
      ],
      `BATCH#${batchId}`,
    );
    return reasons === null;
  }

  async leaseRealtime(target: RealtimeTarget, until: string, now: string): Promise<RealtimeLease> {
    const key = realtimeKey(target);
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          ConditionExpression: `attribute_exists(pk) AND ${UNSET('delivered_at')} AND (attribute_not_exists(realtime_lease_until) OR realtime_lease_until < :now)`,
          UpdateExpression: 'SET realtime_lease_until = :until',
          ExpressionAttributeValues: { ':nullType': 'NULL', ':now': now, ':until': until },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'leased';
    } catch (error) {
      if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.#translate(error, 'UpdateItem', key.pk);
      }
      const old = oldItemOf((error as { Item?: unknown }).Item);
      if (old === null) return 'missing';
      return typeof old['delivered_at'] === 'string' ? 'done' : 'busy';
    }
  }

  async releaseRealtime(target: RealtimeTarget): Promise<void> {
    const key = realtimeKey(target);
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: 'REMOVE realtime_lease_until',
        }),
      );
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return;
      throw this.#translate(error, 'UpdateItem', key.pk);
    }
  }

  async finishRealtime(
    target: RealtimeTarget,
    delivery: Omit<ItemDelivery, 'providerCustomId'>,
  ): Promise<void> {
    const key = realtimeKey(target);
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression:
            'SET #status = :status, delivered_at = :at, #cost = :cost REMOVE realtime_lease_until',
          ExpressionAttributeNames: { '#status': 'status', '#cost': 'cost' },
          ExpressionAttributeValues: {
            ':status': delivery.status,
            ':at': delivery.deliveredAt,
            ':cost': delivery.cost ?? null,
          },
        }),
      );
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw new NotFoundError(`realtime target ${key.pk}/${key.sk} does not exist`, {
          code: 'not_found',
          cause: error,
        });
      }
      throw this.#translate(error, 'UpdateItem', key.pk);
    }
  }

  async #getRequest(producer: string, customId: string): Promise<RequestRecord | null> {
    const item = await this.#get(requestKey(producer, customId));
    return item === null ? null : itemToRequest(item);
  }

  async #get(key: Record<string, string>): Promise<StateItem | null> {
    try {
      const response = await this.#client.send(
        new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
      );
      return response.Item ?? null;
    } catch (error) {
      throw this.#translate(error, 'GetItem', key.pk);
    }
  }

  #versionConflict(batchId: string, expectedVersion: number, cause?: unknown): ConflictError {
    return new ConflictError(`batch ${batchId} is no longer at version ${expectedVersion}`, {
      code: 'version_conflict',
      cause,
      details: { batchId, expectedVersion },
    });
  }

  #translate(error: unknown, operation: string, key: string | undefined) {
    return translateAwsError(error, {
      operation: `DynamoDB.${operation}`,
      resource: `${this.#table}/${key ?? ''}`,
    });
  }
}

export { DynamoDbStateStore, type DynamoDbStateStoreOptions };
