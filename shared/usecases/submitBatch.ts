import { Readable } from 'node:stream';
import { DETAIL_TYPES } from '../contract/events.js';
import { METRIC } from '../contract/metrics.js';
import { BUILT_IN_REGISTRY } from '../contract/providerRegistry.js';
import { enqueuedTokensOver } from '../domain/enqueuedTokens.js';
import {
  ConfigError,
  errorMessage,
  InvalidInputError,
  isRetryable,
  ThrottledError,
} from '../domain/errors.js';
import { nextPollDelayMs } from '../domain/nextPollDelay.js';
import type { BatchRecord } from '../domain/records.js';
import { splitLines } from '../domain/splitLines.js';
import type { BatchMembers } from '../ports/BatchMembers.js';
import type { ProviderBatchSnapshot } from '../ports/BatchProvider.js';
import type { BatchRecords } from '../ports/BatchRecords.js';
import type { RetryAdmissionDeps } from './admitRetryBatch.js';
import { admissionHoldOf, admitRetryBatch, awaitsAdmission } from './admitRetryBatch.js';
import type { BelowMinimumDeps } from './belowMinimum.js';
import { minRequestsOf, serveBelowMinimum } from './belowMinimum.js';
import { retryInSeconds } from './createAdmission.js';
import { expectedEndOfBatch } from './expectedEndOfBatch.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/**
 * What submitting a batch uses: its record and members, its input in the bucket, the
 * provider, admission of a retry batch, and the realtime lane for a batch below its minimum.
 */
type SubmitDeps = RetryAdmissionDeps &
  BelowMinimumDeps &
  Pick<
    RuntimeDeps,
    | 'blobs'
    | 'clock'
    | 'completion'
    | 'events'
    | 'logger'
    | 'metrics'
    | 'providers'
    | 'settings'
    | 'turnarounds'
  > & { readonly store: BatchRecords & BatchMembers };

/**
 * How far the provider's clock may run behind ours: a batch created right after a
 * submission started may carry a creation time slightly before it.
 */
const PROVIDER_CLOCK_SKEW_MS = 60_000;

const isoAfter = (now: Date, ms: number): string => new Date(now.getTime() + ms).toISOString();

/** Later than any `nextPollAt`: lists every active batch, due or not. */
const FAR_FUTURE = '9999-12-31T23:59:59.999Z';

/** Active batches looked at when checking that a found provider batch is nobody else's. */
const OWNER_SCAN_LIMIT = 1000;

/**
 * Whether another active batchlane batch already recorded this provider batch. Providers
 * without batch metadata are matched by a heuristic (see `findByBatchId`), which could pick
 * a batch that another batchlane batch of the same size submitted at about the same time;
 * adopting it would deliver that batch's answers to this one's callers. The store has no
 * index by provider batch id, so the check covers the active batches (a recently submitted
 * batch is almost always still active), up to {@link OWNER_SCAN_LIMIT} of them.
 */
const ownedByAnotherBatch = async (
  deps: SubmitDeps,
  batchId: string,
  providerBatchId: string,
): Promise<boolean> => {
  const active = await deps.store.listDueBatches(FAR_FUTURE, OWNER_SCAN_LIMIT);
  return active.some((b) => b.batchId !== batchId && b.providerBatchId === providerBatchId);
};

/**
 * How many batches of this batch's provider and model are running when that is already as
 * many as the deployment allows at once (Bedrock: concurrent jobs per model and Region), or
 * null when there is room (or no cap). Racing submissions may both see room; the provider's
 * own refusal (a throttle) then holds the second.
 */
const runningBatchesOfModel = async (
  deps: SubmitDeps,
  batch: BatchRecord,
): Promise<number | null> => {
  const cap = deps.settings.maxConcurrentBatchesPerModel?.[batch.provider];
  if (cap === undefined) return null;
  const active = await deps.store.listDueBatches(FAR_FUTURE, OWNER_SCAN_LIMIT);
  const running = active.filter(
    (b) =>
      b.batchId !== batch.batchId &&
      b.provider === batch.provider &&
      (b.state === 'submitted' || b.state === 'submitting') &&
      b.models.some((model) => batch.models.includes(model)),
  ).length;
  return running >= cap ? running : null;
};

