import { createHash } from 'node:crypto';
import { type Destination, destinationKey } from '../contract/destination.js';
import { DETAIL_TYPES, type StatusCounts } from '../contract/events.js';
import { METRIC } from '../contract/metrics.js';
import type { ResultStatus, ResultV1 } from '../contract/result.js';
import { isBudgetSet } from '../domain/admitRequests.js';
import { unansweredStatusOf } from '../domain/bedrockJobs.js';
import { budgetPeriodOf } from '../domain/budgetPeriod.js';
import {
  buildItemResult,
  groupByDestination,
  type ItemOutcome,
  producerField,
} from '../domain/buildResult.js';
import { costOutcome } from '../domain/costOutcome.js';
import { addCostSums } from '../domain/costs/CostEntry.js';
import { ConflictError, errorMessage, isRetryable, UnavailableError } from '../domain/errors.js';
import { mapWithConcurrency } from '../domain/mapWithConcurrency.js';
import { type ParsedResultLine, parseResultLine } from '../domain/parseResultLine.js';
import type { BatchItem, BatchRecord, DeliveryCheckpoint, ItemCost } from '../domain/records.js';
import { readLinesAt } from '../domain/splitLines.js';
import { sumItemCosts } from '../domain/sumItemCosts.js';
import { turnaroundModelOf, turnaroundMsOf } from '../domain/turnaround.js';
import type { BatchPatch } from '../ports/StateStore.js';
import { costEntriesOf } from './costEntriesOf.js';
import { createRetryBatch } from './createRetryBatch.js';
import { haltOnMissingArtifact, missingArtifactOf } from './haltOnMissingArtifact.js';
import { parkedPrefix } from './parkedPrefix.js';
import type { RuntimeDeps } from './RuntimeDeps.js';
import { finishSealing } from './sealBatch.js';
import { isoAfter, submitBatch } from './submitBatch.js';

