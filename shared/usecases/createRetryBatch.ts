import { Readable } from 'node:stream';
import { METRIC } from '../contract/metrics.js';
import { errorMessage } from '../domain/errors.js';
import { escalateAtOf } from '../domain/escalateAtOf.js';
import { mapWithConcurrency } from '../domain/mapWithConcurrency.js';
import { newBatchRecord } from '../domain/newBatchRecord.js';
import type { BatchItem, BatchRecord } from '../domain/records.js';
import { splitLines } from '../domain/splitLines.js';
import type { BatchMembers } from '../ports/BatchMembers.js';
import type { BatchRecords } from '../ports/BatchRecords.js';
import type { RetryAdmissionDeps } from './admitRetryBatch.js';
import { admissionHoldOf, admitRetryBatch, reportRetryHeld } from './admitRetryBatch.js';
import { retryInSeconds } from './createAdmission.js';
import { providerCustomIdOf } from './createBatchFiller.js';
import type { RuntimeDeps } from './RuntimeDeps.js';
import type { SubmitDeps } from './submitBatch.js';
import { isoAfter, submitBatch } from './submitBatch.js';

/** What making a retry batch uses: batch records, the members it moves, and submission. */
type RetryBatchDeps = RetryAdmissionDeps &
  SubmitDeps &
  Pick<RuntimeDeps, 'blobs' | 'clock' | 'ids' | 'logger' | 'metrics' | 'settings'> & {
    readonly store: BatchRecords & BatchMembers;
  };

/**
 * A retry batch's share of its parent's estimate: per model, the parent's average per
 * request times the members sent again (members carry no estimate of their own).
 */
const retryEstimateOf = (
  parent: BatchRecord,
  members: Iterable<BatchItem>,
): BatchRecord['estimate'] => {
  const estimate = parent.estimate;
  if (estimate === undefined || estimate === null) return null;
  const byModel: Record<string, { requests: number; tokens: number }> = {};
  let count = 0;
  for (const member of members) {
    const use = byModel[member.model] ?? { requests: 0, tokens: 0 };
    const perRequest = estimate.byModel[member.model];
    byModel[member.model] = {
      requests: use.requests + 1,
      tokens:
        use.tokens +
        (perRequest === undefined || perRequest.requests === 0
          ? 0
          : Math.round(perRequest.tokens / perRequest.requests)),
    };
    count += 1;
  }
  const share = parent.requestCount === 0 ? 0 : count / parent.requestCount;
  return { byModel, nanoUsd: Math.round(estimate.nanoUsd * share) };
};

/**
 * Sends members of an ended batch to the provider again, in a new batch: their lines are
 * copied from the archived input file under new provider-side ids, the new batch is recorded
 * `open` first (so the poller finishes it if this run dies), and each member is moved to it
 * in one transaction (old item `retried`, new item with `attempts + 1`, ledger re-pointed).
 * Returns the new batch id, or null when no member was left to move.
 */
const createRetryBatch = async (
  deps: RetryBatchDeps,
  batch: BatchRecord,
  members: ReadonlyMap<string, BatchItem>,
  leaseMs: number,
): Promise<string | null> => {
  if (members.size === 0) return null;
  const now = deps.clock.now();
  const batchId = deps.ids.next('bl');
  const renamed = new Map<string, string>();

  const source = await deps.blobs.getStream(batch.inputKey);
  async function* lines(): AsyncGenerator<Uint8Array> {
    for await (const line of splitLines(source)) {
      const parsed = JSON.parse(line) as { custom_id?: unknown } & Record<string, unknown>;
      const oldId = typeof parsed.custom_id === 'string' ? parsed.custom_id : null;
      if (oldId === null || !members.has(oldId) || renamed.has(oldId)) continue;
      const newId = providerCustomIdOf(renamed.size);
      renamed.set(oldId, newId);
      yield Buffer.from(`${JSON.stringify({ ...parsed, custom_id: newId })}\n`);
    }
  }
  const estimate = retryEstimateOf(batch, members.values());
  // Admitted like new work: its members' first reservations are released with their parent's
  // costing (expired and canceled cost nothing), so the retry is checked against the quotas
  // and budgets and reserves its share anew. Over a limit it is still made (its members are
  // accepted: they move to it and are never dropped), but held: not submitted until a later
  // try admits it (see submitBatch).
  const hold = await admitRetryBatch(deps, {
    batchId: null,
    provider: batch.provider,
    models: batch.models,
    estimate,
  });
  const record = newBatchRecord({
    batchId,
    provider: batch.provider,
    endpoint: batch.endpoint,
    models: batch.models,
    state: 'open',
    createdAt: now.toISOString(),
    nextPollAt: isoAfter(
      now,
      hold === null
        ? Math.max(leaseMs, 1000)
        : retryInSeconds(hold, deps.settings.quotaRetrySeconds) * 1000,
    ),
    escalateAt: escalateAtOf(members.values(), deps.settings.escalateBeforeDeadlineMs),
    estimate,
    lastError: hold === null ? null : admissionHoldOf(hold),
  });
  await deps.store.createBatch(record);
  const { bytes } = await deps.blobs.put(record.inputKey, Readable.from(lines()), {
    contentType: 'application/x-ndjson',
  });

  const movedAt = now.toISOString();
  const moves = await mapWithConcurrency([...renamed], 16, async ([oldId, newId]) => {
    const from = members.get(oldId) as BatchItem;
    return deps.store.moveToRetryBatch(
      from,
      {
        ...from,
        batchId,
        providerCustomId: newId,
        attempts: from.attempts + 1,
        status: null,
        deliveredAt: null,
        escalatedAt: null,
        cost: null,
      },
      movedAt,
    );
  });
  const failure = moves.find((m) => m.status === 'rejected');
  const moved = moves.filter((m) => m.status === 'fulfilled' && m.value).length;
  // The batch may hold fewer members than lines (lost moves); submission trims the file then.
  const open = await deps.store.updateBatch(batchId, 0, {
    requestCount: renamed.size,
    inputBytes: bytes,
    ...(hold === null ? { nextPollAt: isoAfter(deps.clock.now(), leaseMs) } : {}),
  });
  if (failure !== undefined) throw failure.reason;
  deps.metrics.count(METRIC.RequestsRetried, moved, { provider: batch.provider });
  deps.logger.info('retry batch created', { batchId, from: batch.batchId, members: moved });
  if (hold !== null) {
    const moving = [...renamed.keys()].flatMap((oldId) => {
      const member = members.get(oldId);
      return member === undefined ? [] : [member];
    });
    await reportRetryHeld(deps, open, hold, moving);
    return moved > 0 ? batchId : null;
  }
  await submitBatch(deps, open, { verifiedMembers: moved === renamed.size }).catch(
    (error: unknown) => {
      // Durable already: the poller submits it after the lease.
      deps.logger.warn('retry batch submission deferred to the poller', {
        batchId,
        error: errorMessage(error),
      });
    },
  );
  return moved > 0 ? batchId : null;
};

export { createRetryBatch, type RetryBatchDeps };
