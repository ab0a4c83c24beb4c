import { createHash } from 'node:crypto';
import { type Destination, destinationKey } from '../../contract/destination.js';
import { DETAIL_TYPES } from '../../contract/events.js';
import { METRIC } from '../../contract/metrics.js';
import type { ResultV1 } from '../../contract/result.js';
import { buildItemResult, groupByDestination, producerField } from '../../domain/buildResult.js';
import { costOutcome } from '../../domain/costOutcome.js';
import { errorMessage, isRetryable } from '../../domain/errors.js';
import { mapWithConcurrency } from '../../domain/mapWithConcurrency.js';
import type { BatchItem, BatchRecord, ItemCost } from '../../domain/records.js';
import type { RuntimeDeps, RuntimeSettings } from '../RuntimeDeps.js';
import type { OutcomeEntry } from './classifyResults.js';
import type { DeliveredOutcome } from './deliveryTotals.js';
import { type ParkDeps, parkResults } from './parkResults.js';

type DeliverDeps = ParkDeps &
  Pick<RuntimeDeps, 'deliverer' | 'events' | 'clock'> & {
    readonly settings: Pick<
      RuntimeSettings,
      'defaultDestination' | 'priceTable' | 'costTagKey' | 'publishRequestEvents'
    >;
  };

/** What a delivery call did: delivered (or parked) outcomes, and members not delivered. */
interface DeliveryOutcome {
  readonly delivered: DeliveredOutcome[];
  readonly failed: string[];
}

/** A result on its way to its destination. */
interface Routed {
  readonly destination: Destination;
  readonly item: BatchItem;
  readonly result: ResultV1;
  readonly itemCost: ItemCost;
}

/**
 * Names a delivery by what it carries: a rerun that sends exactly the same results writes the
 * same S3 object again, while one that sends fewer (some were recorded meanwhile) writes a new
 * object instead of overwriting, and losing, results already recorded as delivered.
 */
const fingerprint = (entries: readonly { item: BatchItem }[]): string =>
  createHash('sha256')
    .update(entries.map((e) => e.item.providerCustomId).join('\n'))
    .digest('hex')
    .slice(0, 12);

/**
 * Builds each outcome's result and cost and finds its destination; members with none (and no
 * default) are returned as failed.
 */
const routeOutcomes = (
  deps: DeliverDeps,
  batch: BatchRecord,
  entries: readonly OutcomeEntry[],
  now: Date,
): { routable: Routed[]; failed: string[] } => {
  const { settings, logger } = deps;
  const deliveredAt = now.toISOString();
  const routable: Routed[] = [];
  const failed: string[] = [];
  // Priced as of the provider's end of the batch: the day the usage was billed.
  const billedAt = batch.endedAt === null ? now : new Date(batch.endedAt);
  for (const { item, outcome } of entries) {
    const destination = item.destination ?? settings.defaultDestination;
    if (destination === null) {
      failed.push(item.providerCustomId);
      logger.error('result has no destination', {
        batchId: batch.batchId,
        customId: item.customId,
      });
      continue;
    }
    const { cost, itemCost } = costOutcome(
      {
        provider: batch.provider,
        endpoint: batch.endpoint,
        model: outcome.model ?? item.model,
        lane: 'batch',
        response: outcome.status === 'succeeded' ? outcome.response : null,
        at: billedAt,
        metadata: item.metadata,
      },
      settings.priceTable,
      settings.costTagKey,
    );
    routable.push({
      destination,
      item,
      result: buildItemResult(batch, item, outcome, deliveredAt, cost),
      itemCost,
    });
  }
  return { routable, failed };
};

/** One destination's share of a delivery call. */
interface DeliveryGroup {
  readonly destination: Destination;
  readonly entries: Routed[];
}

/**
 * Delivers one destination's group under a name made from its chunk and members, so a rerun
 * that delivers the same chunk again uses the same key (see the checkpoint). Results the
 * destination refuses for good, or for now on a run told to park, are parked. Returns what
 * was taken (or parked) and the members left undelivered.
 */
