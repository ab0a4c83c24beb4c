import type { Destination } from '../../contract/destination.js';
import { METRIC } from '../../contract/metrics.js';
import type { ResultV1 } from '../../contract/result.js';
import { errorMessage } from '../../domain/errors.js';
import { parkedPrefix } from '../parkedPrefix.js';
import type { RuntimeDeps } from '../RuntimeDeps.js';

type ParkDeps = Pick<RuntimeDeps, 'blobs' | 'logger' | 'metrics'>;

/**
 * Parks results a destination would not take in batchlane's bucket, one JSONL object per
 * destination and part, for `batchlane replay` to send later: a failing destination must
 * not hold back the batch, nor the other destinations. Returns false if parking failed too.
 */
const parkResults = async (
  deps: ParkDeps,
  batchId: string,
  destination: Destination,
  results: readonly ResultV1[],
  part: string,
): Promise<boolean> => {
  const { blobs, logger, metrics } = deps;
  const key = `${parkedPrefix(destination)}${batchId}/${part}.jsonl`;
  try {
    await blobs.put(
      key,
      results.map((result) => `${JSON.stringify({ destination, result })}\n`).join(''),
      { contentType: 'application/x-ndjson' },
    );
  } catch (error) {
    logger.error('results could not be parked', { batchId, key, error: errorMessage(error) });
    return false;
  }
  metrics.count(METRIC.ResultsParked, results.length, { destination: destination.type });
  logger.warn('results parked for replay', {
    batchId,
    destination: destination.type,
    key,
    results: results.length,
  });
  return true;
};

export { type ParkDeps, parkResults };
