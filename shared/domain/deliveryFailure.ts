import { createHash } from 'node:crypto';
import type { ResultV1 } from '../contract/result.js';
import type { BatchlaneError } from './errors.js';

/**
 * Which request a result answers within one delivery: a `custom_id` is its producer's own, so
 * two producers may share one, and only the pair tells their results apart. A result without a
 * `producer` is the default producer's (`buildResult` leaves the field out for it), and so is
 * a result written before producers were told apart, when every id was in that one namespace.
 */
const resultIdentityOf = (result: Pick<ResultV1, 'custom_id' | 'producer'>): string =>
  JSON.stringify([result.producer ?? '', result.custom_id]);

/**
 * The name a destination deduplicates a result by (an SQS FIFO deduplication and group id, a
 * webhook's `webhook-id`): its `custom_id` for the default producer, as before producers were
 * told apart, so a resend still folds with what an earlier version sent; for another producer
 * a digest of the pair, so two producers' results sharing an id are never folded into one.
 * Either way at most 64 characters of `[A-Za-z0-9_-]`, within SQS's 128.
 */
const resultDeliveryKeyOf = (result: Pick<ResultV1, 'custom_id' | 'producer'>): string =>
  result.producer === undefined || result.producer === ''
    ? result.custom_id
    : `p_${createHash('sha256').update(resultIdentityOf(result)).digest('base64url')}`;

/**
 * A result a destination did not take, as a `DeliveryReport` names it: its `custom_id`, and
 * its producer when it has one, so a caller can tell which of two results sharing an id
 * failed (see {@link resultIdentityOf}).
 */
const deliveryFailureOf = (
  result: Pick<ResultV1, 'custom_id' | 'producer'>,
  error: BatchlaneError,
): { readonly customId: string; readonly producer?: string; readonly error: BatchlaneError } => ({
  customId: result.custom_id,
  ...(result.producer === undefined ? {} : { producer: result.producer }),
  error,
});

/**
 * The results of one delivery its report says failed. Each failure is matched to its result by
 * producer and `custom_id`, so a producer's result is never taken for another's that shares
 * its id. A failure that names no producer matches the default producer's result (results
 * parked before producers were told apart have none); one that matches no result that way
 * (a report that left a producer out) keeps every result with its id: at worst one is sent
 * again, none is dropped.
 */
const failedResultsOf = <R extends Pick<ResultV1, 'custom_id' | 'producer'>>(
  results: readonly R[],
  failed: readonly { readonly customId: string; readonly producer?: string }[],
): R[] => {
  const present = new Set(results.map(resultIdentityOf));
  const refused = new Set<string>();
  const refusedAnyProducer = new Set<string>();
  for (const failure of failed) {
    const identity = resultIdentityOf({ custom_id: failure.customId, producer: failure.producer });
    if (present.has(identity)) refused.add(identity);
    else refusedAnyProducer.add(failure.customId);
  }
  return results.filter(
    (result) => refused.has(resultIdentityOf(result)) || refusedAnyProducer.has(result.custom_id),
  );
};

export { deliveryFailureOf, failedResultsOf, resultDeliveryKeyOf, resultIdentityOf };
