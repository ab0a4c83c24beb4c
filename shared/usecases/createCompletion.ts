import { type Destination, destinationKey } from '../contract/destination.js';
import { DETAIL_TYPES, type StatusCounts } from '../contract/events.js';
import type { ResultV1 } from '../contract/result.js';
import { buildItemResult, groupByDestination, type ItemOutcome } from '../domain/buildResult.js';
import { errorMessage, UnavailableError } from '../domain/errors.js';
import { mapWithConcurrency } from '../domain/mapWithConcurrency.js';
import { type ParsedResultLine, parseResultLine } from '../domain/parseResultLine.js';
import type { BatchItem, BatchRecord } from '../domain/records.js';
import { splitLines } from '../domain/splitLines.js';
import type { ItemDelivery } from '../ports/StateStore.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

interface CompletionReport {
  readonly batchId: string;
  readonly outcome: 'completed' | 'already-completed' | 'not-ended' | 'unknown-batch';
  readonly delivered: number;
  readonly skipped: number;
  readonly counts: StatusCounts | null;
}

const zeroCounts = (): StatusCounts => ({
  succeeded: 0,
  errored: 0,
  expired: 0,
  canceled: 0,
  rejected: 0,
});

/**
 * The completion step: archives the provider's raw results in the blob store (providers keep
 * them for about 30 days only), then streams them line by line, delivers each result to its
 * caller's destination, and records each item as delivered. A rerun skips delivered items,
 * so a function that dies halfway resumes where it stopped. Members the provider returned
 * nothing for are delivered as `errored`, so every member ends with exactly one result.
 */