/**
 * Where the provider caps the prompt tokens waiting in its batches per model (Together's
 * profile), what would pass the cap if this batch were submitted too, or null when it fits
 * (or no cap applies).
 */
const enqueuedTokensOverCap = async (deps: SubmitDeps, batch: BatchRecord) => {
  const cap = deps.settings.maxEnqueuedTokensPerModel?.[batch.provider];
  if (cap === undefined) return null;
  const active = await deps.store.listDueBatches(FAR_FUTURE, OWNER_SCAN_LIMIT);
  return enqueuedTokensOver(batch, active, cap);
};

const HELD_PREFIX = 'held: ';

/** Whether the batch is already waiting for a slot (its hold was reported when it began). */
const isHeld = (batch: BatchRecord): boolean => batch.lastError?.startsWith(HELD_PREFIX) === true;

/**
 * Tells subscribers a batch waits for a slot, once when the wait begins (the poller asks again
 * every `quotaRetrySeconds`; an event per ask would say nothing new). A lost event is logged:
 * the hold itself is in the batch record.
 */
const reportBatchHeld = async (
  deps: SubmitDeps,
  batch: BatchRecord,
  now: Date,
  reason: 'quota_jobs' | 'quota_enqueued_tokens',
) => {
  const retryIn = deps.settings.quotaRetrySeconds;
  await deps.events
    .publish([
      {
        detailType: DETAIL_TYPES.requestsHeld,
        detail: {
          reason,
          provider: batch.provider,
          model: batch.models.join(','),
          requests: Math.max(1, batch.requestCount),
          custom_ids: [],
          batch_id: batch.batchId,
          retry_in_seconds: retryIn,
          held_at: now.toISOString(),
        },
      },
    ])
    .catch((error: unknown) => {
      deps.metrics.count(METRIC.EventPublishFailures, 1, {
        detailType: DETAIL_TYPES.requestsHeld,
      });
      deps.logger.warn('Requests Held event not published', { error, batchId: batch.batchId });
    });
};

/**
 * Rewrites a batch's input file so it holds exactly the batch's members. Needed only when a
 * crash or a lost claim race left lines in the file for requests another batch owns.
 */
const trimInputToMembers = async (
  deps: SubmitDeps,
  batch: BatchRecord,
): Promise<{ count: number; bytes: number }> => {
  const members = new Set<string>();
  for await (const page of deps.store.listItems(batch.batchId)) {
    for (const item of page) members.add(item.providerCustomId);
  }
  if (members.size === batch.requestCount) return { count: members.size, bytes: batch.inputBytes };
  if (members.size === 0) return { count: 0, bytes: 0 };
  const source = await deps.blobs.getStream(batch.inputKey);
  async function* kept(): AsyncGenerator<Uint8Array> {
    for await (const line of splitLines(source)) {
      const id = (JSON.parse(line) as { custom_id?: unknown }).custom_id;
      if (typeof id === 'string' && members.has(id)) yield Buffer.from(`${line}\n`);
    }
  }
  const trimmedKey = `${batch.inputKey}.members`;
  const { bytes } = await deps.blobs.put(trimmedKey, Readable.from(kept()), {
    contentType: 'application/x-ndjson',
  });
  await deps.blobs.put(batch.inputKey, await deps.blobs.getStream(trimmedKey), {
    contentType: 'application/x-ndjson',
  });
  await deps.blobs.delete(trimmedKey);
  return { count: members.size, bytes };
};

/**
 * Hands an `open` (or interrupted `submitting`) batch to its provider, recording intent
 * first so a crash at any point leaves a state the poller can finish:
 * `open` → `submitting` → provider call → `submitted`.
 * A batch the provider refuses as a whole goes straight to `ended` with the reason, so
 * completion delivers every member as `errored`.
 */
