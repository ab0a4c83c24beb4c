import {
  ACTIVE_PARTITION,
  batchToItem,
  itemToBatch,
  type StateItem,
} from '../../../shared/adapters/aws/stateItemCodec.js';
import { STATE_TABLE } from '../../../shared/config/stateTableSchema.js';
import { ConflictError, NotFoundError } from '../../../shared/domain/errors.js';
import type { BatchRecord } from '../../../shared/domain/records.js';
import type { BatchPatch, BatchRecords } from '../../../shared/ports/BatchRecords.js';
import { InMemoryStatePort } from './InMemoryStateTable.js';

const versionConflict = (batchId: string, expectedVersion: number): ConflictError =>
  new ConflictError(`batch ${batchId} is no longer at version ${expectedVersion}`, {
    code: 'version_conflict',
    details: { batchId, expectedVersion },
  });

/**
 * {@link BatchRecords} in memory, as `DynamoDbBatchRecords` behaves: records kept as the
 * adapter's items, with the active-batches index keys the poller's listing reads.
 */
class InMemoryBatchRecords extends InMemoryStatePort<BatchRecords> implements BatchRecords {
  async createBatch(batch: BatchRecord): Promise<void> {
    this.table.failIfAsked('createBatch');
    if (this.table.batches.has(batch.batchId)) {
      throw new ConflictError(`batch ${batch.batchId} already exists`, {
        code: 'conflict',
        details: { batchId: batch.batchId },
      });
    }
    this.table.batches.set(batch.batchId, batchToItem(structuredClone(batch)));
  }

  async getBatch(batchId: string): Promise<BatchRecord | null> {
    this.table.failIfAsked('getBatch');
    const item = this.table.batches.get(batchId);
    return item === undefined ? null : itemToBatch(structuredClone(item));
  }

  async updateBatch(
    batchId: string,
    expectedVersion: number,
    patch: BatchPatch,
  ): Promise<BatchRecord> {
    this.table.failIfAsked('updateBatch');
    // Read and written with no await between: the version check decides races, as the
    // adapter's conditional put does.
    const stored = this.table.batches.get(batchId);
    const current = stored === undefined ? null : itemToBatch(structuredClone(stored));
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
    this.table.batches.set(batchId, batchToItem(structuredClone(next)));
    return next;
  }

  async listDueBatches(now: string, limit: number): Promise<BatchRecord[]> {
    this.table.failIfAsked('listDueBatches');
    if (limit < 1) return [];
    const due = [...this.table.batches.values()].filter((item) => {
      const sk = item[STATE_TABLE.indexSortKey];
      return (
        item[STATE_TABLE.indexPartitionKey] === ACTIVE_PARTITION &&
        typeof sk === 'string' &&
        sk <= now
      );
    });
    const sortKey = (item: StateItem) => String(item[STATE_TABLE.indexSortKey]);
    due.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    return due.slice(0, limit).map((item) => itemToBatch(structuredClone(item)));
  }
}

export { InMemoryBatchRecords };
