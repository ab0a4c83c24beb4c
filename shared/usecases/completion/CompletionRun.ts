import type { BatchRecord } from '../../domain/records.js';
import type { CompletionLease } from './leaseBatch.js';
import type { MemberTable } from './loadMemberTable.js';
import type { RunProgress } from './settleDeliveries.js';

/**
 * One completion run of a leased batch, as its stages pass it on: the batch as archived (its
 * version is the {@link CheckpointWriter}'s to track), its member table, and its progress.
 */
interface CompletionRun {
  readonly lease: CompletionLease;
  readonly batch: BatchRecord;
  readonly table: MemberTable;
  readonly progress: RunProgress;
  /** Whether destinations that fail with retryable errors get their results parked this run. */
  readonly parkRetryable: boolean;
  /** Results per chunk: per delivery call and per checkpoint. */
  readonly chunkSize: number;
}

export type { CompletionRun };
