import { UnavailableError } from '../../domain/errors.js';
import type { BatchRecord } from '../../domain/records.js';
import type { BatchRecords } from '../../ports/BatchRecords.js';
import type { RuntimeDeps } from '../RuntimeDeps.js';
import { type CompletionLease, writeOwned } from './leaseBatch.js';

type ArchiveDeps = Pick<RuntimeDeps, 'providers' | 'blobs'> & {
  readonly store: Pick<BatchRecords, 'getBatch' | 'updateBatch'>;
};

/**
 * Downloads each provider result file into the blob store once (providers keep them about 30
 * days), before anything is delivered, and records their keys on the batch. A batch with its
 * keys recorded, or never accepted by its provider, is left as it is.
 */
const archiveResults = async (
  deps: ArchiveDeps,
  lease: CompletionLease,
  batch: BatchRecord,
): Promise<BatchRecord> => {
  if (batch.providerBatchId === null || batch.resultKeys.length > 0) return batch;
  const provider = deps.providers[batch.provider];
  if (provider === undefined) {
    throw new UnavailableError(`provider ${batch.provider} is not configured`, {
      code: 'provider_not_configured',
    });
  }
  const snapshot = await provider.retrieve(batch.providerBatchId);
  const keys: string[] = [];
  for (const [index, ref] of snapshot.resultRefs.entries()) {
    const key = `batches/${batch.batchId}/results-${index}.jsonl`;
    if (!(await deps.blobs.exists(key))) {
      await deps.blobs.put(key, await provider.openResults(ref), {
        contentType: 'application/x-ndjson',
      });
    }
    keys.push(key);
  }
  return writeOwned(deps, lease, batch, { resultKeys: keys });
};

export { archiveResults };
