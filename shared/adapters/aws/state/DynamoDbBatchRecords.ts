import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE } from '../../../config/stateTableSchema.js';
import { ConflictError, NotFoundError } from '../../../domain/errors.js';
import type { BatchRecord } from '../../../domain/records.js';
import type { BatchPatch, BatchRecords } from '../../../ports/BatchRecords.js';
import { isAwsErrorNamed } from '../isAwsErrorNamed.js';
import { ACTIVE_PARTITION, batchKey, batchToItem, itemToBatch } from '../stateItemCodec.js';
import {
  EXISTS,
  INDEX_KEY_NAMES,
  IS_NEW,
  PK_NAME,
  StateTableAccess,
  type StateTableOptions,
} from './StateTableAccess.js';

const versionConflict = (batchId: string, expectedVersion: number, cause?: unknown) =>
  new ConflictError(`batch ${batchId} is no longer at version ${expectedVersion}`, {
    code: 'version_conflict',
    cause,
    details: { batchId, expectedVersion },
  });

/**
 * Batch fields a patch may write in place (see `updateInPlace`), with their attributes: none
 * is part of an index key (`batchIndexKeys`: state, nextPollAt, createdAt) and each is stored
 * under one attribute as it is.
 */
const IN_PLACE_ATTRIBUTES = {
  checkpoint: 'checkpoint',
  completionLeaseUntil: 'completion_lease_until',
} as const satisfies Partial<Record<keyof BatchRecord, string>>;

type InPlaceField = keyof typeof IN_PLACE_ATTRIBUTES;

const isInPlacePatch = (patch: BatchPatch): boolean => {
  const fields = Object.keys(patch);
  return fields.length > 0 && fields.every((field) => Object.hasOwn(IN_PLACE_ATTRIBUTES, field));
};

/**
 * {@link BatchRecords} on the state table: a batch is `BATCH#<batchId>/BATCH`, on the
 * `active-batches` index (keyed by when it is next due) while not completed. Reservations of
 * parts and the stop of filling change the same item atomically (`DynamoDbBatchFilling`),
 * bumping its version so a versioned write that read it before fails.
 */
class DynamoDbBatchRecords implements BatchRecords {
  readonly #table: StateTableAccess;

  constructor(options: StateTableOptions) {
    this.#table = new StateTableAccess(options);
  }

  async createBatch(batch: BatchRecord): Promise<void> {
    try {
      await this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: batchToItem(batch),
          ConditionExpression: IS_NEW,
          ExpressionAttributeNames: PK_NAME,
        }),
      );
    } catch (error) {
      throw this.#table.translate(error, 'PutItem', batchKey(batch.batchId));
    }
  }

  async getBatch(batchId: string): Promise<BatchRecord | null> {
    const item = await this.#table.get(batchKey(batchId));
    return item === null ? null : itemToBatch(item);
  }

  async updateBatch(
    batchId: string,
    expectedVersion: number,
    patch: BatchPatch,
  ): Promise<BatchRecord> {
    const defined = Object.fromEntries(
      Object.entries(patch).filter(([, value]) => value !== undefined),
    ) as BatchPatch;
    if (isInPlacePatch(defined)) return this.#updateInPlace(batchId, expectedVersion, defined);
    // Read, merge, then write conditioned on the version: the index keys depend on the whole
    // record (state and nextPollAt), which a partial patch alone cannot tell.
    const current = await this.getBatch(batchId);
    if (current === null) {
      throw new NotFoundError(`batch ${batchId} does not exist`, {
        code: 'not_found',
        details: { batchId },
      });
    }
    if (current.version !== expectedVersion) throw versionConflict(batchId, expectedVersion);
    const next: BatchRecord = { ...current, ...defined, version: expectedVersion + 1 };
    try {
      await this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: batchToItem(next),
          ConditionExpression: `${EXISTS} AND version = :expected`,
          ExpressionAttributeNames: PK_NAME,
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw versionConflict(batchId, expectedVersion, error);
      }
      throw this.#table.translate(error, 'PutItem', batchKey(batchId));
    }
    return next;
  }

  /**
   * A patch of attributes no index key is made from, written in place: one UpdateItem
   * conditioned on the version, no read first. Completion moves its checkpoint this way once
   * per chunk, so the read it saves was on the path of every chunk.
   */
  async #updateInPlace(
    batchId: string,
    expectedVersion: number,
    patch: BatchPatch,
  ): Promise<BatchRecord> {
    const names: Record<string, string> = { ...PK_NAME };
    const values: Record<string, unknown> = {
      ':expected': expectedVersion,
      ':next': expectedVersion + 1,
    };
    const sets = ['version = :next'];
    for (const [field, value] of Object.entries(patch)) {
      const attribute = IN_PLACE_ATTRIBUTES[field as InPlaceField];
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = value;
      sets.push(`#${attribute} = :${attribute}`);
    }
    try {
      const updated = await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: batchKey(batchId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `${EXISTS} AND version = :expected`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return itemToBatch(updated.Attributes ?? {});
    } catch (error) {
      if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.#table.translate(error, 'UpdateItem', batchKey(batchId));
      }
      // Missing or moved on: the read tells which, on this rare path only.
      if ((await this.getBatch(batchId)) === null) {
        throw new NotFoundError(`batch ${batchId} does not exist`, {
          code: 'not_found',
          details: { batchId },
        });
      }
      throw versionConflict(batchId, expectedVersion, error);
    }
  }

  async listDueBatches(now: string, limit: number): Promise<BatchRecord[]> {
    const batches: BatchRecord[] = [];
    // DynamoDB rejects Limit < 1.
    if (limit < 1) return batches;
    let startKey: Record<string, unknown> | undefined;
    do {
      try {
        const page = await this.#table.client.send(
          new QueryCommand({
            TableName: this.#table.tableName,
            IndexName: STATE_TABLE.activeBatchesIndex,
            KeyConditionExpression: '#gsi1pk = :active AND #gsi1sk <= :now',
            ExpressionAttributeNames: INDEX_KEY_NAMES,
            ExpressionAttributeValues: { ':active': ACTIVE_PARTITION, ':now': now },
            ScanIndexForward: true,
            Limit: limit - batches.length,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) batches.push(itemToBatch(item));
        startKey = page.LastEvaluatedKey;
      } catch (error) {
        throw this.#table.translate(error, 'Query', STATE_TABLE.activeBatchesIndex);
      }
    } while (startKey !== undefined && batches.length < limit);
    return batches;
  }
}

export { DynamoDbBatchRecords };