const submitBatch = async (
  deps: SubmitDeps,
  batch: BatchRecord,
  options: { readonly verifiedMembers: boolean } = { verifiedMembers: false },
): Promise<BatchRecord> => {
  const { store, clock, logger } = deps;
  const provider = deps.providers[batch.provider];
  const now = clock.now();
  let current = batch;

  if (!options.verifiedMembers) {
    const { count, bytes } = await trimInputToMembers(deps, current);
    if (count === 0) {
      logger.info('batch has no members left; closing it', { batchId: batch.batchId });
      return store.updateBatch(current.batchId, current.version, {
        state: 'completed',
        requestCount: 0,
        completedAt: now.toISOString(),
        nextPollAt: null,
        counts: { succeeded: 0, errored: 0, expired: 0, canceled: 0, rejected: 0, retried: 0 },
      });
    }
    if (count !== current.requestCount) {
      current = await store.updateBatch(current.batchId, current.version, {
        requestCount: count,
        inputBytes: bytes,
      });
    }
  }

  // Reconcile first: a `submitting` batch may already be at the provider.
  if (current.state === 'submitting' && provider?.findByBatchId !== undefined) {
    const startedAt = Date.parse(current.submitStartedAt ?? current.createdAt);
    const found = await provider.findByBatchId(current.batchId, {
      submittedAfter: new Date(startedAt - PROVIDER_CLOCK_SKEW_MS),
      requestCount: current.requestCount,
    });
    if (found !== null) {
      if (!(await ownedByAnotherBatch(deps, current.batchId, found.providerBatchId))) {
        return recordSubmitted(deps, current, found);
      }
      logger.warn('provider batch found for a lost submission belongs to another batch', {
        batchId: current.batchId,
        providerBatchId: found.providerBatchId,
      });
    }
  }

  // A retry batch over a quota or budget waits to be admitted, as new work waits in the intake
  // queue: never submitted (or served in realtime) before its worst case is reserved.
  if (awaitsAdmission(current)) {
    const hold = await admitRetryBatch(deps, current);
    if (hold !== null) {
      return store.updateBatch(current.batchId, current.version, {
        lastError: admissionHoldOf(hold),
        nextPollAt: isoAfter(now, retryInSeconds(hold, deps.settings.quotaRetrySeconds) * 1000),
      });
    }
    // Made when admitted: completion settles its cost in the period it was reserved in.
    logger.info('held retry batch admitted', { batchId: current.batchId });
    current = await store.updateBatch(current.batchId, current.version, {
      lastError: null,
      createdAt: now.toISOString(),
    });
  }

  // A batch the provider would refuse for being too small is served by the realtime lane.
  const minimum = minRequestsOf(deps, current.provider);
  if (minimum !== null && current.requestCount < minimum) {
    return serveBelowMinimum(deps, current, minimum);
  }
  // Where the provider caps batches running at once per model, a batch over the cap waits
  // for a slot (the poller hands it back) instead of being refused by the provider.
  const running = await runningBatchesOfModel(deps, current);
  if (running !== null) {
    logger.info('batch held: its model has as many batches running as the provider allows', {
      batchId: current.batchId,
      running,
    });
    deps.metrics.count(METRIC.BatchesHeld, 1, { provider: current.provider });
    if (!isHeld(current)) await reportBatchHeld(deps, current, now, 'quota_jobs');
    return store.updateBatch(current.batchId, current.version, {
      lastError: `${HELD_PREFIX}${running} ${current.provider} batches running for ${current.models.join(', ')}, the most allowed at once`,
      nextPollAt: isoAfter(now, deps.settings.quotaRetrySeconds * 1000),
    });
  }
  // Likewise where the provider caps the tokens enqueued per model: the batch waits until
  // running batches end and leave room, instead of being refused by the provider.
  const over = await enqueuedTokensOverCap(deps, current);
  if (over !== null) {
    logger.info('batch held: its model has as many tokens enqueued as the provider allows', {
      batchId: current.batchId,
      ...over,
    });
    deps.metrics.count(METRIC.BatchesHeld, 1, { provider: current.provider });
    if (!isHeld(current)) await reportBatchHeld(deps, current, now, 'quota_enqueued_tokens');
    return store.updateBatch(current.batchId, current.version, {
      lastError: `${HELD_PREFIX}${over.enqueued} ${current.provider} tokens enqueued for ${over.model}; ${over.adding} more would pass the provider's cap`,
      nextPollAt: isoAfter(now, deps.settings.quotaRetrySeconds * 1000),
    });
  }

  current = await store.updateBatch(current.batchId, current.version, {
    state: 'submitting',
    submitStartedAt: now.toISOString(),
    nextPollAt: isoAfter(now, deps.settings.leaseMs),
  });

  if (provider === undefined) {
    throw new ConfigError(`provider ${batch.provider} is not configured`, {
      code: 'provider_not_configured',
    });
  }
  let snapshot: ProviderBatchSnapshot;
  try {
    snapshot = await provider.submit({
      batchId: current.batchId,
      endpoint: current.endpoint,
      openInput: () => deps.blobs.getStream(current.inputKey),
      requestCount: current.requestCount,
      inputBytes: current.inputBytes,
      models: current.models,
      // Escalation takes the `auto` members running late; the batch should not outlast them.
      answerBy: current.escalateAt ?? null,
    });
  } catch (error) {
    if (error instanceof InvalidInputError) {
      logger.warn('provider refused the batch as a whole', {
        batchId: current.batchId,
        code: error.code,
      });
      const ended = await store.updateBatch(current.batchId, current.version, {
        state: 'ended',
        providerStatus: 'refused',
        endedAt: clock.now().toISOString(),
        lastError: errorMessage(error),
        nextPollAt: isoAfter(clock.now(), deps.settings.leaseMs),
      });
      await deps.completion.notifyEnded(ended.batchId);
      return ended;
    }
    const retryAfterMs = error instanceof ThrottledError ? error.retryAfterMs : null;
    logger.warn('batch submission failed; the poller will retry it', {
      batchId: current.batchId,
      retryable: isRetryable(error),
      error: errorMessage(error),
    });
    await store.updateBatch(current.batchId, current.version, {
      lastError: errorMessage(error),
      nextPollAt: isoAfter(
        clock.now(),
        nextPollDelayMs({
          ageMs: 0,
          baseIntervalMs: deps.settings.pollIntervalSeconds * 1000,
          retryAfterMs,
        }),
      ),
    });
    throw error;
  }
  return recordSubmitted(deps, current, snapshot);
};

