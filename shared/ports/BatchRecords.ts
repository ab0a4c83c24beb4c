import type { BatchRecord } from '../domain/records.js';

/** Fields of a batch an update may change. `version` is bumped by the store. */
type BatchPatch = Partial<Omit<BatchRecord, 'batchId' | 'version' | 'provider' | 'endpoint'>>;

/**
 * Batch records: a batch's state, counts and checkpoint, changed by versioned writes.
 * Every method is safe to call again after a crash; conditional writes decide races.
 */
interface BatchRecords {
  /** Creates a batch record; throws `ConflictError` if the id exists. */
  createBatch(batch: BatchRecord): Promise<void>;

  getBatch(batchId: string): Promise<BatchRecord | null>;

  /**
   * Applies `patch` if the stored version is still `expectedVersion`; returns the new record.
   * Throws `ConflictError` when another writer got there first.
   */
  updateBatch(batchId: string, expectedVersion: number, patch: BatchPatch): Promise<BatchRecord>;

  /** Batches not yet completed whose `nextPollAt` is at or before `now`, oldest first. */
  listDueBatches(now: string, limit: number): Promise<BatchRecord[]>;
}

export type { BatchPatch, BatchRecords };
