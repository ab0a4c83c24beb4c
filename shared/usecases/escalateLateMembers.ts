import { METRIC } from '../contract/metrics.js';
import { FLEX_ENDPOINTS } from '../contract/request.js';
import type { HoldReason } from '../domain/admitRequests.js';
import { errorMessage } from '../domain/errors.js';
import { escalateAtOf } from '../domain/escalateAtOf.js';
import { estimateRequest } from '../domain/estimateRequest.js';
import { realtimeRequestKey } from '../domain/RealtimeJob.js';
import type { BatchItem, BatchRecord } from '../domain/records.js';
import { splitLines } from '../domain/splitLines.js';
import type { BatchMembers } from '../ports/BatchMembers.js';
import type { AdmissionDecisionDeps, HeldReportDeps } from './createAdmission.js';
import { createAdmissionDecision, publishRequestsHeld } from './createAdmission.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/**
 * What escalation uses: admission (which reads the running batches) and its report, the
 * batch's input in the bucket, the realtime lane, and the members it marks escalated.
 */
type EscalationDeps = AdmissionDecisionDeps &
  HeldReportDeps &
  Pick<
    RuntimeDeps,
    'blobs' | 'logger' | 'metrics' | 'realtime' | 'realtimeProviders' | 'settings'
  > & { readonly store: BatchMembers };

/**
 * The request body a provider input line carries (Anthropic `params`, OpenAI and Gemini
 * `body`, Bedrock `modelInput`).
 */
const bodyOfLine = (line: Record<string, unknown>): Record<string, unknown> | null => {
  const body = line['params'] ?? line['body'] ?? line['modelInput'];
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : null;
};

/** What an escalation reserved against the budget (0 and no day without a budget). */
type Reservation = { readonly nanoUsd: number; readonly day: string | null };

/**
 * Admits one escalated request as new work is admitted: its realtime call's worst case is
 * checked against the budgets and reserved in the same conditional write (quotas, which
 * bound provider batches, do not apply to the realtime lane). Returns what was reserved, or
 * why it is held.
 */
const admitEscalation = async (
  deps: EscalationDeps,
  decide: ReturnType<typeof createAdmissionDecision>,
  batch: BatchRecord,
  now: Date,
  item: BatchItem,
  body: Record<string, unknown>,
  servedBy: 'flex' | 'realtime',
): Promise<{ readonly reserved: Reservation } | { readonly held: HoldReason }> => {
  const { settings } = deps;
  const { nanoUsd, inputTokens } = estimateRequest(
    {
      provider: batch.provider,
      endpoint: batch.endpoint,
      model: item.model,
      body,
      bodyBytes: Buffer.byteLength(JSON.stringify(body)),
      lane: servedBy,
      at: now,
    },
    settings.priceTable,
    settings.unpricedCeilingNanoUsdPerToken,
  );
  const decision = await decide([
    { provider: batch.provider, model: item.model, batch: false, inputTokens, nanoUsd },
  ]);
  const held = decision.held[0];
  if (held !== undefined) return { held: held.reason };
  return {
    reserved:
      decision.reservedIn === null
        ? { nanoUsd: 0, day: null }
        : { nanoUsd, day: decision.reservedIn.day },
  };
};

/** Where escalated members go and why, as their jobs and events say. */
interface EscalationLane {
  readonly lane: 'flex' | 'realtime';
  readonly reasonOf: (item: BatchItem) => string;
  /** Holds each job back this long, so its member's mark is in before a worker reads it. */
  readonly delaySeconds?: number;
}

/**
 * Queues a realtime job for each of `members` (read back from the batch's input file) and
 * marks it escalated: the job first, so should the mark fail, the worker finds the member not
 * escalated and leaves it to the batch. Each job is admitted as new work is (its worst case
 * checked against the budget and reserved atomically); a member admission holds stays with
 * its batch, reported by a `Requests Held` event (unless `reportHeld` is false). Returns the
 * members that could not be escalated (a failed dispatch or mark, or held by the budget; the
 * next try takes them again), and how many of them admission held. Members whose line is not
 * in the file are neither escalated nor returned: they stay with the batch.
 */
