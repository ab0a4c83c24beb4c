import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
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
    const defined = Object.fromEntries(
      Object.entries(patch).filter(([, value]) => value !== undefined),
    ) as BatchPatch;
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
