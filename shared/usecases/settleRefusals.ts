import { type Destination, destinationKey } from '../contract/destination.js';
import { DETAIL_TYPES } from '../contract/events.js';
import type { ProviderName } from '../contract/providers.js';
import type { ResultV1 } from '../contract/result.js';
import { buildRejectedResult, groupByDestination } from '../domain/buildResult.js';
import { errorMessage } from '../domain/errors.js';
import { mapWithConcurrency } from '../domain/mapWithConcurrency.js';
import type { JsonValue } from '../domain/records.js';
import type { Rejection } from '../domain/validateRequest.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/** One intake message refused for good, and where (if anywhere) its result goes. */
interface Refusal {
  readonly messageId: string;
  readonly body: string;
  readonly rejection: Rejection;
  readonly customId: string | null;
  /** Set only when a `rejected` result is to be delivered (first time for this id). */
  readonly deliverTo: Destination | null;
}

/** The provider a refused message asked for, when it is a known one. */
const providerOf = (body: string): ProviderName | null => {
  try {
    const value = (JSON.parse(body) as { provider?: unknown }).provider;
    return value === 'anthropic' || value === 'openai' ? value : null;
  } catch {
    return null;
  }
};

const metadataOf = (body: string): JsonValue | null => {
  try {
    const value = (JSON.parse(body) as { metadata?: JsonValue }).metadata;
    return value === undefined ? null : value;
  } catch {
    return null;
  }
};

/**
 * Delivers the `rejected` results of one collector invocation, grouped per destination (one
 * call each, so an S3 destination gets one object, not one per message), then publishes one
 * `Request Rejected` event per refusal. Returns the message ids whose refusal could not be
 * completed, for SQS to retry.
 */
const settleRefusals = async (
  deps: RuntimeDeps,
  refusals: readonly Refusal[],
): Promise<Set<string>> => {
  const failed = new Set<string>();
  if (refusals.length === 0) return failed;
  const at = deps.clock.now().toISOString();

  const deliverable: { destination: Destination; refusal: Refusal; result: ResultV1 }[] = [];
  for (const refusal of refusals) {
    if (refusal.deliverTo === null || refusal.customId === null) continue;
    deliverable.push({
      destination: refusal.deliverTo,
      refusal,
      result: buildRejectedResult({
        customId: refusal.customId,
        provider: providerOf(refusal.body),
        rejection: refusal.rejection,
        metadata: metadataOf(refusal.body),
        at,
      }),
    });
  }
  const delivered = new Set<string>();
  const groups = [...groupByDestination(deliverable, destinationKey).values()];
  const outcomes = await mapWithConcurrency(groups, 4, (group) =>
    deps.deliverer.deliver(
      group.destination,
      group.entries.map((e) => e.result),
      { batchId: null, part: `rejected-${group.entries[0]?.refusal.messageId ?? at}` },
    ),
  );
  for (const [index, outcome] of outcomes.entries()) {
    const entries = groups[index]?.entries ?? [];
    const failedIds =
      outcome.status === 'rejected'
        ? new Set(entries.map((e) => e.result.custom_id))
        : new Set(outcome.value.failed.map((f) => f.customId));
    for (const entry of entries) {
      if (failedIds.has(entry.result.custom_id)) {
        failed.add(entry.refusal.messageId);
        deps.logger.warn('rejected result not delivered; will retry', {
          messageId: entry.refusal.messageId,
          error:
            outcome.status === 'rejected' ? errorMessage(outcome.reason) : 'destination refused it',
        });
      } else {
        delivered.add(entry.refusal.messageId);
      }
    }
  }

  const publishable = refusals.filter((r) => !failed.has(r.messageId));
  try {
    await deps.events.publish(
      publishable.map((refusal) => ({
        detailType: DETAIL_TYPES.requestRejected,
        detail: {
          custom_id: refusal.customId,
          reason: {
            code: refusal.rejection.code,
            message: refusal.rejection.message,
            issues: [...refusal.rejection.issues],
          },
          message_id: refusal.messageId,
          result_delivered: delivered.has(refusal.messageId),
          rejected_at: at,
        },
      })),
    );
  } catch (error) {
    deps.logger.warn('Request Rejected events not published; will retry', {
      error: errorMessage(error),
    });
    for (const refusal of publishable) failed.add(refusal.messageId);
    return failed;
  }
  for (const refusal of publishable) {
    deps.metrics.count('RequestsRejected', 1, { reason: refusal.rejection.code });
    deps.logger.info('request rejected', {
      messageId: refusal.messageId,
      customId: refusal.customId,
      code: refusal.rejection.code,
    });
  }
  return failed;
};

export { type Refusal, settleRefusals };
