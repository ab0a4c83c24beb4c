import type { CostEntry, CostRange } from '../domain/costs/CostEntry.js';
import type { BatchFacts, IntakeDepth, ParkedObject } from '../domain/status/statusFacts.js';

/**
 * Read-only view of a deployment's state, for people watching it: the batches in flight, the
 * ones named by recent costs, the costs themselves, the parked results and the intake queue.
 * It never writes, so it can run with an operator's read-only credentials.
 */
interface StatusReader {
  /** Every batch not yet completed. */
  activeBatches(): Promise<BatchFacts[]>;
  /** The batches with these ids that exist, in no particular order. */
  batches(ids: readonly string[]): Promise<BatchFacts[]>;
  /** Cost entries of the days in the range (their `source` names batches or `req:` ids). */
  costEntries(range: CostRange): AsyncIterable<CostEntry>;
  /** Parked result objects, at most `limit` of them (oldest keys first). */
  parkedResults(limit: number): Promise<ParkedObject[]>;
  /** The intake queue's depth; null when the reader was given no intake queue. */
  intakeDepth(): Promise<IntakeDepth | null>;
}

export type { BatchFacts, IntakeDepth, ParkedObject, StatusReader };
