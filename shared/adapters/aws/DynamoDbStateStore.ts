import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { STATE_TABLE } from '../../config/stateTableSchema.js';
import { ConflictError, NotFoundError, UnavailableError } from '../../domain/errors.js';
import { mapWithConcurrency } from '../../domain/mapWithConcurrency.js';
import {
  decodePartMember,
  destinationInterner,
  partMembersKeyOf,
} from '../../domain/partMembers.js';
import type { BatchItem, BatchPart, BatchRecord, RequestRecord } from '../../domain/records.js';
import { splitLines } from '../../domain/splitLines.js';
import type { BlobStore } from '../../ports/BlobStore.js';
import type {
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
  itemToException,
  itemToPart,
  itemToRequest,
  pagesOfMembers,
  requestKey,
  requestToItem,
  type StateItem,
  withException,
} from './stateItemCodec.js';
import { type TransactItems, transactWithRetries } from './transactWithRetries.js';
import { translateAwsError } from './translateAwsError.js';

/** BatchGetItem accepts at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;

/** Constructor options of {@link DynamoDbStateStore}. */
interface DynamoDbStateStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /**
   * batchlane's bucket: what a batch holds is read from its parts' sidecars there (see
   * `partMembers.ts`), and only exceptions have items.
   */
  readonly blobs: BlobStore;
  /** Members per page of {@link DynamoDbStateStore.listItems} (default 500). */
  readonly itemPageSize?: number;
  /** Parallel PutItem/UpdateItem calls in `registerRequests` and `markForRetry` (default 16). */
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
 * while not completed), and the filling side kept by {@link DynamoDbFillingBatches} (group
 * pointers and parts `BATCH#<batchId>/PART#<n>`). A batch's members are its parts' sidecar
 * objects in the bucket, less each part's void indexes; only exceptions (a member escalated,
 * sent again, moved to a retry batch, or a retry batch's own members) have an item,
 * `BATCH#<batchId>/ITEM#<providerCustomId>`, which overrides what the sidecar says.
 */
