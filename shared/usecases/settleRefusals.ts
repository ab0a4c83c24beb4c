import { type Destination, destinationKey } from '../contract/destination.js';
import { DETAIL_TYPES } from '../contract/events.js';
import { METRIC } from '../contract/metrics.js';
import { BUILT_IN_REGISTRY, type ProviderRegistry } from '../contract/providerRegistry.js';
import type { ProviderName } from '../contract/providers.js';
import type { ResultV1 } from '../contract/result.js';
import { buildRejectedResult, groupByDestination } from '../domain/buildResult.js';
import { errorMessage, isRetryable } from '../domain/errors.js';
import { mapWithConcurrency } from '../domain/mapWithConcurrency.js';
import type { JsonValue } from '../domain/records.js';
import type { Rejection } from '../domain/validateRequest.js';
import type { RequestLedger } from '../ports/RequestLedger.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/** What settling refusals uses: the destination and events, and the ledger it marks. */
type SettleRefusalsDeps = Pick<
  RuntimeDeps,
  'clock' | 'deliverer' | 'events' | 'logger' | 'metrics' | 'settings'
> & {
  readonly store: RequestLedger;
};

/** One intake message refused for good, and where (if anywhere) its result goes. */
interface Refusal {
  readonly messageId: string;
  readonly body: string;
  /** The caller's metadata, echoed on the `rejected` result (null when out of bounds). */
  readonly metadata: JsonValue | null;
  readonly rejection: Rejection;
  /** Who sent the message: its result, event and ledger entry are this producer's. */
  readonly producer: string;
  readonly customId: string | null;
  /** Set only when a `rejected` result is to be delivered (first time for this id). */
  readonly deliverTo: Destination | null;
  /** Whether this refusal holds the id in the ledger (`rejecting` until it is out). */
  readonly registered: boolean;
}

/** The provider a refused message asked for, when it is one the deployment knows. */
const providerOf = (body: string, registry: ProviderRegistry): ProviderName | null => {
  try {
    const value = (JSON.parse(body) as { provider?: unknown }).provider;
    return typeof value === 'string' && registry.has(value) ? value : null;
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
  deps: SettleRefusalsDeps,
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
        producer: refusal.producer,
        provider: providerOf(refusal.body, deps.settings.registry ?? BUILT_IN_REGISTRY),
        rejection: refusal.rejection,
        metadata: refusal.metadata,
        at,
      }),
    });
  }
  const delivered = new Set<string>();
  // Per destination and producer: failures come back by custom_id, unique only per producer.
  const groups = [
    ...groupByDestination(
      deliverable,
      (destination, entry) => `${destinationKey(destination)} ${entry.refusal.producer}`,
    ).values(),
  ];
  const outcomes = await mapWithConcurrency(groups, 4, (group) =>
    deps.deliverer.deliver(
      group.destination,
      group.entries.map((e) => e.result),
      { batchId: null, part: `rejected-${group.entries[0]?.refusal.messageId ?? at}` },
    ),
  );
  for (const [index, outcome] of outcomes.entries()) {
    const entries = groups[index]?.entries ?? [];
    const failures = new Map<string, unknown>(
      outcome.status === 'rejected'
        ? entries.map((e) => [e.result.custom_id, outcome.reason])
        : outcome.value.failed.map((f) => [f.customId, f.error]),
    );
    for (const entry of entries) {
      if (!failures.has(entry.result.custom_id)) {
        delivered.add(entry.refusal.messageId);
        continue;
      }
      const error = failures.get(entry.result.custom_id);
      // A destination that can never take it (missing, forbidden) does not hold the refusal
      // back: its event says no result was delivered. Anything else is tried again.
      if (isRetryable(error)) failed.add(entry.refusal.messageId);
      // The deployed stack alarms on this message (infra/constructs/OperationalAlarms.ts).
      deps.logger.warn('rejected result not delivered; will retry', {
        messageId: entry.refusal.messageId,
        retryable: isRetryable(error),
        error: errorMessage(error),
      });
    }
  }

  const publishable = refusals.filter((r) => !failed.has(r.messageId));
  try {
    await deps.events.publish(
      publishable.map((refusal) => ({
        detailType: DETAIL_TYPES.requestRejected,
        detail: {
          custom_id: refusal.customId,
          producer: refusal.producer,
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
  // Result and event are out: identical resends fold silently from now on.
  const marks = await mapWithConcurrency(
    publishable.filter((r) => r.registered && r.customId !== null),
    16,
    async (refusal) => {
      try {
        await deps.store.markRefused(refusal.producer, refusal.customId as string);
      } catch (error) {
        failed.add(refusal.messageId);
        throw error;
      }
    },
  );
  for (const mark of marks) {
    if (mark.status === 'rejected') {
      deps.logger.warn('refusal not recorded as sent; will retry', {
        error: errorMessage(mark.reason),
      });
    }
  }
  for (const refusal of publishable) {
    deps.metrics.count(METRIC.RequestsRejected, 1, { reason: refusal.rejection.code });
    deps.logger.info('request rejected', {
      messageId: refusal.messageId,
      producer: refusal.producer,
      customId: refusal.customId,
      code: refusal.rejection.code,
    });
  }
  return failed;
};

export { type Refusal, type SettleRefusalsDeps, settleRefusals };
