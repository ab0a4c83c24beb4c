import { CLAIMS_ROOT } from './claimCheckLocation.js';

/**
 * The top-level prefixes of batchlane's bucket, by how long what is under them must live.
 * The stack gives each its own lifecycle rule; a key outside them would never expire, so
 * every key the runtime writes starts with one of these.
 */

/** Parked results, waiting for `batchlane replay`: a dead-letter queue per destination. */
const PARKED_ROOT = 'parked/';
/** Results too large for their destination's message limit, named by a result pointer. */
const OVERSIZE_ROOT = 'results/oversize/';

/** Working files: batch inputs and parts, archived provider results, realtime jobs, claim checks. */
const WORKING_PREFIXES: readonly string[] = ['batches/', 'realtime/', CLAIMS_ROOT];
/** What callers (through a pointer) and operators (through replay) still need after a batch. */
const RESULT_PREFIXES: readonly string[] = [PARKED_ROOT, OVERSIZE_ROOT];

/**
 * The batch a working file belongs to (`batches/<id>/…`: its parts and their member sidecars,
 * its input file, its archived results), or null for any other key.
 */
const batchIdOfArtifactKey = (key: string): string | null =>
  /^batches\/([^/]+)\//.exec(key)?.[1] ?? null;

export { batchIdOfArtifactKey, OVERSIZE_ROOT, PARKED_ROOT, RESULT_PREFIXES, WORKING_PREFIXES };