class DynamoDbStateStore implements StateStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #blobs: BlobStore;
  readonly #itemPageSize: number;
  readonly #writeConcurrency: number;
  readonly #maxAttempts: number;
  readonly #sleep: Sleep;
  readonly #filling: DynamoDbFillingBatches;

  constructor(options: DynamoDbStateStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#blobs = options.blobs;
    this.#itemPageSize = options.itemPageSize ?? 500;
    this.#writeConcurrency = options.writeConcurrency ?? 16;
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#sleep = options.sleep ?? realSleep;
    this.#filling = new DynamoDbFillingBatches({
      client: this.#client,
      tableName: this.#table,
      blobs: this.#blobs,
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

  commitPart(
    batchId: string,
    partNo: number,
    claimed: number,
    voids?: readonly string[],
  ): Promise<void> {
    return this.#filling.commitPart(batchId, partNo, claimed, voids);
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
    // Not applied when an earlier try already marked it: nothing left to do.
    await this.#updateIf(requestKey(producer, customId), {
      ConditionExpression: '#state = :rejecting',
      UpdateExpression: 'SET #state = :rejected',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':rejecting': 'rejecting', ':rejected': 'rejected' },
    });
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
          // The old member must still be undelivered: a rerun must not move it twice. Its
          // exception item is made here if completion did not make one first.
          Update: {
            TableName: this.#table,
            Key: itemKey(from.batchId, from.providerCustomId),
            // Items are written with `delivered_at: null` until delivered.
            ConditionExpression:
              'attribute_not_exists(delivered_at) OR attribute_type(delivered_at, :nullType)',
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
    const parts = (await this.#listParts(batchId)).filter((part) =>
      indexes.some((i) => i >= part.firstIndex && i < part.firstIndex + part.requestCount),
    );
    for (const part of parts) {
      for await (const member of this.#partMembers(part)) {
        if (!wanted.has(member.providerCustomId)) continue;
        const item = exceptions.get(member.providerCustomId);
        found.set(
          member.providerCustomId,
          item === undefined ? member : withException(member, item),
        );
      }
    }
    return found;
  }

  async exceptionsOf(
    batchId: string,
    providerCustomIds: readonly string[],
  ): Promise<Map<string, MemberException>> {
    const items = await this.#getExceptions(batchId, [...new Set(providerCustomIds)]);
    return new Map([...items].map(([id, item]) => [id, itemToException(item)]));
  }

  async #getExceptions(batchId: string, ids: readonly string[]): Promise<Map<string, StateItem>> {
    const found = new Map<string, StateItem>();
    for (let offset = 0; offset < ids.length; offset += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] = ids
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
            found.set(String(item.sk).slice('ITEM#'.length), item);
          }
          keys = response.UnprocessedKeys?.[this.#table]?.Keys ?? [];
        } catch (error) {
          throw this.#translate(error, 'BatchGetItem', `BATCH#${batchId}`);
        }
      }
    }
    return found;
  }

  /** Every item of a batch's partition whose sort key begins with `prefix`. */
  async *#query(batchId: string, prefix: string): AsyncIterable<StateItem[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      let page: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> };
      try {
        page = await this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': `BATCH#${batchId}`, ':prefix': prefix },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
      } catch (error) {
        throw this.#translate(error, 'Query', `BATCH#${batchId}`);
      }
      yield page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  /** The parts of a batch that were opened (a part sealed before it was opened holds none). */
  async #listParts(batchId: string): Promise<BatchPart[]> {
    const parts: BatchPart[] = [];
    for await (const page of this.#query(batchId, 'PART#')) {
      for (const item of page) {
        if (typeof item.first_index !== 'number') continue;
        parts.push(itemToPart(item, batchId, Number(item.part_no)));
      }
    }
    return parts.sort((a, b) => a.partNo - b.partNo);
  }

  /**
   * The members a part's sidecar holds, less its void indexes. A part still being claimed
   * (no `claimed` yet) yields every member it may hold; a part recorded before sidecars
   * (claimed, no `voids`) none: its members are items.
   */
  async *#partMembers(part: BatchPart): AsyncIterable<BatchItem> {
    if (part.claimed !== null && part.voids === undefined) return;
    const voids = new Set(part.voids ?? []);
    const intern = destinationInterner();
    // An opened part always has its sidecar (written before the part was recorded): a missing
    // one is an error to surface, never an empty part.
    const source = await this.#blobs.getStream(partMembersKeyOf(part.batchId, part.partNo));
    for await (const line of splitLines(source)) {
      const { item } = decodePartMember(part.batchId, line, intern);
      if (!voids.has(item.providerCustomId)) yield item;
    }
  }

  /**
   * Every member of a batch, a page at a time: the parts' sidecars in order, each member
   * overlaid with its exception item, then the members that are items alone (a retry batch's).
   */
  async *listItems(batchId: string): AsyncIterable<BatchItem[]> {
    const exceptions = new Map<string, StateItem>();
    for await (const page of this.#query(batchId, 'ITEM#')) {
      for (const item of page) {
        // Void slots (indexes that held no member, before sidecars) are bookkeeping.
        if (!isVoidSlot(item)) exceptions.set(String(item.sk).slice('ITEM#'.length), item);
      }
    }
    const parts = await this.#listParts(batchId);
    yield* pagesOfMembers(this.#membersOfParts(parts), exceptions, this.#itemPageSize);
  }

  /** The members the parts' sidecars list, part after part. */
  async *#membersOfParts(parts: readonly BatchPart[]): AsyncIterable<BatchItem> {
    for (const part of parts) yield* this.#partMembers(part);
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

  async #markExceptions(
    batchId: string,
    providerCustomIds: readonly string[],
    attribute: 'retry_at' | 'undelivered_at',
    at: string,
  ): Promise<void> {
    const outcomes = await mapWithConcurrency(
      [...new Set(providerCustomIds)],
      this.#writeConcurrency,
      (id) =>
        this.#update(batchId, {
          TableName: this.#table,
          Key: itemKey(batchId, id),
          // The first time stands: a rerun marking it again changes nothing.
          UpdateExpression: `SET ${attribute} = if_not_exists(${attribute}, :at)`,
          ExpressionAttributeValues: { ':at': at },
        }),
    );
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * Records exception members delivered, with their status and cost, on their items (made if
   * absent): a member whose first delivery failed is counted from its item, not from the
   * checkpoint that passed it. Recording one again writes the same values.
   */
  async recordDeliveries(batchId: string, deliveries: readonly ItemDelivery[]): Promise<void> {
    // The last record for a member wins, as it would in sequence.
    const unique = [...new Map(deliveries.map((d) => [d.providerCustomId, d])).values()];
    const outcomes = await mapWithConcurrency(unique, this.#writeConcurrency, (delivery) =>
      this.#update(batchId, {
        TableName: this.#table,
        Key: itemKey(batchId, delivery.providerCustomId),
        UpdateExpression: 'SET #status = :status, delivered_at = :at, #cost = :cost',
        ExpressionAttributeNames: { '#status': 'status', '#cost': 'cost' },
        ExpressionAttributeValues: {
          ':status': delivery.status,
          ':at': delivery.deliveredAt,
          ':cost': delivery.cost ?? null,
        },
      }),
    );
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async #update(batchId: string, input: ConstructorParameters<typeof UpdateCommand>[0]) {
    try {
      await this.#client.send(new UpdateCommand(input));
    } catch (error) {
      throw this.#translate(error, 'UpdateItem', `BATCH#${batchId}`);
    }
  }

  async markRealtime(producer: string, customId: string, requestHash: string): Promise<boolean> {
    const outcome = await this.#updateIf(requestKey(producer, customId), {
      ConditionExpression: '#state = :pending AND request_hash = :hash',
      UpdateExpression: 'SET #state = :realtime',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':pending': 'pending',
        ':realtime': 'realtime',
        ':hash': requestHash,
      },
    });
    return outcome.applied;
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
            // Made here: the member's exception item (its routing stays in the sidecar).
            ConditionExpression: `${UNSET('delivered_at')} AND ${UNSET('escalated_at')}`,
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
    const outcome = await this.#updateIf(realtimeKey(target), {
      ConditionExpression: `attribute_exists(pk) AND ${UNSET('delivered_at')} AND (attribute_not_exists(realtime_lease_until) OR realtime_lease_until < :now)`,
      UpdateExpression: 'SET realtime_lease_until = :until',
      ExpressionAttributeValues: { ':nullType': 'NULL', ':now': now, ':until': until },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    if (outcome.applied) return 'leased';
    if (outcome.old === null) return 'missing';
    return typeof outcome.old['delivered_at'] === 'string' ? 'done' : 'busy';
  }

  async releaseRealtime(target: RealtimeTarget): Promise<void> {
    // Not applied when the target is gone: no lease left to release.
    await this.#updateIf(realtimeKey(target), {
      ConditionExpression: 'attribute_exists(pk)',
      UpdateExpression: 'REMOVE realtime_lease_until',
    });
  }

  async finishRealtime(
    target: RealtimeTarget,
    delivery: Omit<ItemDelivery, 'providerCustomId'>,
  ): Promise<void> {
    const key = realtimeKey(target);
    const outcome = await this.#updateIf(key, {
      ConditionExpression: 'attribute_exists(pk)',
      UpdateExpression:
        'SET #status = :status, delivered_at = :at, #cost = :cost REMOVE realtime_lease_until',
      ExpressionAttributeNames: { '#status': 'status', '#cost': 'cost' },
      ExpressionAttributeValues: {
        ':status': delivery.status,
        ':at': delivery.deliveredAt,
        ':cost': delivery.cost ?? null,
      },
    });
    if (!outcome.applied) {
      throw new NotFoundError(`realtime target ${key.pk}/${key.sk} does not exist`, {
        code: 'not_found',
      });
    }
  }

  /**
   * One conditional UpdateItem on a key. A failed condition is an answer, not an error: what
   * the item held then (when asked for with `ReturnValuesOnConditionCheckFailure`; null when
   * there was none).
   */
  async #updateIf(
    key: { readonly pk: string; readonly sk: string },
    update: Omit<UpdateCommandInput, 'TableName' | 'Key'>,
  ): Promise<
    { readonly applied: true } | { readonly applied: false; readonly old: StateItem | null }
  > {
    try {
      await this.#client.send(new UpdateCommand({ ...update, TableName: this.#table, Key: key }));
      return { applied: true };
    } catch (error) {
      if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.#translate(error, 'UpdateItem', key.pk);
      }
      return { applied: false, old: oldItemOf((error as { Item?: unknown }).Item) };
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