interface CompletionReport {
  readonly batchId: string;
  readonly outcome:
    | 'completed'
    | 'already-completed'
    | 'not-ended'
    | 'unknown-batch'
    | 'owned-by-another-run'
    | 'paused'
    /** A sealed batch was assembled and handed to its provider (nothing delivered yet). */
    | 'submitted'
    /** A file the batch needs is missing: halted, reported, not retried. */
    | 'artifacts-missing';
  readonly delivered: number;
  readonly retried: number;
  readonly skipped: number;
  readonly counts: StatusCounts | null;
  readonly retryBatchId: string | null;
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
 * From this try on, results a destination still refuses are parked rather than failing the
 * batch again: the other results are long delivered, and the batch must not wait on one
 * destination (nor reach the completion DLQ because of it).
 */
const PARK_FROM_ATTEMPT = 3;

/**
 * A run with less time left than this stops at the next checkpoint and hands the batch to a
 * fresh run, instead of being killed by its timeout mid-delivery: a killed run would leave
 * its lease to expire first, and resend what it had sent but not yet recorded.
 */
const PAUSE_RESERVE_MS = 45_000;

const zeroCounts = (): StatusCounts => ({
  succeeded: 0,
  errored: 0,
  expired: 0,
  canceled: 0,
  rejected: 0,
  retried: 0,
});

/** A delivered (or parked) result: what the batch's counts and cost add up. */
interface DeliveredOutcome {
  readonly providerCustomId: string;
  readonly status: ResultStatus;
  readonly deliveredAt: string;
  readonly cost: ItemCost;
}

/** An outcome the provider reported, with whether sending the request again may help. */
type LineOutcome = ItemOutcome & { readonly retryable: boolean };

/** A cost group as the checkpoint carries it: an `ItemCost` summed over `requests` results. */
type CostSum = ItemCost & { requests: number };

/** What the deliveries so far counted and cost. */
interface DeliveryTotals {
  readonly counts: StatusCounts;
  readonly costs: Map<string, CostSum>;
}

const costGroupKey = (cost: Pick<ItemCost, 'day' | 'model' | 'tag'>): string =>
  JSON.stringify([cost.day, cost.model, cost.tag]);

/** The totals a checkpoint carries (none before the first, or on an older record). */
const totalsOf = (checkpoint: DeliveryCheckpoint | null): DeliveryTotals => ({
  counts: { ...zeroCounts(), ...(checkpoint?.counts ?? {}) },
  costs: new Map((checkpoint?.costs ?? []).map((c) => [costGroupKey(c), { ...c }])),
});

/** Adds one result's cost to its (day, model, tag) group. */
const addCost = (costs: Map<string, CostSum>, cost: ItemCost): void => {
  const key = costGroupKey(cost);
  const sum = costs.get(key);
  if (sum === undefined) costs.set(key, { ...cost, requests: 1 });
  else addCostSums(sum, cost);
};

const addTotals = (totals: DeliveryTotals, delivered: readonly DeliveredOutcome[]): void => {
  for (const { status, cost } of delivered) {
    totals.counts[status] += 1;
    addCost(totals.costs, cost);
  }
};

const checkpointTotals = (
  totals: DeliveryTotals,
): Pick<DeliveryCheckpoint, 'counts' | 'costs'> => ({
  counts: { ...totals.counts },
  costs: [...totals.costs.values()].map((c) => ({ ...c })),
});

const report = (
  batchId: string,
  outcome: CompletionReport['outcome'],
  counts: StatusCounts | null = null,
): CompletionReport => ({
  batchId,
  outcome,
  delivered: 0,
  retried: 0,
  skipped: 0,
  counts,
  retryBatchId: null,
});

/**
 * What a provider's end state says about members its results leave out, where it says more
 * than "missing": a Bedrock job that expired before it started, or ran out of time part-way
 * (`PartiallyCompleted`), leaves them unprocessed (`expired`, sent again while attempts and
 * deadline allow); a stopped job, canceled.
 */
const unansweredOutcomeOf = (batch: BatchRecord): LineOutcome | null => {
  if (batch.provider !== 'bedrock') return null;
  const status = unansweredStatusOf(batch.providerStatus);
  if (status === null) return null;
  return {
    status,
    response: null,
    error: {
      type: status === 'expired' ? 'expired' : 'canceled',
      message: `the Bedrock job ended ${batch.providerStatus} before processing this request`,
    },
    usage: null,
    model: null,
    retryable: status === 'expired',
  };
};

/**
 * The completion step for one ended batch:
 * 1. takes a lease on the batch, so two runs (a redelivered message, a re-kick by the
 *    poller) never deliver the same results at once;
 * 2. archives the provider's raw result files in the blob store (providers keep them about
 *    30 days) before anything is delivered;
 * 3. loads the batch's members once (its parts' sidecars, with the few exception items over
 *    them), streams the results line by line from the last checkpoint and, per chunk:
 *    records members to send again and results a destination did not take as exception
 *    items, delivers the rest to their callers' destinations in groups, and moves the
 *    checkpoint with the chunk's counts and costs. No write per result: a crash before the
 *    checkpoint moves delivers that chunk again, under the same names, and counts it once;
 *    the exceptions it recorded are read back by the rerun, which delivers owed results
 *    again (reading the results before its checkpoint) and records those on their items;
 * 4. sends `expired`, `canceled` and retryable `errored` members to a new batch, while they
 *    have attempts left and their deadline has not passed;
 * 5. delivers members the provider returned nothing for, so every member ends with exactly
 *    one outcome; then publishes `Batch Ended` and `Batch Delivered` and closes the batch.
 */
const createCompletion = (deps: RuntimeDeps, options: { readonly chunkSize?: number } = {}) => {
  const { store, blobs, clock, logger, metrics, settings } = deps;
  const chunkSize = options.chunkSize ?? 500;

  /** Whether destinations that fail with retryable errors get their results parked this run. */
  let parkRetryable = false;

  /**
   * Parks results a destination would not take in batchlane's bucket, one JSONL object per
   * destination and part, for `batchlane replay` to send later: a failing destination must
   * not hold back the batch, nor the other destinations. Returns false if parking failed too.
   */
  const park = async (
    batch: BatchRecord,
    destination: Destination,
    results: readonly ResultV1[],
    part: string,
  ): Promise<boolean> => {
    const key = `${parkedPrefix(destination)}${batch.batchId}/${part}.jsonl`;
    try {
      await blobs.put(
        key,
        results.map((result) => `${JSON.stringify({ destination, result })}\n`).join(''),
        {
          contentType: 'application/x-ndjson',
        },
      );
    } catch (error) {
      logger.error('results could not be parked', {
        batchId: batch.batchId,
        key,
        error: errorMessage(error),
      });
      return false;
    }
    metrics.count(METRIC.ResultsParked, results.length, { destination: destination.type });
    logger.warn('results parked for replay', {
      batchId: batch.batchId,
      destination: destination.type,
      key,
      results: results.length,
    });
    return true;
  };

  const retryAllowed = (item: BatchItem, outcome: LineOutcome): boolean =>
    outcome.retryable &&
    item.attempts < settings.maxAttempts &&
    (item.deadline === null || Date.parse(item.deadline) > clock.now().getTime());

  /**
   * Delivers outcomes, grouped per destination; returns what was delivered (or parked), with
   * its status and cost, and the members whose results could not be delivered. Nothing is
   * recorded per result: the caller counts what it returns (see `settle`).
   */
  const deliver = async (
    batch: BatchRecord,
    entries: readonly { item: BatchItem; outcome: ItemOutcome }[],
    part: string,
  ): Promise<{ delivered: DeliveredOutcome[]; failed: string[] }> => {
    if (entries.length === 0) return { delivered: [], failed: [] };
    const now = clock.now();
    const deliveredAt = now.toISOString();
    const routable: {
      destination: Destination;
      item: BatchItem;
      result: ResultV1;
      itemCost: ItemCost;
    }[] = [];
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
    // One group per destination and producer: a destination reports failures by custom_id,
    // which is unique within one producer's members of a batch but not across producers.
    const groups = [
      ...groupByDestination(
        routable,
        (destination, entry) => `${destinationKey(destination)} ${entry.item.producer}`,
      ).values(),
    ];
    const delivered: (typeof routable)[number][] = [];
    const record = (entries: readonly (typeof routable)[number][]): void => {
      for (const entry of entries) {
        delivered.push(entry);
        metrics.count(METRIC.ResultsDelivered, 1, { status: entry.result.status });
        metrics.milliseconds(
          METRIC.AcceptanceToDelivery,
          now.getTime() - Date.parse(entry.item.acceptedAt),
        );
      }
    };

    /**
     * Delivers one destination's group under a name made from its chunk and members, so a
     * rerun that delivers the same chunk again uses the same key (see the checkpoint).
     */
    const deliverGroup = async (group: (typeof groups)[number]): Promise<string[]> => {
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
      record(taken);
      const undelivered = group.entries.filter((e) => failures.has(e.item.customId));
      if (undelivered.length === 0) return [];
      // A destination that refuses for good (forbidden, missing) is parked at once; one that
      // fails for now is retried with the batch until the run that is told to park.
      const permanent = undelivered.every((e) => !isRetryable(failures.get(e.item.customId)));
      metrics.count(METRIC.DeliveryFailures, undelivered.length, {
        destination: group.destination.type,
      });
      // The deployed stack alarms on this message (infra/constructs/OperationalAlarms.ts).
      logger.warn('results not delivered', {
        batchId: batch.batchId,
        destination: group.destination.type,
        results: undelivered.length,
        error: errorMessage(failures.get(undelivered[0]?.item.customId ?? '')),
      });
      if (
        (permanent || parkRetryable) &&
        (await park(
          batch,
          group.destination,
          undelivered.map((e) => e.result),
          part,
        ))
      ) {
        record(undelivered);
        return [];
      }
      return undelivered.map((e) => e.item.providerCustomId);
    };
    const outcomes = await mapWithConcurrency(groups, 4, deliverGroup);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') throw outcome.reason;
      failed.push(...outcome.value);
    }
    if (settings.publishRequestEvents && delivered.length > 0) {
      await deps.events.publish(
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
        })),
      );
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

  /** Downloads each provider result file into the blob store once. */
  const archive = async (
    batch: BatchRecord,
    update: (current: BatchRecord, patch: BatchPatch) => Promise<BatchRecord>,
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
      if (!(await blobs.exists(key))) {
        await blobs.put(key, await provider.openResults(ref), {
          contentType: 'application/x-ndjson',
        });
      }
      keys.push(key);
    }
    return update(batch, { resultKeys: keys });
  };

  /**
   * A `submitted` batch may be named by a notification that overtook the poller's write:
   * ask the provider, and record the end here if it has ended.
   */
  const confirmEnded = async (batch: BatchRecord): Promise<BatchRecord | null> => {
    const provider = deps.providers[batch.provider];
    if (batch.state !== 'submitted' || batch.providerBatchId === null || provider === undefined) {
      return null;
    }
    const snapshot = await provider.retrieve(batch.providerBatchId);
    if (snapshot.phase !== 'ended') return null;
    return store.updateBatch(batch.batchId, batch.version, {
      state: 'ended',
      providerStatus: snapshot.providerStatus,
      endedAt: snapshot.endedAt ?? clock.now().toISOString(),
      lastError:
        snapshot.failure === null ? null : `${snapshot.failure.code}: ${snapshot.failure.message}`,
    });
  };

  /**
   * The result lines before `checkpoint`, each with the offset it starts at: a run that
   * resumes there reads them back, to know which members the results answered (so its sweep
   * of unanswered members does not take them for missing) and to deliver again the results a
   * destination did not take.
   */
  async function* linesBefore(
    batch: BatchRecord,
    checkpoint: DeliveryCheckpoint | null,
  ): AsyncGenerator<{ line: ParsedResultLine; fileIndex: number; offset: number }> {
    if (checkpoint === null) return;
    for (const [fileIndex, key] of batch.resultKeys.entries()) {
      if (fileIndex > checkpoint.fileIndex) break;
      const end = fileIndex === checkpoint.fileIndex ? checkpoint.offset : Number.POSITIVE_INFINITY;
      if (end === 0) continue;
      let offset = 0;
      for await (const text of readLinesAt(await blobs.getStream(key))) {
        try {
          yield { line: parseResultLine(batch.provider, text.text), fileIndex, offset };
        } catch {
          // Malformed: its member is swept as missing, as the run that passed it found.
        }
        offset = text.nextOffset;
        if (offset >= end) break;
      }
    }
  }

  return async (
    batchId: string,
    runOptions: {
      /** Which try at this batch this is (the completion message's receive count). */
      readonly attempt?: number;
      /** Park what a destination keeps refusing, whatever the attempt. */
      readonly parkUndeliverable?: boolean;
      /** Time left in this invocation (ms); without it, a run never pauses. */
      readonly timeLeftMs?: () => number;
    } = {},
  ): Promise<CompletionReport> => {
    parkRetryable = runOptions.parkUndeliverable ?? (runOptions.attempt ?? 1) >= PARK_FROM_ATTEMPT;
    let batch = await store.getBatch(batchId);
    if (batch === null) {
      logger.error('completion asked for an unknown batch', { batchId });
      return report(batchId, 'unknown-batch');
    }
    if (batch.state === 'completed') return report(batchId, 'already-completed', batch.counts);
    if (batch.state === 'sealing') {
      await finishSealing(deps, batch);
      return report(batchId, 'submitted');
    }
    if (batch.state === 'open' || batch.state === 'submitting') {
      // Handed over by the poller: a submission that failed for now or was cut off.
      await submitBatch(deps, batch).catch((error: unknown) => {
        logger.warn('submission failed again; the poller will hand it back', {
          batchId,
          error: errorMessage(error),
        });
      });
      return report(batchId, 'submitted');
    }
    if (batch.state === 'submitted') batch = (await confirmEnded(batch)) ?? batch;
    if (batch.state !== 'ended') {
      logger.info('completion asked for a batch that has not ended', {
        batchId,
        state: batch.state,
      });
      return report(batchId, 'not-ended');
    }
    const leaseStart = clock.now();
    if (
      batch.completionLeaseUntil !== null &&
      Date.parse(batch.completionLeaseUntil) > leaseStart.getTime()
    ) {
      logger.info('another completion run owns this batch', {
        batchId,
        until: batch.completionLeaseUntil,
      });
      return report(batchId, 'owned-by-another-run');
    }
    const leaseUntil = isoAfter(leaseStart, settings.leaseMs);
    // The poller's next look is pushed to the lease's end, so it does not write the batch
    // (and bump its version) while this run owns it.
    const lease = { completionLeaseUntil: leaseUntil, nextPollAt: leaseUntil };
    try {
      batch = await store.updateBatch(batchId, batch.version, lease);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Someone wrote the batch since it was read: the poller (try again on the fresh
      // record) or another completion run (its lease stands).
      const fresh = await store.getBatch(batchId);
      if (
        fresh === null ||
        fresh.state !== 'ended' ||
        (fresh.completionLeaseUntil !== null &&
          Date.parse(fresh.completionLeaseUntil) > leaseStart.getTime())
      ) {
        return report(
          batchId,
          fresh?.state === 'completed' ? 'already-completed' : 'owned-by-another-run',
        );
      }
      try {
        batch = await store.updateBatch(batchId, fresh.version, lease);
      } catch (retryError) {
        if (retryError instanceof ConflictError) return report(batchId, 'owned-by-another-run');
        throw retryError;
      }
    }

    try {
      return await completeLeased(batch, leaseUntil, runOptions.timeLeftMs ?? (() => Infinity));
    } catch (error) {
      // A file the batch needs is gone: no retry can route its results (see the use case).
      const missing = missingArtifactOf(error);
      if (missing !== null) {
        await haltOnMissingArtifact(deps, batchId, missing, error);
        return report(batchId, 'artifacts-missing');
      }
      // Hand the batch back at once, so the retried message does not wait for the lease.
      const current = await store.getBatch(batchId).catch(() => null);
      if (current !== null && current.state !== 'completed') {
        await store
          .updateBatch(batchId, current.version, { completionLeaseUntil: null })
          .catch(() => undefined);
      }
      throw error;
    }
  };

  async function completeLeased(
    leased: BatchRecord,
    leaseUntil: string,
    timeLeftMs: () => number,
  ): Promise<CompletionReport> {
    const batchId = leased.batchId;
    /**
     * A versioned write of this run. Should another writer have bumped the version meanwhile
     * (an older poller still running), the write is applied again on the fresh record as
     * long as this run still holds the lease; otherwise the conflict stands.
     */
    const updateOwned = async (current: BatchRecord, patch: BatchPatch): Promise<BatchRecord> => {
      try {
        return await store.updateBatch(batchId, current.version, patch);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const fresh = await store.getBatch(batchId);
        if (fresh === null || fresh.state !== 'ended' || fresh.completionLeaseUntil !== leaseUntil)
          throw error;
        return store.updateBatch(batchId, fresh.version, patch);
      }
    };
    // Short-lived functions (local tests) keep a quarter of their time in reserve instead.
    const reserveMs = Math.min(PAUSE_RESERVE_MS, timeLeftMs() / 4);
    let batch = await archive(leased, updateOwned);
    // The batch's members, loaded once: its parts' sidecars, each member with what its
    // exception item says (escalated, delivered by the realtime lane, to be sent again).
    const members = new Map<string, BatchItem>();
    const retries = new Map<string, BatchItem>();
    /** Members whose result a destination did not take yet: owed a delivery. */
    const owed = new Set<string>();
    /** Members with an exception item: counted from it, not from the totals. */
    const exceptionIds: string[] = [];
    for await (const page of store.listItems(batchId)) {
      for (const item of page) {
        members.set(item.providerCustomId, item);
        if (
          item.status !== null ||
          item.escalatedAt !== null ||
          item.retryAt != null ||
          item.undeliveredAt != null
        ) {
          exceptionIds.push(item.providerCustomId);
        }
        if (item.status !== null || item.escalatedAt !== null) continue;
        // Chosen for a retry by an earlier run whose checkpoint passed its result.
        if (item.retryAt != null) retries.set(item.providerCustomId, item);
        else if (item.undeliveredAt != null) owed.add(item.providerCustomId);
      }
    }
    const start = batch.checkpoint;
    // What the results before the checkpoint delivered, counted once: carried from run to run
    // in the checkpoint, never recounted from the results.
    const totals = totalsOf(start);
    /** Members the results answered, wherever this run started. */
    const answered = new Set<string>();
    let delivered = 0;
    let skipped = 0;
    let failed = 0;
    // The batch's first delivery, when this run made it (a run resuming at a checkpoint did
    // not: the first is then unknown). Kept for the turnaround record.
    let firstDeliveredAt: string | null = null;

    /**
     * Counts what a delivery call did. A member with an exception item (its result was not
     * taken once) has its delivery recorded there; the others are counted into the totals
     * the next checkpoint carries. Results a destination did not take become exceptions
     * before the checkpoint can pass them, so a later run delivers them again.
     */
    const settle = async (outcome: {
      delivered: readonly DeliveredOutcome[];
      failed: readonly string[];
    }): Promise<void> => {
      const late = outcome.delivered.filter((d) => owed.has(d.providerCustomId));
      if (late.length > 0) {
        await store.recordDeliveries(batchId, late);
        for (const d of late) owed.delete(d.providerCustomId);
      }
      addTotals(
        totals,
        outcome.delivered.filter((d) => !late.includes(d)),
      );
      const newlyFailed = outcome.failed.filter((id) => !owed.has(id));
      if (newlyFailed.length > 0) {
        await store.markUndelivered(batchId, newlyFailed, clock.now().toISOString());
        for (const id of newlyFailed) owed.add(id);
        exceptionIds.push(...newlyFailed);
      }
      delivered += outcome.delivered.length;
      failed += outcome.failed.length;
      firstDeliveredAt ??= outcome.delivered[0]?.deliveredAt ?? null;
    };

    const processChunk = async (
      lines: readonly ParsedResultLine[],
      part: string,
    ): Promise<void> => {
      const entries: { item: BatchItem; outcome: ItemOutcome }[] = [];
      const toRetry: BatchItem[] = [];
      for (const line of lines) {
        answered.add(line.providerCustomId);
        const item = members.get(line.providerCustomId);
        if (item === undefined) {
          logger.warn('result line for an unknown request', {
            batchId,
            providerCustomId: line.providerCustomId,
          });
          metrics.count(METRIC.UnknownResultLines, 1);
          continue;
        }
        // Escalated members are the realtime lane's to deliver: this later answer is dropped.
        if (
          item.deliveredAt !== null ||
          item.escalatedAt !== null ||
          retries.has(item.providerCustomId)
        ) {
          skipped += 1;
          continue;
        }
        const outcome: LineOutcome = {
          status: line.status,
          response: line.response,
          error: line.error,
          usage: line.usage,
          model: line.model,
          // Expired and canceled requests never ran: sending them again is always sound.
          retryable: line.retryable || line.status === 'expired' || line.status === 'canceled',
        };
        if (retryAllowed(item, outcome)) toRetry.push(item);
        else entries.push({ item, outcome });
      }
      // Recorded before the checkpoint can pass them: the exceptions of this chunk.
      if (toRetry.length > 0) {
        await store.markForRetry(
          batchId,
          toRetry.map((item) => item.providerCustomId),
          clock.now().toISOString(),
        );
        for (const item of toRetry) retries.set(item.providerCustomId, item);
      }
      await settle(await deliver(batch, entries, part));
    };

    // Before the checkpoint: which members were answered, and the results owed a delivery,
    // delivered again in chunks named after where each chunk starts.
    let redo: ParsedResultLine[] = [];
    let redoName = '';
    for await (const { line, fileIndex, offset } of linesBefore(batch, start)) {
      if (!owed.has(line.providerCustomId)) {
        answered.add(line.providerCustomId);
        continue;
      }
      if (redo.length === 0) redoName = `redo-${fileIndex}-${offset}`;
      redo.push(line);
      if (redo.length >= chunkSize) {
        await processChunk(redo, redoName);
        redo = [];
      }
    }
    if (redo.length > 0) await processChunk(redo, redoName);

    for (const [fileIndex, key] of batch.resultKeys.entries()) {
      if (start !== null && fileIndex < start.fileIndex) continue;
      const offset = start !== null && fileIndex === start.fileIndex ? start.offset : 0;
      let chunk: ParsedResultLine[] = [];
      let chunkStart = offset;
      let reached = offset;
      /**
       * Delivers the chunk, then moves the checkpoint past it with the totals (one write per
       * chunk of results). A crash between the two delivers the chunk again from the same
       * start, under the same names (stable keys); its members marked for a retry or owed a
       * delivery were recorded before the checkpoint moved.
       */
      const flush = async (): Promise<void> => {
        if (chunk.length > 0) await processChunk(chunk, `${fileIndex}-${chunkStart}`);
        chunk = [];
        chunkStart = reached;
        batch = await updateOwned(batch, {
          checkpoint: { fileIndex, offset: reached, ...checkpointTotals(totals) },
        });
      };
      /**
       * Out of time: the next run resumes at the checkpoint. The batch is handed back and a new
       * completion message sent before this run returns, so nothing waits for the lease to
       * run out.
       */
      const pause = async (): Promise<CompletionReport> => {
        await updateOwned(batch, { completionLeaseUntil: null });
        await deps.completion.notifyEnded(batchId);
        metrics.count(METRIC.CompletionPauses, 1);
        logger.info('completion paused before the function timeout', {
          batchId,
          delivered,
          fileIndex,
          offset: reached,
        });
        return { ...report(batchId, 'paused'), delivered, skipped };
      };
      for await (const line of readLinesAt(await blobs.getStream(key, { start: offset }), offset)) {
        reached = line.nextOffset;
        try {
          chunk.push(parseResultLine(batch.provider, line.text));
        } catch (error) {
          // The member this line was for is found missing below and handled there.
          metrics.count(METRIC.MalformedResultLines, 1);
          logger.error('malformed result line', { batchId, key, error: errorMessage(error) });
        }
        if (chunk.length >= chunkSize) {
          await flush();
          // Only after delivering something new, so that every run moves the batch forward.
          if (delivered > 0 && timeLeftMs() < reserveMs) return pause();
        }
      }
      await flush();
    }

    // Members the results did not cover get their verdict now. Not checkpointed: every run
    // that gets here gives the same verdicts to the same members, under the same names.
    const refused =
      batch.providerBatchId === null || (batch.lastError !== null && batch.resultKeys.length === 0);
    const verdict: LineOutcome = refused
      ? {
          status: 'errored',
          response: null,
          error: {
            type: 'batch_failed',
            message: batch.lastError ?? 'the provider refused the batch',
          },
          usage: null,
          model: null,
          retryable: false,
        }
      : (unansweredOutcomeOf(batch) ?? {
          status: 'errored',
          response: null,
          error: {
            type: 'missing_result',
            message: 'the provider returned no result for this request',
          },
          usage: null,
          model: null,
          retryable: true,
        });
    let missing: { item: BatchItem; outcome: ItemOutcome }[] = [];
    let sweep = 0;
    const flushMissing = async (): Promise<void> => {
      await settle(await deliver(batch, missing, `missing-${sweep++}`));
      missing = [];
    };
    for (const item of members.values()) {
      if (
        answered.has(item.providerCustomId) ||
        item.deliveredAt !== null ||
        item.escalatedAt !== null ||
        retries.has(item.providerCustomId)
      )
        continue;
      if (retryAllowed(item, verdict)) retries.set(item.providerCustomId, item);
      else missing.push({ item, outcome: verdict });
      if (missing.length >= chunkSize) await flushMissing();
    }
    await flushMissing();
    if (failed > 0) {
      throw new UnavailableError(
        `${failed} results of batch ${batchId} could not be delivered yet`,
        {
          code: 'delivery_incomplete',
          details: { batchId, failed, delivered },
        },
      );
    }

    const retryBatchId =
      retries.size === 0 ? null : await createRetryBatch(deps, batch, retries, settings.leaseMs);
    exceptionIds.push(...retries.keys());

    // The exceptions as they now stand: members moved to the retry batch, served by the
    // realtime lane, or delivered after a failed try are counted (and the last costed) from
    // their items; every other member from the totals.
    // The batch has ended, so no member becomes an exception but by this run's hand: those
    // known at the start, and those this run sent again or could not deliver.
    const counts: StatusCounts = { ...totals.counts };
    const costs = new Map(totals.costs);
    let undelivered = 0;
    for (const item of (await store.exceptionsOf(batchId, exceptionIds)).values()) {
      if (item.status === null) {
        undelivered += 1;
        continue;
      }
      counts[item.status] += 1;
      // Escalated members are costed by the realtime lane, which served them.
      if (item.cost !== null && item.status !== 'retried' && item.escalatedAt === null) {
        addCost(costs, item.cost);
      }
    }
    if (undelivered > 0) {
      // Escalated and not yet served by the realtime lane, or a move lost to a concurrent
      // run: try again.
      throw new UnavailableError(`${undelivered} members of batch ${batchId} have no outcome yet`, {
        code: 'delivery_incomplete',
        details: { batchId, undelivered },
      });
    }

    // The batch's cost, from the checkpointed sums, this run's deliveries and the exception
    // items: written to the ledger as entries keyed by this batch (a rerun rewrites the same
    // entries) before it is completed.
    const costGroups = [...costs.values()];
    const cost = sumItemCosts(costGroups);
    await deps.costs.record(costEntriesOf(batch.batchId, batch.provider, 'batch', cost.groups));
    if (isBudgetSet(settings.budget)) {
      // What the batch's members were reserved at (its estimate) becomes what they cost, in
      // the period the batch was made in; once per batch, whatever the reruns.
      const actual = costGroups.reduce((sum, c) => sum + c.nanoUsd, 0);
      await deps.budgets.settle(
        `batch:${batch.batchId}`,
        budgetPeriodOf(new Date(batch.createdAt)),
        actual - (batch.estimate?.nanoUsd ?? 0),
      );
    }

    // Publish before recording completion: a crash in between repeats the events (at least
    // once) rather than losing them.
    const completedAt = clock.now().toISOString();
    // What both events say of the batch.
    const batchDetail = {
      batch_id: batch.batchId,
      provider: batch.provider,
      provider_batch_id: batch.providerBatchId ?? '',
      request_count: batch.requestCount,
      counts,
    };
    await deps.events.publish([
      {
        detailType: DETAIL_TYPES.batchEnded,
        detail: {
          ...batchDetail,
          cost: cost.total,
          submitted_at: batch.submittedAt ?? batch.createdAt,
          ended_at: batch.endedAt ?? completedAt,
          delivered_at: completedAt,
        },
      },
      {
        detailType: DETAIL_TYPES.batchDelivered,
        detail: {
          ...batchDetail,
          retry_batch_ids: retryBatchId === null ? [] : [retryBatchId],
          delivered_at: completedAt,
        },
      },
    ]);
    await updateOwned(batch, {
      state: 'completed',
      counts,
      completedAt,
      nextPollAt: null,
      completionLeaseUntil: null,
    });
    await recordTurnaround(
      batch,
      completedAt,
      leased.checkpoint === null ? firstDeliveredAt : null,
    );
    metrics.count(METRIC.BatchesDelivered, 1, { provider: batch.provider });
    // Micro-dollars: whole numbers CloudWatch sums without float drift.
    metrics.count(METRIC.CostMicroUsd, Math.round(cost.total.usd * 1e6), {
      provider: batch.provider,
    });
    metrics.count(METRIC.SavedMicroUsd, Math.round(cost.total.saved_usd * 1e6), {
      provider: batch.provider,
    });
    await deleteProviderArtifacts(batch);
    logger.info('batch delivered', { batchId, delivered, skipped, retried: retries.size, counts });
    return {
      batchId,
      outcome: 'completed',
      delivered,
      retried: retries.size,
      skipped,
      counts,
      retryBatchId,
    };
  }

  /**
   * Records how long the batch took (one item), for the turnaround distribution. Losing it
   * loses one sample of a statistic, never a result: logged, not retried.
   */
  async function recordTurnaround(
    batch: BatchRecord,
    completedAt: string,
    firstDeliveredAt: string | null,
  ): Promise<void> {
    const times = {
      batchId: batch.batchId,
      provider: batch.provider,
      model: turnaroundModelOf(batch.models),
      requestCount: batch.requestCount,
      submittedAt: batch.submittedAt ?? batch.createdAt,
      inProgressAt: batch.inProgressAt ?? null,
      endedAt: batch.endedAt ?? completedAt,
      firstDeliveredAt,
      lastDeliveredAt: completedAt,
    };
    metrics.seconds(METRIC.BatchTurnaroundSeconds, turnaroundMsOf(times) / 1000, {
      provider: batch.provider,
    });
    if (deps.turnarounds === undefined) return;
    try {
      await deps.turnarounds.record(times);
    } catch (error) {
      logger.warn('batch turnaround not recorded', {
        batchId: batch.batchId,
        error: errorMessage(error),
      });
    }
  }

  /**
   * Results are archived and delivered: what the provider still keeps of the batch is no
   * longer needed. Failing here loses nothing (the provider expires it in about 30 days), so
   * it is counted and logged, not retried.
   */
  async function deleteProviderArtifacts(batch: BatchRecord): Promise<void> {
    const provider = deps.providers[batch.provider];
    if (provider?.deleteArtifacts === undefined || batch.providerBatchId === null) return;
    try {
      await provider.deleteArtifacts(batch.providerBatchId);
    } catch (error) {
      metrics.count(METRIC.ProviderCleanupFailures, 1, { provider: batch.provider });
      logger.warn('provider artifacts not deleted', {
        batchId: batch.batchId,
        error: errorMessage(error),
      });
    }
  }
};

export { type CompletionReport, createCompletion };
