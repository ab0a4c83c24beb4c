import type { StatusCounts } from '../../contract/events.js';

/** What one completion run did with a batch. */
interface CompletionReport {
  readonly batchId: string;
  readonly outcome:
    | 'completed'
    | 'already-completed'
    | 'not-ended'
    | 'unknown-batch'
    | 'owned-by-another-run'
    | 'paused'
    /** A sealed batch was assembled and handed to its provider (nothing delivered yet). */
    | 'submitted'
    /** A file the batch needs is missing: halted, reported, not retried. */
    | 'artifacts-missing';
  readonly delivered: number;
  readonly retried: number;
  readonly skipped: number;
  readonly counts: StatusCounts | null;
  readonly retryBatchId: string | null;
}

/** A report of a run that delivered nothing. */
const reportOf = (
  batchId: string,
  outcome: CompletionReport['outcome'],
  counts: StatusCounts | null = null,
): CompletionReport => ({
  batchId,
  outcome,
  delivered: 0,
  retried: 0,
  skipped: 0,
  counts,
  retryBatchId: null,
});

export { type CompletionReport, reportOf };
