import { METRIC } from '../../contract/metrics.js';
import { NotFoundError, PROVIDER_RESULTS_GONE, UnavailableError } from '../../domain/errors.js';
import type { BatchRecord } from '../../domain/records.js';
import type { BatchRecords } from '../../ports/BatchRecords.js';
import type { RuntimeDeps } from '../RuntimeDeps.js';
import { type CompletionLease, writeOwned } from './leaseBatch.js';

type ArchiveDeps = Pick<RuntimeDeps, 'providers' | 'blobs' | 'logger' | 'metrics'> & {
  readonly store: Pick<BatchRecords, 'getBatch' | 'updateBatch'>;
};

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

/** The `lastError` of a batch whose provider no longer kept `gone`. */
const resultsGoneError = (gone: readonly string[]): string =>
  `${PROVIDER_RESULTS_GONE}: the provider no longer keeps ${gone.join(', ')} (past its retention, or deleted); the requests they answered were sent again or delivered errored`;

/** Whether the batch's result files were archived, or found gone, by an earlier run. */
const isArchived = (batch: BatchRecord): boolean =>
  batch.resultKeys.length > 0 || (batch.resultsGone?.length ?? 0) > 0;

/**
 * Downloads each provider result file into the blob store once (providers keep them about 30
 * days), before anything is delivered, and records their keys on the batch. A batch with its
 * keys recorded, or never accepted by its provider, is left as it is.
 *
 * A file the provider confirms gone (never archived, now past its retention) is recorded as
 * such (`resultsGone`, `lastError`) in the same write as the keys of the files it still had:
 * the run then delivers what was archived, and the members the gone files answered get their
 * verdict as unanswered (`provider_results_gone`: sent again, or delivered errored). Recorded
 * before any delivery, the finding is what every later run of the batch goes by.
 */
const archiveResults = async (
  deps: ArchiveDeps,
  lease: CompletionLease,
  batch: BatchRecord,
): Promise<BatchRecord> => {
  if (batch.providerBatchId === null || isArchived(batch)) return batch;
  const provider = deps.providers[batch.provider];
  if (provider === undefined) {
    throw new UnavailableError(`provider ${batch.provider} is not configured`, {
      code: 'provider_not_configured',
    });
  }
  const snapshot = await provider.retrieve(batch.providerBatchId);
  const keys: string[] = [];
  const gone: string[] = [];
  for (const [index, ref] of snapshot.resultRefs.entries()) {
    const key = `batches/${batch.batchId}/results-${index}.jsonl`;
    if (!(await deps.blobs.exists(key))) {
      try {
        await deps.blobs.put(key, await provider.openResults(ref), {
          contentType: 'application/x-ndjson',
        });
      } catch (error) {
        const missing = providerResultsGoneOf(error);
        if (missing === null) throw error;
        gone.push(missing);
        continue;
      }
    }
    keys.push(key);
  }
  if (gone.length === 0) return writeOwned(deps, lease, batch, { resultKeys: keys });
  const lastError = resultsGoneError(gone);
  const archived = await writeOwned(deps, lease, batch, {
    resultKeys: keys,
    resultsGone: gone,
    lastError,
  });
  // Counted once: a later run finds the batch archived and does not come here.
  deps.metrics.count(METRIC.BatchResultsGone, 1);
  deps.logger.error('the provider no longer keeps results of this batch', {
    batchId: batch.batchId,
    gone,
    archived: keys.length,
  });
  return archived;
};

export { archiveResults, providerResultsGoneOf };
