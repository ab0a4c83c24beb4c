import { createHash } from 'node:crypto';
import type { ResultPointerV1, ResultV1 } from '../../contract/result.js';
import { OVERSIZE_ROOT } from '../../domain/bucketLayout.js';
import type { BlobStore } from '../../ports/BlobStore.js';
import type { DeliveryContext } from '../../ports/ResultDeliverer.js';

/**
 * Stores one oversized result in batchlane's own bucket and returns the pointer to send.
 * The key is derived from the batch, the delivery part and a hash of the custom id (which
 * may hold any character), so a redelivery overwrites the same object.
 */
const storeResultPointer = async (
  store: BlobStore,
  result: ResultV1,
  body: string,
  context: DeliveryContext,
): Promise<ResultPointerV1> => {
  const idHash = createHash('sha256').update(result.custom_id).digest('hex').slice(0, 32);
  const key = `${OVERSIZE_ROOT}${context.batchId ?? 'rejected'}/${context.part}/${idHash}.json`;
  await store.put(key, body, { contentType: 'application/json' });
  return {
    schema: 'batchlane.result-pointer.v1',
    custom_id: result.custom_id,
    status: result.status,
    s3_uri: store.uri(key),
  };
};

export { type ResultPointerV1, storeResultPointer };
