import {
  type BatchSchedule,
  cancelDelayMs,
  effectiveCut,
  itemDisposition,
  itemOutcome,
  storedBatchSchedule,
} from './batchSchedule.js';
import { fakeAnthropicMessage } from './fakeAnthropicMessage.js';
import { isRecord } from './httpIo.js';
import type { SimContext } from './SimContext.js';
import type { AnthropicBatchRecord } from './SimulatorStore.js';
import { seededPermutation } from './seededRandom.js';
import { validateAnthropicParams } from './validateAnthropicParams.js';

/** Anthropic batches start processing at once. */
const scheduleOf = (ctx: SimContext, record: AnthropicBatchRecord): BatchSchedule =>
  storedBatchSchedule(ctx.seed, record, 0);

/** When processing ends: naturally, at expiry, or shortly after a (winning) cancel. */
const anthropicEndedAt = (ctx: SimContext, record: AnthropicBatchRecord): number => {
  const natural = record.createdAt + record.processingMs;
  const schedule = scheduleOf(ctx, record);
  const cut = effectiveCut(schedule);
  if (record.cancelAt !== null && !schedule.cancelRace && record.cancelAt < natural) {
    return Math.min(
      record.cancelAt + cancelDelayMs(record.processingMs),
      record.expiresAt,
      natural,
    );
  }
  return Math.min(natural, cut);
};

/**
 * When the batch's results stop being kept (`archived_at`): 29 days from creation (the
 * simulator's `retentionMs`), or the batch's `resultsRetentionMs` after its end.
 */
const anthropicArchivedAt = (ctx: SimContext, record: AnthropicBatchRecord): number =>
  record.faults.resultsRetentionMs === undefined
    ? record.createdAt + ctx.limits.retentionMs
    : anthropicEndedAt(ctx, record) + record.faults.resultsRetentionMs;

type AnthropicResultType = 'succeeded' | 'errored' | 'canceled' | 'expired';

interface AnthropicItem {
  readonly customId: string;
  readonly type: AnthropicResultType | 'processing';
  readonly line: () => string;
}

/** The final (or, before the end, `processing`) state of request `index`. */
const anthropicItem = (
  ctx: SimContext,
  record: AnthropicBatchRecord,
  index: number,
  now: number,
): AnthropicItem => {
  const request = record.requests[index]!;
  const customId = request.custom_id;
  const disposition = itemDisposition(scheduleOf(ctx, record), customId, now);
  if (disposition === 'canceled' || disposition === 'expired') {
    const type = disposition;
    return {
      customId,
      type,
      line: () => JSON.stringify({ custom_id: customId, result: { type } }),
    };
  }
  if (disposition === 'pending') return { customId, type: 'processing', line: () => '' };
  const outcome = itemOutcome(
    ctx.seed,
    record.id,
    customId,
    record.faults.itemErrorRates,
    validateAnthropicParams(request.params, record.apiVersion),
  );
  if (outcome.kind === 'error') {
    return {
      customId,
      type: 'errored',
      line: () =>
        JSON.stringify({
          custom_id: customId,
          result: {
            type: 'errored',
            error: {
              type: 'error',
              error: { type: outcome.type, message: outcome.message },
              request_id: null,
            },
          },
        }),
    };
  }
  return {
    customId,
    type: 'succeeded',
    line: () =>
      JSON.stringify({
        custom_id: customId,
        result: {
          type: 'succeeded',
          message: fakeAnthropicMessage(
            ctx.seed,
            customId,
            isRecord(request.params) ? request.params : {},
          ),
        },
      }),
  };
};

const toIso = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString().replace('Z', '000Z');

type Counts = Record<AnthropicResultType | 'processing', number>;

/** Counts by result type; memoised for ended batches, whose outcome never changes. */
const endedCounts = new WeakMap<AnthropicBatchRecord, Counts>();

const anthropicCounts = (ctx: SimContext, record: AnthropicBatchRecord, now: number): Counts => {
  const ended = now >= anthropicEndedAt(ctx, record);
  const cached = ended ? endedCounts.get(record) : undefined;
  if (cached !== undefined) return cached;
  const counts: Counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  for (let i = 0; i < record.requests.length; i += 1) {
    counts[anthropicItem(ctx, record, i, now).type] += 1;
  }
  if (ended) endedCounts.set(record, counts);
  return counts;
};

/** The `MessageBatch` object at simulated time `now`. */
const anthropicBatchView = (
  ctx: SimContext,
  record: AnthropicBatchRecord,
  now: number,
  origin: string,
): Record<string, unknown> => {
  const endedAt = anthropicEndedAt(ctx, record);
  const ended = now >= endedAt;
  const total = record.requests.length;
  // Until the whole batch ends every request reports as processing, as the real API does.
  const counts: Counts = ended
    ? anthropicCounts(ctx, record, now)
    : { processing: total, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  const archivedAt = anthropicArchivedAt(ctx, record);
  let status = 'in_progress';
  if (ended) status = 'ended';
  else if (record.cancelAt !== null) status = 'canceling';
  return {
    id: record.id,
    type: 'message_batch',
    processing_status: status,
    request_counts: counts,
    ended_at: ended ? toIso(endedAt) : null,
    created_at: toIso(record.createdAt),
    expires_at: toIso(record.expiresAt),
    archived_at: now >= archivedAt ? toIso(archivedAt) : null,
    cancel_initiated_at: toIso(record.cancelAt),
    results_url:
      ended && now < archivedAt ? `${origin}/v1/messages/batches/${record.id}/results` : null,
  };
};

/** Result lines in delivery order: seeded shuffle unless the batch asked for input order. */
function* anthropicResultLines(
  ctx: SimContext,
  record: AnthropicBatchRecord,
  now: number,
): Generator<string> {
  const n = record.requests.length;
  const order =
    record.faults.shuffleResults === false
      ? Array.from({ length: n }, (_, i) => i)
      : seededPermutation(n, ctx.seed, 'order', record.id);
  for (const index of order) {
    yield anthropicItem(ctx, record, index, now).line();
  }
}

export {
  anthropicArchivedAt,
  anthropicBatchView,
  anthropicCounts,
  anthropicEndedAt,
  anthropicResultLines,
};