const dispatchEscalations = async (
  deps: EscalationDeps,
  batch: BatchRecord,
  now: Date,
  members: Map<string, BatchItem>,
  how: EscalationLane & {
    /**
     * Whether members admission holds are reported (`Requests Held`): not while the batch's
     * current hold episode was reported already (its `escalationHeldAt`).
     */
    readonly reportHeld?: boolean;
  },
): Promise<{ escalated: number; failed: BatchItem[]; held: number }> => {
  const { store, logger, metrics } = deps;
  const dispatcher = deps.realtime;
  const failed: BatchItem[] = [];
  let escalated = 0;
  const held = new Map<string, { reason: HoldReason; items: BatchItem[] }>();
  if (dispatcher === null || members.size === 0) return { escalated, failed, held: 0 };
  const decide = createAdmissionDecision(deps);
  for await (const text of splitLines(await deps.blobs.getStream(batch.inputKey))) {
    const line = JSON.parse(text) as Record<string, unknown>;
    const item = typeof line['custom_id'] === 'string' ? members.get(line['custom_id']) : undefined;
    const body = bodyOfLine(line);
    if (item === undefined || body === null) continue;
    members.delete(item.providerCustomId);
    const admission = await admitEscalation(deps, decide, batch, now, item, body, how.lane);
    if ('held' in admission) {
      // Stays with its batch, which still answers it; the next try may escalate it.
      const key = `${admission.held} ${item.producer} ${item.model}`;
      const group = held.get(key) ?? { reason: admission.held, items: [] };
      group.items.push(item);
      held.set(key, group);
      failed.push(item);
      continue;
    }
    const { reserved } = admission;
    // One request object per escalation: named by the batch member, not the caller's body.
    const requestHash = `escalated-${batch.batchId}-${item.providerCustomId}`;
    const key = realtimeRequestKey(item.producer, item.customId, requestHash);
    try {
      await deps.blobs.put(key, JSON.stringify({ body }), { contentType: 'application/json' });
      await dispatcher.dispatch(
        {
          schema: 'batchlane.realtime-job.v1',
          attempt: 1,
          custom_id: item.customId,
          producer: item.producer,
          request_hash: requestHash,
          request_key: key,
          provider: batch.provider,
          endpoint: batch.endpoint,
          model: item.model,
          lane: how.lane,
          hold_until: null,
          requested: item.lane.requested,
          reason: how.reasonOf(item),
          destination: item.destination,
          metadata: item.metadata,
          deadline: item.deadline,
          accepted_at: item.acceptedAt,
          reserved_nano_usd: reserved.nanoUsd,
          reserved_on: reserved.day,
          target: {
            kind: 'member',
            batch_id: batch.batchId,
            provider_custom_id: item.providerCustomId,
            attempts: item.attempts,
          },
        },
        how.delaySeconds === undefined ? undefined : { delaySeconds: how.delaySeconds },
      );
      if (await store.escalateMember(batch.batchId, item.providerCustomId, now.toISOString())) {
        escalated += 1;
      }
    } catch (error) {
      logger.warn('escalation failed; the next try takes it again', {
        batchId: batch.batchId,
        customId: item.customId,
        error: errorMessage(error),
      });
      failed.push(item);
    }
  }
  metrics.count(METRIC.MembersEscalated, escalated, { provider: batch.provider, lane: how.lane });
  let heldCount = 0;
  for (const { reason, items } of held.values()) {
    const first = items[0];
    if (first === undefined) continue;
    heldCount += items.length;
    metrics.count(METRIC.EscalationsHeld, items.length, { provider: batch.provider });
    logger.info('escalations held by admission; the batch keeps them for now', {
      batchId: batch.batchId,
      reason,
      held: items.length,
    });
    if (how.reportHeld === false) continue;
    await publishRequestsHeld(deps, {
      reason,
      producer: first.producer,
      provider: batch.provider,
      model: first.model,
      requests: items.length,
      customIds: items.map((i) => i.customId),
      batchId: batch.batchId,
      // The poller looks at the batch again on its next poll.
      retryInSeconds: deps.settings.pollIntervalSeconds,
    });
  }
  logger.info('members escalated to the realtime lane', {
    batchId: batch.batchId,
    escalated,
    lane: how.lane,
  });
  return { escalated, failed, held: heldCount };
};