const createCompletion = (deps: RuntimeDeps, options: { readonly chunkSize?: number } = {}) => {
  const { store, blobs, clock, logger, metrics, settings } = deps;
  const chunkSize = options.chunkSize ?? 500;

  /** Delivers one group of outcomes; returns how many could not be delivered. */
  const deliver = async (
    batch: BatchRecord,
    entries: { item: BatchItem; outcome: ItemOutcome }[],
    part: string,
  ): Promise<{ delivered: number; failed: number }> => {
    const now = clock.now();
    const deliveredAt = now.toISOString();
    const routable: { destination: Destination; item: BatchItem; result: ResultV1 }[] = [];
    let failed = 0;
    for (const { item, outcome } of entries) {
      const destination = item.destination ?? settings.defaultDestination;
      if (destination === null) {
        failed += 1;
        logger.error('result has no destination', {
          batchId: batch.batchId,
          customId: item.customId,
        });
        continue;
      }
      routable.push({
        destination,
        item,
        result: buildItemResult(batch, item, outcome, deliveredAt),
      });
    }
    const groups = [...groupByDestination(routable, destinationKey).values()];
    const deliveries: ItemDelivery[] = [];
    const reports = await mapWithConcurrency(groups, 4, async (group) => {
      const report = await deps.deliverer.deliver(
        group.destination,
        group.entries.map((e) => e.result),
        { batchId: batch.batchId, part },
      );
      const failedIds = new Set(report.failed.map((f) => f.customId));
      for (const f of report.failed) {
        logger.warn('result not delivered', {
          batchId: batch.batchId,
          customId: f.customId,
          destination: group.destination.type,
          error: errorMessage(f.error),
        });
      }
      return { group, failedIds };
    });
    for (const [index, report] of reports.entries()) {
      const group = groups[index];
      if (group === undefined) continue;
      if (report.status === 'rejected') {
        failed += group.entries.length;
        logger.warn('destination failed', {
          batchId: batch.batchId,
          destination: group.destination.type,
          error: errorMessage(report.reason),
        });
        continue;
      }
      for (const entry of group.entries) {
        if (report.value.failedIds.has(entry.item.customId)) {
          failed += 1;
          continue;
        }
        deliveries.push({
          providerCustomId: entry.item.providerCustomId,
          status: entry.result.status,
          deliveredAt,
        });
        metrics.count('ResultsDelivered', 1, { status: entry.result.status });
        metrics.milliseconds(
          'AcceptanceToDelivery',
          now.getTime() - Date.parse(entry.item.acceptedAt),
        );
      }
    }
    if (deliveries.length > 0) await store.markDelivered(batch.batchId, deliveries);
    return { delivered: deliveries.length, failed };
  };

  const deliverLines = async (
    batch: BatchRecord,
    lines: ParsedResultLine[],
    part: string,
  ): Promise<{ delivered: number; failed: number; skipped: number }> => {
    const items = await store.getItems(
      batch.batchId,
      lines.map((l) => l.providerCustomId),
    );
    const entries: { item: BatchItem; outcome: ItemOutcome }[] = [];
    let skipped = 0;
    for (const line of lines) {
      const item = items.get(line.providerCustomId);
      if (item === undefined) {
        logger.warn('result line for an unknown request', {
          batchId: batch.batchId,
          providerCustomId: line.providerCustomId,
        });
        metrics.count('UnknownResultLines', 1);
        continue;
      }
      if (item.deliveredAt !== null) {
        skipped += 1;
        continue;
      }
      entries.push({
        item,
        outcome: {
          status: line.status,
          response: line.response,
          error: line.error,
          usage: line.usage,
          model: line.model,
        },
      });
    }
    return { ...(await deliver(batch, entries, part)), skipped };
  };

  /** Downloads each provider result file into the blob store once. */
  const archive = async (batch: BatchRecord): Promise<BatchRecord> => {
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
    return store.updateBatch(batch.batchId, batch.version, { resultKeys: keys });
  };

  return async (batchId: string): Promise<CompletionReport> => {
    let batch = await store.getBatch(batchId);
    if (batch === null) {
      logger.error('completion asked for an unknown batch', { batchId });
      return { batchId, outcome: 'unknown-batch', delivered: 0, skipped: 0, counts: null };
    }
    if (batch.state === 'completed') {
      return {
        batchId,
        outcome: 'already-completed',
        delivered: 0,
        skipped: 0,
        counts: batch.counts,
      };
    }
    if (batch.state !== 'ended') {
      logger.warn('completion asked for a batch that has not ended', {
        batchId,
        state: batch.state,
      });
      return { batchId, outcome: 'not-ended', delivered: 0, skipped: 0, counts: null };
    }
    batch = await archive(batch);

    let delivered = 0;
    let skipped = 0;
    let failed = 0;
    for (const [fileIndex, key] of batch.resultKeys.entries()) {
      let chunk: ParsedResultLine[] = [];
      let chunkIndex = 0;
      const flush = async (): Promise<void> => {
        if (chunk.length === 0) return;
        const outcome = await deliverLines(
          batch as BatchRecord,
          chunk,
          `${fileIndex}-${chunkIndex}`,
        );
        delivered += outcome.delivered;
        skipped += outcome.skipped;
        failed += outcome.failed;
        chunk = [];
        chunkIndex += 1;
      };
      for await (const line of splitLines(await blobs.getStream(key))) {
        try {
          chunk.push(parseResultLine(batch.provider, line));
        } catch (error) {
          // The member this line was for is found missing below and delivered as errored.
          metrics.count('MalformedResultLines', 1);
          logger.error('malformed result line', { batchId, key, error: errorMessage(error) });
        }
        if (chunk.length >= chunkSize) await flush();
      }
      await flush();
    }

    // Every member the results did not cover gets its verdict now; and the counts are taken.
    const counts = zeroCounts();
    const verdict: ItemOutcome =
      batch.providerBatchId === null || (batch.lastError !== null && batch.resultKeys.length === 0)
        ? {
            status: 'errored',
            response: null,
            error: {
              type: 'batch_failed',
              message: batch.lastError ?? 'the provider refused the batch',
            },
            usage: null,
            model: null,
          }
        : {
            status: 'errored',
            response: null,
            error: {
              type: 'missing_result',
              message: 'the provider returned no result for this request',
            },
            usage: null,
            model: null,
          };
    let sweepIndex = 0;
    for await (const page of store.listItems(batchId)) {
      const missing = page.filter((item) => item.deliveredAt === null);
      for (const item of page) if (item.status !== null) counts[item.status] += 1;
      if (missing.length === 0) continue;
      const outcome = await deliver(
        batch,
        missing.map((item) => ({ item, outcome: verdict })),
        `missing-${sweepIndex++}`,
      );
      delivered += outcome.delivered;
      failed += outcome.failed;
      counts[verdict.status] += outcome.delivered;
    }
    if (failed > 0) {
      throw new UnavailableError(
        `${failed} results of batch ${batchId} could not be delivered yet`,
        {
          code: 'delivery_incomplete',
          details: { batchId, failed, delivered },
        },
      );
    }

    // Publish before recording completion: a crash in between repeats the event (at least
    // once) rather than losing it.
    const completedAt = clock.now().toISOString();
    await deps.events.publish([
      {
        detailType: DETAIL_TYPES.batchEnded,
        detail: {
          batch_id: batch.batchId,
          provider: batch.provider,
          provider_batch_id: batch.providerBatchId ?? '',
          request_count: batch.requestCount,
          counts,
          submitted_at: batch.submittedAt ?? batch.createdAt,
          ended_at: batch.endedAt ?? completedAt,
          delivered_at: completedAt,
        },
      },
    ]);
    await store.updateBatch(batch.batchId, batch.version, {
      state: 'completed',
      counts,
      completedAt,
      nextPollAt: null,
    });
    logger.info('batch delivered', { batchId, delivered, skipped, counts });
    return { batchId, outcome: 'completed', delivered, skipped, counts };
  };
};

export { type CompletionReport, createCompletion };
