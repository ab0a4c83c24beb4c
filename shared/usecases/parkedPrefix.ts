import { createHash } from 'node:crypto';
import { type Destination, destinationKey } from '../contract/destination.js';
import { PARKED_ROOT } from '../domain/bucketLayout.js';

/**
 * The parking prefix of a destination: a short hash of its key (queue URLs and webhook URLs
 * do not make good object keys), under the destination type for readability.
 */
const parkedPrefix = (destination: Destination): string =>
  `${PARKED_ROOT}${destination.type}/${createHash('sha256').update(destinationKey(destination)).digest('hex').slice(0, 16)}/`;

export { PARKED_ROOT, parkedPrefix };
