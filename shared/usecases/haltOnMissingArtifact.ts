import { DETAIL_TYPES } from '../contract/events.js';
import { METRIC } from '../contract/metrics.js';
import { batchIdOfArtifactKey } from '../domain/bucketLayout.js';
import { errorMessage, NotFoundError } from '../domain/errors.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

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

/**
 * Stops delivering a batch whose results can no longer be routed, visibly and once: the batch
 * keeps its state (`ended`) with `lastError` `artifacts_missing: …`, is never due for the
 * poller again (so neither the poller nor the completion queue retries it forever, nor does it land
 * in a dead-letter queue it could never leave), and a `Batch Undeliverable` event, the
 * `BatchArtifactsMissing` metric (alarmed) and an error log name the batch and the file. The
 * bucket is versioned: an operator who restores the file hands the batch to completion again.
 */
const haltOnMissingArtifact = async (
  deps: RuntimeDeps,
  batchId: string,
  missingKey: string,
  error: unknown,
): Promise<void> => {
  const { store, clock, logger, metrics } = deps;
  const now = clock.now().toISOString();
  const missing = deps.blobs.uri(missingKey);
  metrics.count(METRIC.BatchArtifactsMissing, 1);
  logger.error('batch results cannot be routed: a file they need is missing', {
    batchId,
    code: ARTIFACTS_MISSING,
    missing,
    error: errorMessage(error),
  });
  const batch = await store.getBatch(batchId);
  if (batch === null || batch.state === 'completed') return;
  await store.updateBatch(batchId, batch.version, {
    completionLeaseUntil: null,
    nextPollAt: NEVER,
    lastError: `${ARTIFACTS_MISSING}: ${missing} is missing (expired or deleted); restore it and hand the batch to completion again`,
  });
  await deps.events.publish([
    {
      detailType: DETAIL_TYPES.batchUndeliverable,
      detail: {
        batch_id: batchId,
        provider: batch.provider,
        provider_batch_id: batch.providerBatchId,
        request_count: batch.requestCount,
        code: ARTIFACTS_MISSING,
        missing,
        created_at: batch.createdAt,
        ended_at: batch.endedAt,
        detected_at: now,
      },
    },
  ]);
};

export { ARTIFACTS_MISSING, haltOnMissingArtifact, missingArtifactOf };
