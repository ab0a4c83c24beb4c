import { DETAIL_TYPES } from '../contract/events.js';
import { METRIC } from '../contract/metrics.js';
import { batchIdOfArtifactKey } from '../domain/bucketLayout.js';
import { errorMessage, NotFoundError } from '../domain/errors.js';
import type { BatchRecords } from '../ports/BatchRecords.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/** What halting a batch uses: its record, the bucket's addresses, and the event it sends. */
type HaltDeps = Pick<RuntimeDeps, 'blobs' | 'clock' | 'events' | 'logger' | 'metrics'> & {
  readonly store: BatchRecords;
};

/**
 * The poll time of a halted batch: never, until it is handed back. Not null, which the state
 * store reads as due at once (a batch a crashed writer left without a poll time).
 */
const NEVER = '9999-12-31T23:59:59.999Z';

/** The code a batch halted by a missing file carries, in its `lastError` and its event. */
const ARTIFACTS_MISSING = 'artifacts_missing';

/**
 * The key of the batch file whose absence `error` reports (a part's member sidecar, an archived
 * result file, an input file: anything under `batches/`), or null for any other error. Such a
 * file is written before anything records it, and S3 reads are strongly consistent, so its
 * absence is final: it expired or was deleted, and no retry brings it back.
 */
const missingArtifactOf = (error: unknown): string | null => {
  if (!(error instanceof NotFoundError)) return null;
  const key = error.details['key'];
  return typeof key === 'string' && batchIdOfArtifactKey(key) !== null ? key : null;
};

/** Why a batch is halted: the code its `lastError` and event carry, and what is gone. */
interface Halt {
  readonly code: typeof ARTIFACTS_MISSING;
  /** What is gone, as the event names it. */
  readonly missing: string;
  /** The rest of the batch's `lastError`, after the code: what is gone and what to do. */
  readonly lastError: string;
  /** The error log's message. */
  readonly log: string;
}

/**
 * Stops delivering an ended batch that no retry can deliver, visibly and once: the batch keeps
 * its state (`ended`) with `lastError` `<code>: …`, is never due for the poller again (so
 * neither the poller nor the completion queue retries it forever, nor does it land in a
 * dead-letter queue it could never leave), and a `Batch Undeliverable` event and an error log
 * name the batch and what is gone. The caller counts the halt in its own (alarmed) metric.
 */
const haltBatch = async (
  deps: HaltDeps,
  batchId: string,
  halt: Halt,
  error: unknown,
): Promise<void> => {
  const { store, clock, logger } = deps;
  const now = clock.now().toISOString();
  logger.error(halt.log, {
    batchId,
    code: halt.code,
    missing: halt.missing,
    error: errorMessage(error),
  });
  const batch = await store.getBatch(batchId);
  if (batch === null || batch.state === 'completed') return;
  await store.updateBatch(batchId, batch.version, {
    completionLeaseUntil: null,
    nextPollAt: NEVER,
    lastError: `${halt.code}: ${halt.lastError}`,
  });
  await deps.events.publish([
    {
      detailType: DETAIL_TYPES.batchUndeliverable,
      detail: {
        batch_id: batchId,
        provider: batch.provider,
        provider_batch_id: batch.providerBatchId,
        request_count: batch.requestCount,
        code: halt.code,
        missing: halt.missing,
        created_at: batch.createdAt,
        ended_at: batch.endedAt,
        detected_at: now,
      },
    },
  ]);
};

/**
 * Halts a batch whose results can no longer be routed (see {@link haltBatch}): a file under
 * `batches/` is gone. The bucket is versioned: an operator who restores the file hands the
 * batch to completion again.
 */
const haltOnMissingArtifact = async (
  deps: HaltDeps,
  batchId: string,
  missingKey: string,
  error: unknown,
): Promise<void> => {
  const missing = deps.blobs.uri(missingKey);
  deps.metrics.count(METRIC.BatchArtifactsMissing, 1);
  await haltBatch(
    deps,
    batchId,
    {
      code: ARTIFACTS_MISSING,
      missing,
      lastError: `${missing} is missing (expired or deleted); restore it and hand the batch to completion again`,
      log: 'batch results cannot be routed: a file they need is missing',
    },
    error,
  );
};

export { ARTIFACTS_MISSING, type HaltDeps, haltBatch, haltOnMissingArtifact, missingArtifactOf };
