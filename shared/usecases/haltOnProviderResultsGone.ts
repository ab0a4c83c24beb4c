import { METRIC } from '../contract/metrics.js';
import { NotFoundError, PROVIDER_RESULTS_GONE } from '../domain/errors.js';
import { type HaltDeps, haltBatch } from './haltOnMissingArtifact.js';

/**
 * What the provider no longer keeps, when `error` is an adapter's confirmation that a batch's
 * results are gone for good ({@link PROVIDER_RESULTS_GONE}: past the provider's retention, or
 * deleted); null for any other error, a bare 404 included, which is retried.
 */
const providerResultsGoneOf = (error: unknown): string | null => {
  if (!(error instanceof NotFoundError) || error.code !== PROVIDER_RESULTS_GONE) return null;
  const ref = error.details['ref'];
  return typeof ref === 'string' && ref !== '' ? ref : 'the batch results';
};

/**
 * Halts an ended batch whose provider no longer keeps its results (see `haltBatch`): they
 * were never archived (completion did not run while the provider kept them), so no retry
 * can deliver them. Its members stay unanswered; the `Batch Undeliverable` event and the
 * `BatchResultsGone` metric (alarmed) say so, instead of retries into a dead-letter queue.
 */
const haltOnProviderResultsGone = async (
  deps: HaltDeps,
  batchId: string,
  missing: string,
  error: unknown,
): Promise<void> => {
  deps.metrics.count(METRIC.BatchResultsGone, 1);
  await haltBatch(
    deps,
    batchId,
    {
      code: PROVIDER_RESULTS_GONE,
      missing,
      lastError: `the provider no longer keeps the results (${missing}): past its retention, or deleted; they cannot be delivered`,
      log: 'batch results cannot be delivered: the provider no longer keeps them',
    },
    error,
  );
};

export { haltOnProviderResultsGone, providerResultsGoneOf };