const recordSubmitted = async (
  deps: SubmitDeps,
  batch: BatchRecord,
  snapshot: ProviderBatchSnapshot,
): Promise<BatchRecord> => {
  const now = deps.clock.now();
  const submitted = await deps.store.updateBatch(batch.batchId, batch.version, {
    state: 'submitted',
    providerBatchId: snapshot.providerBatchId,
    providerStatus: snapshot.providerStatus,
    providerExpiresAt: snapshot.expiresAt,
    submittedAt: now.toISOString(),
    lastError: null,
    nextPollAt: isoAfter(now, deps.settings.pollIntervalSeconds * 1000),
  });
  deps.metrics.count(METRIC.BatchesSubmitted, 1, { provider: batch.provider });
  deps.metrics.count(METRIC.RequestsSubmitted, batch.requestCount, { provider: batch.provider });
  // How full batches are against the most one batch may hold (the provider's limit, or the
  // deployment's lower cap): low values mean traffic is split into many small batches.
  const limit =
    deps.settings.maxRequestsPerBatch ??
    (deps.settings.registry ?? BUILT_IN_REGISTRY).limitsOf(batch.provider).maxRequests;
  deps.metrics.percent(METRIC.BatchFillRatio, (100 * batch.requestCount) / limit, {
    provider: batch.provider,
  });
  const expectedEnd = await expectedEndOfBatch(
    deps,
    submitted,
    now.toISOString(),
    snapshot.expiresAt,
  );
  await deps.events.publish([
    {
      detailType: DETAIL_TYPES.batchSubmitted,
      detail: {
        batch_id: submitted.batchId,
        provider: submitted.provider,
        provider_batch_id: snapshot.providerBatchId,
        endpoint: submitted.endpoint,
        models: submitted.models,
        request_count: submitted.requestCount,
        input_bytes: submitted.inputBytes,
        submitted_at: now.toISOString(),
        expected_end: expectedEnd,
      },
    },
  ]);
  deps.logger.info('batch submitted', {
    batchId: submitted.batchId,
    providerBatchId: snapshot.providerBatchId,
    requests: submitted.requestCount,
  });
  return submitted;
};

export { isoAfter, recordSubmitted, type SubmitDeps, submitBatch };