/** What a try at escalating leaves on the batch record. */
interface EscalationMarks {
  /** When the poller should look for late members next, or null. */
  readonly escalateAt: string | null;
  /** The batch's escalation hold episode: when it began, or null when nothing is held. */
  readonly escalationHeldAt: string | null;
}

/** A hold episode goes on while a try holds members, and ends with the first that holds none. */
const escalationHeldAtAfter = (batch: BatchRecord, now: Date, held: number): string | null =>
  held === 0 ? null : (batch.escalationHeldAt ?? now.toISOString());

/**
 * One try at escalating members of `batch`, within its hold episode: the one rule every path
 * that escalates (late members, a stuck batch's `escalate` policy, a batch below its
 * provider's minimum) follows, so a hold is reported once per episode whichever path meets it.
 * Members admission holds are reported (`Requests Held`) only when no episode is under way
 * (the batch's `escalationHeldAt`); the episode the try leaves is returned, for the caller to
 * write on the batch: it begins with the first try that holds members, goes on while tries
 * hold some, and ends with the first that holds none.
 */
const escalateInHoldEpisode = async (
  deps: EscalationDeps,
  batch: BatchRecord,
  now: Date,
  members: Map<string, BatchItem>,
  how: EscalationLane,
): Promise<{
  readonly escalated: number;
  readonly failed: BatchItem[];
  readonly escalationHeldAt: string | null;
}> => {
  const { escalated, failed, held } = await dispatchEscalations(deps, batch, now, members, {
    ...how,
    reportHeld: batch.escalationHeldAt == null,
  });
  return { escalated, failed, escalationHeldAt: escalationHeldAtAfter(batch, now, held) };
};

/**
 * Hands the `auto` members of a still-running batch that are about to miss their deadline to
 * the realtime lane: each one's body (read back from the batch's input file) is stored, a
 * job is queued, and the member is marked escalated in a transaction that also checks the
 * batch is still running. Whichever answer comes second is dropped by `custom_id`: once
 * escalated, the batch's own result for the member is never delivered. Members admission
 * holds stay with the batch and are tried again on the next poll; their `Requests Held` goes
 * out once per hold episode (the batch's `escalationHeldAt`), not on every poll that holds
 * them again. Returns when the poller should look again (the next member's escalation time),
 * or null, with the hold episode to record.
 */
const escalateLateMembers = async (
  deps: EscalationDeps,
  batch: BatchRecord,
  now: Date,
): Promise<EscalationMarks> => {
  const { store, settings } = deps;
  const dispatcher = deps.realtime;
  const lead = settings.escalateBeforeDeadlineMs;
  const late = new Map<string, BatchItem>();
  const waiting: BatchItem[] = [];
  for await (const page of store.listItems(batch.batchId)) {
    for (const item of page) {
      if (item.lane.requested !== 'auto' || item.deadline === null) continue;
      if (item.deliveredAt !== null || item.escalatedAt !== null) continue;
      if (Date.parse(item.deadline) - lead <= now.getTime()) late.set(item.providerCustomId, item);
      else waiting.push(item);
    }
  }
  if (late.size === 0 || dispatcher === null) {
    return { escalateAt: escalateAtOf(waiting, lead), escalationHeldAt: null };
  }

  const flex =
    deps.realtimeProviders[batch.provider]?.supportsFlex === true &&
    FLEX_ENDPOINTS.includes(batch.endpoint);
  const lane = flex ? 'flex' : 'realtime';
  const { failed, escalationHeldAt } = await escalateInHoldEpisode(deps, batch, now, late, {
    lane,
    reasonOf: (item) =>
      `auto: batch ${batch.batchId} still running ${Math.round((Date.parse(item.deadline ?? '') - now.getTime()) / 60_000)} min before the deadline; escalated to ${flex ? 'flex' : 'standard realtime'}`,
  });
  waiting.push(...failed);
  // Members whose line was not found stay with the batch (and are not looked at again).
  return { escalateAt: escalateAtOf(waiting, lead), escalationHeldAt };
};

export {
  dispatchEscalations,
  type EscalationDeps,
  type EscalationMarks,
  escalateInHoldEpisode,
  escalateLateMembers,
  escalationHeldAtAfter,
};