const deliverGroup = async (
  deps: DeliverDeps,
  batch: BatchRecord,
  group: DeliveryGroup,
  part: string,
  parkRetryable: boolean,
): Promise<{ taken: Routed[]; undelivered: string[] }> => {
  let failures: Map<string, unknown>;
  try {
    const outcome = await deps.deliverer.deliver(
      group.destination,
      group.entries.map((e) => e.result),
      { batchId: batch.batchId, part: `${part}-${fingerprint(group.entries)}` },
    );
    failures = new Map(outcome.failed.map((f) => [f.customId, f.error]));
  } catch (error) {
    failures = new Map(group.entries.map((e) => [e.item.customId, error]));
  }
  const taken = group.entries.filter((e) => !failures.has(e.item.customId));
  const undelivered = group.entries.filter((e) => failures.has(e.item.customId));
  if (undelivered.length === 0) return { taken, undelivered: [] };
  // A destination that refuses for good (forbidden, missing) is parked at once; one that
  // fails for now is retried with the batch until the run that is told to park.
  const permanent = undelivered.every((e) => !isRetryable(failures.get(e.item.customId)));
  deps.metrics.count(METRIC.DeliveryFailures, undelivered.length, {
    destination: group.destination.type,
  });
  // The deployed stack alarms on this message (infra/constructs/OperationalAlarms.ts).
  deps.logger.warn('results not delivered', {
    batchId: batch.batchId,
    destination: group.destination.type,
    results: undelivered.length,
    error: errorMessage(failures.get(undelivered[0]?.item.customId ?? '')),
  });
  if (
    (permanent || parkRetryable) &&
    (await parkResults(
      deps,
      batch.batchId,
      group.destination,
      undelivered.map((e) => e.result),
      part,
    ))
  ) {
    return { taken: [...taken, ...undelivered], undelivered: [] };
  }
  return { taken, undelivered: undelivered.map((e) => e.item.providerCustomId) };
};

/** One `Request Completed` event per delivered result. */
const requestEvents = (batch: BatchRecord, delivered: readonly Routed[], deliveredAt: string) =>
  delivered.map(({ destination, item, result }) => ({
    detailType: DETAIL_TYPES.requestCompleted,
    detail: {
      custom_id: item.customId,
      ...producerField(item.producer),
      status: result.status,
      batch_id: batch.batchId,
      provider: batch.provider,
      model: result.model,
      lane: 'batch' as const,
      attempts: item.attempts,
      destination_type: destination.type,
      accepted_at: item.acceptedAt,
      delivered_at: deliveredAt,
    },
  }));

/**
 * Delivers outcomes, grouped per destination; returns what was delivered (or parked), with
 * its status and cost, and the members whose results could not be delivered. Nothing is
 * recorded per result: the caller counts what it returns (see `settleDeliveries`).
 */
const deliverOutcomes = async (
  deps: DeliverDeps,
  batch: BatchRecord,
  entries: readonly OutcomeEntry[],
  part: string,
  parkRetryable: boolean,
): Promise<DeliveryOutcome> => {
  if (entries.length === 0) return { delivered: [], failed: [] };
  const { metrics } = deps;
  const now = deps.clock.now();
  const deliveredAt = now.toISOString();
  const { routable, failed } = routeOutcomes(deps, batch, entries, now);
  // One group per destination and producer: a destination reports failures by custom_id,
  // which is unique within one producer's members of a batch but not across producers.
  const groups = [
    ...groupByDestination(
      routable,
      (destination, entry) => `${destinationKey(destination)} ${entry.item.producer}`,
    ).values(),
  ];
  const delivered: Routed[] = [];
  const outcomes = await mapWithConcurrency(groups, 4, (group) =>
    deliverGroup(deps, batch, group, part, parkRetryable),
  );
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') throw outcome.reason;
    for (const entry of outcome.value.taken) {
      delivered.push(entry);
      metrics.count(METRIC.ResultsDelivered, 1, { status: entry.result.status });
      metrics.milliseconds(
        METRIC.AcceptanceToDelivery,
        now.getTime() - Date.parse(entry.item.acceptedAt),
      );
    }
    failed.push(...outcome.value.undelivered);
  }
  if (deps.settings.publishRequestEvents && delivered.length > 0) {
    await deps.events.publish(requestEvents(batch, delivered, deliveredAt));
  }
  return {
    delivered: delivered.map((entry) => ({
      providerCustomId: entry.item.providerCustomId,
      status: entry.result.status,
      deliveredAt,
      cost: entry.itemCost,
    })),
    failed,
  };
};

export { type DeliverDeps, type DeliveryOutcome, deliverOutcomes };
