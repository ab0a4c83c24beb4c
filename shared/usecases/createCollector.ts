import { METRIC } from '../contract/metrics.js';
import { BUILT_IN_REGISTRY } from '../contract/providerRegistry.js';
import { FLEX_ENDPOINTS } from '../contract/request.js';
import { unpricedRefusal } from '../domain/admitRequests.js';
import type { BudgetPeriod } from '../domain/budgetPeriod.js';
import { chooseLane, type LaneChoice } from '../domain/chooseLane.js';
import { errorMessage, InvalidInputError, isRetryable } from '../domain/errors.js';
import { estimateRequest, type RequestEstimate } from '../domain/estimateRequest.js';
import { formatProviderLine } from '../domain/formatProviderLine.js';
import { mapWithConcurrency } from '../domain/mapWithConcurrency.js';
import { offPeakWindowAt } from '../domain/pricing/offPeakCalendar.js';
import { findPriceEntry } from '../domain/pricing/priceRequest.js';
import { ledgerIdOf, resolveProducer } from '../domain/producer.js';
import { type RealtimeJob, realtimeRequestKey } from '../domain/RealtimeJob.js';
import type { JsonValue } from '../domain/records.js';
import {
  type AcceptedRequest,
  type ClaimCheckResolution,
  maxRequestBytesOf,
  unprocessable,
  type ValidationContext,
  type ValidationOutcome,
  validateRequest,
} from '../domain/validateRequest.js';
import type { BatchFilling } from '../ports/BatchFilling.js';
import type { RequestLedger } from '../ports/RequestLedger.js';
import type { RegisterOutcome, RegisterRequestInput } from '../ports/StateStore.js';
import type { AdmissionDeps } from './createAdmission.js';
import { type AdmissionRequest, createAdmission } from './createAdmission.js';
import type { BatchFillerDeps } from './createBatchFiller.js';
import { createBatchFiller, type FillRequest, providerCustomIdOf } from './createBatchFiller.js';
import { holdDelaySeconds } from './createRealtimeWorker.js';
import type { RuntimeDeps } from './RuntimeDeps.js';
import { createClaimCheckResolver } from './resolveClaimChecks.js';
import type { SealingDeps } from './sealBatch.js';
import { handOffSealing, type SealReason } from './sealBatch.js';
import type { SettleRefusalsDeps } from './settleRefusals.js';
import { type Refusal, settleRefusals } from './settleRefusals.js';

/**
 * What the collector uses: the ledger it registers requests in, and what admission, batch
 * filling, sealing, refusals, claim checks and the realtime lane it hands requests to use.
 */
type CollectorDeps = AdmissionDeps &
  BatchFillerDeps &
  SealingDeps &
  SettleRefusalsDeps &
  Pick<
    RuntimeDeps,
    | 'blobs'
    | 'claimChecks'
    | 'clock'
    | 'logger'
    | 'metrics'
    | 'realtime'
    | 'realtimeProviders'
    | 'settings'
  > & { readonly store: RequestLedger & BatchFilling };

/** One intake message as the collector sees it (an SQS record, stripped). */
interface IntakeMessage {
  readonly messageId: string;
  readonly body: string;
  /**
   * The `SenderId` SQS recorded for the message: who sent it, as IAM knows them. Absent only
   * where a queue does not record it; such messages belong to the default producer ''.
   */
  readonly senderId?: string | null;
  /** The `batchlane-producer` message attribute, believed only from batchlane itself. */
  readonly producerAttribute?: string | null;
}

interface CollectorReport {
  /** Messages to hand back to SQS for another try (nothing durable happened for them). */
  readonly failedMessageIds: string[];
  readonly accepted: number;
  readonly folded: number;
  readonly rejected: number;
  readonly batches: string[];
  /** Accepted requests held back by admission (quota or budget) and requeued. */
  readonly held: number;
}

interface Pending extends FillRequest {
  readonly messageId: string;
  readonly producer: string;
  readonly accepted: AcceptedRequest;
}

/** A request the lane choice sent to the realtime lane. */
interface RealtimeBound {
  readonly messageId: string;
  readonly producer: string;
  readonly accepted: AcceptedRequest;
  readonly choice: LaneChoice;
  readonly estimate: RequestEstimate;
}

type RejectedMessage = Extract<ValidationOutcome, { ok: false }> & { readonly messageId: string };

/** What an accepted request needs to be packed or dispatched, worked out once. */
interface Prepared {
  readonly choice: LaneChoice;
  /** Its provider line, with a placeholder id the filler swaps for the member's own. */
  readonly line: string;
  readonly estimate: RequestEstimate;
}

/** One message as judged: refused, or accepted with what packing it needs. */
interface Judged {
  readonly message: IntakeMessage;
  /** Who sent it: its id, refusal and result are this producer's. */
  readonly producer: string;
  readonly outcome: ValidationOutcome;
  readonly prepared: Prepared | null;
}

const CONCURRENCY = 16;

/** What the filler needs of a batch-lane request. */
const pendingOf = (candidate: {
  readonly message: IntakeMessage;
  readonly producer: string;
  readonly accepted: AcceptedRequest;
  readonly prepared: Prepared;
}): Pending => {
  const { message, producer, accepted, prepared } = candidate;
  const { choice, line, estimate } = prepared;
  return {
    estimate,
    lane: {
      requested: choice.requested === 'auto' ? 'auto' : 'batch',
      reason: choice.reason,
    },
    messageId: message.messageId,
    producer,
    accepted,
    provider: accepted.request.provider,
    endpoint: accepted.endpoint,
    model: accepted.model,
    customId: accepted.request.custom_id,
    requestHash: accepted.requestHash,
    destination: accepted.destination,
    metadata: (accepted.request.metadata ?? null) as JsonValue | null,
    deadline: accepted.request.deadline ?? null,
    lineBytes: Buffer.byteLength(line),
    line,
  };
};

/** Ledger entries registered per call (realtime lane only; one conditional put each). */
const REGISTER_CHUNK = 100;

/**
 * The collector: validates intake messages, folds duplicates by `custom_id`, packs the rest
 * into provider batches and submits them. A message is acknowledged once its request is
 * durably owned by a batch (or refused); anything that failed before that is handed back to
 * SQS, and the ledger makes the retry pick up exactly where it stopped.
 */
const createCollector = (deps: CollectorDeps) => {
  const { store, clock, logger, metrics, settings } = deps;
  const admit = createAdmission(deps);
  const fill = createBatchFiller(deps);
  const resolveClaimChecks = createClaimCheckResolver(deps);

  const maxRequestBytes = maxRequestBytesOf(settings.maxBytesPerBatch);
  const registry = settings.registry ?? BUILT_IN_REGISTRY;
  const lanePolicy = { ...settings.lanePolicy, registry };

  /** Who sent a message: from what SQS recorded, never from what the message says. */
  const producerOf = (message: IntakeMessage): string =>
    message.senderId === undefined || message.senderId === null || message.senderId === ''
      ? ''
      : resolveProducer(
          { senderId: message.senderId, producerAttribute: message.producerAttribute ?? null },
          settings.producers,
        );

  /**
   * Registers a refused message's id (when readable) so identical resends fold, and decides
   * whether this is the first refusal for it (a `rejected` result is delivered) or the id
   * already belongs to another request (event only, never a second delivery).
   */
  const refusalFor = async (
    message: IntakeMessage,
    producer: string,
    outcome: RejectedMessage,
  ): Promise<Refusal | null> => {
    const base = {
      messageId: message.messageId,
      body: message.body,
      metadata: outcome.metadata,
      producer,
    };
    if (outcome.customId === null) {
      return {
        ...base,
        rejection: outcome.rejection,
        customId: null,
        deliverTo: null,
        registered: false,
      };
    }
    const now = clock.now();
    const registered = await store.registerRequest({
      producer,
      customId: outcome.customId,
      requestHash: outcome.requestHash,
      state: 'rejecting',
      acceptedAt: now.toISOString(),
      expiresAt: Math.floor(now.getTime() / 1000) + settings.idempotencyTtlSeconds,
    });
    switch (registered.kind) {
      case 'new':
        return {
          ...base,
          rejection: outcome.rejection,
          customId: outcome.customId,
          deliverTo: outcome.destination,
          registered: true,
        };
      case 'duplicate':
        // An earlier try registered the refusal but died before its result and event were
        // out: send them now. Once out, resends fold silently.
        return registered.existing.state === 'rejecting'
          ? {
              ...base,
              rejection: outcome.rejection,
              customId: outcome.customId,
              deliverTo: outcome.destination,
              registered: true,
            }
          : null;
      case 'conflict':
      case 'pending':
        return {
          ...base,
          rejection: {
            code: 'conflicting_resend',
            message: `custom_id ${outcome.customId} was already used for a different request (${outcome.rejection.message})`,
            issues: outcome.rejection.issues,
          },
          customId: outcome.customId,
          deliverTo: null,
          registered: false,
        };
    }
  };

  /** A refusal of an accepted request whose id the ledger does not hold for it. */
  const refusalOfAccepted = (
    message: IntakeMessage,
    producer: string,
    accepted: AcceptedRequest,
    rejection: Refusal['rejection'],
    deliverTo: Refusal['deliverTo'],
  ): Refusal => ({
    messageId: message.messageId,
    body: message.body,
    producer,
    metadata: null,
    rejection,
    customId: accepted.request.custom_id,
    deliverTo,
    registered: false,
  });

  // Published, not delivered: the id already has an outcome on its way (the first body's),
  // and a destination gets one outcome per id.
  const conflictRefusal = (
    message: IntakeMessage,
    producer: string,
    accepted: AcceptedRequest,
  ): Refusal =>
    refusalOfAccepted(
      message,
      producer,
      accepted,
      {
        code: 'conflicting_resend',
        message: `custom_id ${accepted.request.custom_id} was already used for a different request; use a new custom_id`,
        issues: [{ path: 'custom_id', message: 'already used for a different request' }],
      },
      null,
    );

  /**
   * The refusal of an accepted request the ledger refused for good (nothing it holds could be
   * stored): delivered and published without holding its id, since the ledger will not.
   */
  const unregisterableRefusal = (
    message: IntakeMessage,
    producer: string,
    accepted: AcceptedRequest,
    error: unknown,
  ): Refusal =>
    refusalOfAccepted(
      message,
      producer,
      accepted,
      {
        code: 'unprocessable_message',
        message: `the request could not be recorded (${errorMessage(error).slice(0, 300)}); it is refused rather than retried`,
        issues: [{ path: '(root)', message: 'could not be recorded' }],
      },
      accepted.destination,
    );

  /**
   * While a budget is set, a request for a model the price table lacks is refused before its
   * id is registered (so it reserves nothing), unless the deployment prices such models at a
   * ceiling.
   */
  const refuseUnpriced = (outcome: ValidationOutcome, now: Date): ValidationOutcome => {
    if (!outcome.ok) return outcome;
    const { accepted } = outcome;
    const refusal = unpricedRefusal(
      {
        provider: accepted.request.provider,
        model: accepted.model,
        priced:
          findPriceEntry(settings.priceTable, accepted.request.provider, accepted.model, now) !==
          null,
      },
      settings.budget,
      settings.unpricedCeilingNanoUsdPerToken !== null,
    );
    if (refusal === null) return outcome;
    return {
      ok: false,
      rejection: {
        ...refusal,
        issues: [{ path: 'body.model', message: 'no price for this model' }],
      },
      customId: accepted.request.custom_id,
      destination: accepted.destination,
      requestHash: accepted.requestHash,
      metadata: (accepted.request.metadata ?? null) as JsonValue | null,
    };
  };

  /**
   * A request for a provider served only by synchronous calls (DeepSeek: no batch API) is
   * refused when this deployment runs no realtime worker, rather than accepted to wait for a
   * lane that never comes.
   */
  const refuseWithoutRealtimeLane = (outcome: ValidationOutcome): ValidationOutcome => {
    if (!outcome.ok || deps.realtime !== null) return outcome;
    const { accepted } = outcome;
    const { provider } = accepted.request;
    if (!registry.needsRealtimeLane(provider)) return outcome;
    return {
      ok: false,
      rejection: {
        code: 'no_realtime_lane',
        message: `provider ${provider} has no batch API and this deployment runs no realtime worker to serve it`,
        issues: [{ path: 'provider', message: 'needs the realtime lane, which is not deployed' }],
      },
      customId: accepted.request.custom_id,
      destination: accepted.destination,
      requestHash: accepted.requestHash,
      metadata: (accepted.request.metadata ?? null) as JsonValue | null,
    };
  };

  /** The lane for an accepted request: the batch lane when the deployment has no other. */
  const laneOf = (accepted: AcceptedRequest, now: Date): LaneChoice => {
    const flex =
      deps.realtimeProviders[accepted.request.provider]?.supportsFlex === true &&
      FLEX_ENDPOINTS.includes(accepted.endpoint);
    const choice = chooseLane(
      accepted.request,
      flex,
      now,
      lanePolicy,
      offPeakWindowAt(settings.priceTable.off_peak[accepted.request.provider], now),
    );
    if (choice.lane === 'batch' || deps.realtime !== null) return choice;
    return {
      lane: 'batch',
      requested: choice.requested,
      reason: `${choice.reason}; this deployment has no realtime lane, so batch`,
    };
  };

  /**
   * Hands a request to the realtime lane: its body to the blob store, a job to the lane's
   * queue, then the ledger entry to `realtime`. A crash before the last step leaves the entry
   * `pending`, so the message's retry sends the job again; the worker's lease on the request
   * makes a second job harmless.
   */
  const dispatchRealtime = async (
    bound: RealtimeBound,
    reservedIn: BudgetPeriod | null,
  ): Promise<void> => {
    const { accepted, choice, producer } = bound;
    const { request } = accepted;
    const key = realtimeRequestKey(producer, request.custom_id, accepted.requestHash);
    await deps.blobs.put(key, JSON.stringify(request), { contentType: 'application/json' });
    const job: RealtimeJob = {
      schema: 'batchlane.realtime-job.v1',
      attempt: 1,
      custom_id: request.custom_id,
      producer,
      request_hash: accepted.requestHash,
      request_key: key,
      provider: request.provider,
      endpoint: accepted.endpoint,
      model: accepted.model,
      lane: choice.lane === 'flex' || choice.lane === 'off_peak' ? choice.lane : 'realtime',
      requested: choice.requested,
      reason: choice.reason,
      hold_until: choice.holdUntil ?? null,
      destination: accepted.destination,
      metadata: (request.metadata ?? null) as JsonValue | null,
      deadline: request.deadline ?? null,
      accepted_at: clock.now().toISOString(),
      reserved_nano_usd: reservedIn === null ? 0 : bound.estimate.nanoUsd,
      reserved_on: reservedIn?.day ?? null,
      target: { kind: 'request' },
    };
    // Held for a discount window: the job first comes back when the window opens or after
    // SQS's longest delay, whichever is sooner; the worker holds it again until then.
    await deps.realtime?.dispatch(job, { delaySeconds: holdDelaySeconds(job, clock.now()) });
    await store.markRealtime(producer, request.custom_id, accepted.requestHash);
  };

  /**
   * Seals a batch this invocation found full (or, with no filling time, every batch it added
   * to) and hands it to the completion function to assemble and submit. Should this fail, the
   * batch is the poller's after its filling time or lease; the messages are done with.
   */
  const seal = async (batchId: string, reason: SealReason): Promise<void> => {
    try {
      await handOffSealing(deps, batchId, reason);
    } catch (error) {
      logger.warn('sealing deferred to the poller', { batchId, error: errorMessage(error) });
    }
  };

  /** The lane, provider line and estimate of an accepted request. */
  const prepare = (accepted: AcceptedRequest, now: Date): Prepared => {
    const choice = laneOf(accepted, now);
    const line = `${formatProviderLine(accepted.request.provider, accepted.endpoint, providerCustomIdOf(0), accepted.request.body)}\n`;
    const estimate = estimateRequest(
      {
        provider: accepted.request.provider,
        endpoint: accepted.endpoint,
        model: accepted.model,
        body: accepted.request.body,
        bodyBytes: Buffer.byteLength(line),
        lane: choice.lane,
        // A held request runs when its window opens: estimated at that hour's price.
        at: choice.holdUntil === undefined ? now : new Date(choice.holdUntil),
      },
      settings.priceTable,
      settings.unpricedCeilingNanoUsdPerToken,
    );
    return { choice, line, estimate };
  };

  /**
   * Judges one message alone. Judging and preparing are deterministic and touch nothing
   * outside the message, so should either throw, the message is refused for good
   * (`unprocessable_message`) rather than failing the invocation, which would send its
   * neighbours back to SQS with it and, in the end, all of them to the dead-letter queue.
   */
  const judge = (
    message: IntakeMessage,
    context: ValidationContext,
    claimCheck: ClaimCheckResolution | undefined,
  ): Judged => {
    const producer = producerOf(message);
    try {
      const outcome = refuseUnpriced(
        refuseWithoutRealtimeLane(validateRequest(message.body, context, claimCheck)),
        context.now,
      );
      return {
        message,
        producer,
        outcome,
        prepared: outcome.ok ? prepare(outcome.accepted, context.now) : null,
      };
    } catch (error) {
      logger.error('message could not be judged; refusing it', {
        messageId: message.messageId,
        error: errorMessage(error),
      });
      return {
        message,
        producer,
        outcome: unprocessable(message.body, context, errorMessage(error)),
        prepared: null,
      };
    }
  };

  /**
   * Whether the ledger refused a request for something in the request itself (a validation
   * error: an item it cannot store), which no retry changes. Anything else, a missing table or
   * a missing grant included, is the deployment's and is retried: the message may succeed once
   * it is fixed, and meanwhile waits in SQS or its dead-letter queue for a redrive.
   */
  const refusedForItsContent = (error: unknown): boolean => error instanceof InvalidInputError;

  /**
   * Registers one chunk of accepted requests. A chunk refused for something in one of its
   * requests is registered again one request at a time, so only that request fails.
   */
  const registerChunk = async (
    entries: readonly RegisterRequestInput[],
  ): Promise<PromiseSettledResult<RegisterOutcome>[]> => {
    try {
      const outcomes = await store.registerRequests(entries);
      return outcomes.map((value) => ({ status: 'fulfilled', value }));
    } catch (error) {
      if (entries.length === 1 || !refusedForItsContent(error)) {
        return entries.map(() => ({ status: 'rejected', reason: error }));
      }
      return mapWithConcurrency(entries, 4, (entry) => store.registerRequest(entry));
    }
  };

  /*
   * The stages below work on many messages at once. Each already reports what failed per
   * message; these guards keep an unexpected throw in one stage to that stage's own messages,
   * handed back to SQS, so the rest of the invocation (refusals above all) still completes.
   */
  const admitOrRetry = async <T extends AdmissionRequest>(requests: readonly T[]) => {
    try {
      return { ...(await admit(requests)), unjudged: 0 };
    } catch (error) {
      logger.warn('admission failed; its messages will be retried', {
        requests: requests.length,
        error: errorMessage(error),
      });
      return {
        admitted: [] as T[],
        failedMessageIds: requests.map((r) => r.messageId),
        reservedIn: null,
        unjudged: requests.length,
      };
    }
  };

  const fillOrRetry = async (requests: readonly Pending[]) => {
    try {
      return await fill(requests);
    } catch (error) {
      logger.warn('filling failed; its messages will be retried', {
        requests: requests.length,
        error: errorMessage(error),
      });
      return {
        claimed: [],
        lost: [],
        conflicts: [],
        unstorable: [],
        failed: [...requests],
        batchIds: [],
        full: [],
      };
    }
  };

  const settleOrRetry = async (refusals: readonly Refusal[]): Promise<Set<string>> => {
    try {
      return await settleRefusals(deps, refusals);
    } catch (error) {
      logger.warn('refusals not settled; their messages will be retried', {
        refusals: refusals.length,
        error: errorMessage(error),
      });
      return new Set(refusals.map((r) => r.messageId));
    }
  };

  return async (messages: readonly IntakeMessage[]): Promise<CollectorReport> => {
    const failed = new Set<string>();
    let held = 0;
    // Claim checks first: the body read is what is validated and fingerprinted, so a body
    // sent by claim check folds with the same body sent inline.
    // Each producer's claim checks are read from its own prefix only.
    const claimChecks = await resolveClaimChecks(
      messages.map((message) => ({ ...message, producer: producerOf(message) })),
      failed,
    );
    const now = clock.now();
    const context: ValidationContext = {
      defaultDestination: settings.defaultDestination,
      enabledProviders: settings.enabledProviders,
      registry,
      now,
      maxRequestBytes,
      allowPrivateWebhooks: settings.allowPrivateWebhooks,
      destinationPolicy: settings.destinationPolicy,
      region: settings.region,
    };
    const outcomes = messages
      .filter((message) => !failed.has(message.messageId))
      .map((message) => judge(message, context, claimChecks.get(message.messageId)));

    // Rejections first; they do not depend on anything else in the batch.
    const rejectedMessages = outcomes.filter(
      (o): o is Judged & { outcome: RejectedMessage } => !o.outcome.ok,
    );
    const refusals: Refusal[] = [];
    const rejections = await mapWithConcurrency(
      rejectedMessages,
      CONCURRENCY,
      ({ message, producer, outcome }) => refusalFor(message, producer, outcome),
    );
    rejections.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        if (r.value !== null) refusals.push(r.value);
        return;
      }
      const messageId = rejectedMessages[i]?.message.messageId;
      if (messageId !== undefined) failed.add(messageId);
      logger.warn('rejection not recorded; will retry', {
        messageId,
        error: errorMessage(r.reason),
      });
    });

    // Duplicates inside one SQS batch: the first occurrence stands for all identical ones.
    // Ids are the producer's own: two producers' equal custom_ids are different requests.
    const firstById = new Map<
      string,
      { message: IntakeMessage; producer: string; accepted: AcceptedRequest; prepared: Prepared }
    >();
    const inBatchConflicts: {
      message: IntakeMessage;
      producer: string;
      accepted: AcceptedRequest;
    }[] = [];
    let folded = 0;
    for (const { message, producer, outcome, prepared } of outcomes) {
      if (!outcome.ok || prepared === null) continue;
      const id = ledgerIdOf(producer, outcome.accepted.request.custom_id);
      const first = firstById.get(id);
      if (first === undefined)
        firstById.set(id, { message, producer, accepted: outcome.accepted, prepared });
      else if (first.accepted.requestHash === outcome.accepted.requestHash) folded += 1;
      else inBatchConflicts.push({ message, producer, accepted: outcome.accepted });
    }
    for (const { message, producer, accepted } of inBatchConflicts) {
      refusals.push(conflictRefusal(message, producer, accepted));
    }

    // Requests for the batch lane get their one ledger entry when they are packed, written
    // `claimed` at once (the filler reports those the ledger holds already, or holds for a
    // different request). Only the realtime lane's are registered here, `pending`, before
    // they are handed on.
    const candidates = [...firstById.values()];
    const toPack: Pending[] = [];
    const toRegister: typeof candidates = [];
    for (const candidate of candidates) {
      if (candidate.prepared.choice.lane === 'batch') toPack.push(pendingOf(candidate));
      else toRegister.push(candidate);
    }
    // A hundred ids per call; a chunk that fails for now sends its messages back to SQS.
    const chunks: (typeof toRegister)[] = [];
    for (let i = 0; i < toRegister.length; i += REGISTER_CHUNK) {
      chunks.push(toRegister.slice(i, i + REGISTER_CHUNK));
    }
    const chunkOutcomes = await mapWithConcurrency(chunks, 4, (chunk) =>
      registerChunk(
        chunk.map(({ producer, accepted }) => ({
          producer,
          customId: accepted.request.custom_id,
          requestHash: accepted.requestHash,
          state: 'pending' as const,
          acceptedAt: now.toISOString(),
          expiresAt: Math.floor(now.getTime() / 1000) + settings.idempotencyTtlSeconds,
        })),
      ),
    );
    const registrations = chunkOutcomes.flatMap(
      (outcome, c): PromiseSettledResult<RegisterOutcome>[] =>
        outcome.status === 'fulfilled'
          ? outcome.value
          : (chunks[c] ?? []).map(() => ({ status: 'rejected', reason: outcome.reason })),
    );
    const toRealtime: RealtimeBound[] = [];
    for (const [index, registration] of registrations.entries()) {
      const candidate = toRegister[index];
      if (candidate === undefined) continue;
      const { message, producer, accepted, prepared } = candidate;
      if (registration.status === 'rejected' && refusedForItsContent(registration.reason)) {
        // Refused by the ledger for good: retrying would only end in the dead-letter queue.
        refusals.push(unregisterableRefusal(message, producer, accepted, registration.reason));
        continue;
      }
      if (registration.status === 'rejected') {
        failed.add(message.messageId);
        logger.warn('request not registered; will retry', {
          messageId: message.messageId,
          retryable: isRetryable(registration.reason),
          error: errorMessage(registration.reason),
        });
        continue;
      }
      const outcome = registration.value;
      if (outcome.kind === 'duplicate') {
        folded += 1;
      } else if (outcome.kind === 'conflict') {
        refusals.push(conflictRefusal(message, producer, accepted));
      } else {
        const { choice, estimate } = prepared;
        toRealtime.push({ messageId: message.messageId, producer, accepted, choice, estimate });
      }
    }

    // Admission: requests over a provider quota or a budget wait in the intake queue.
    const bodyOf = new Map(messages.map((m) => [m.messageId, m.body]));
    const admission = await admitOrRetry([
      ...toPack.map((pending) => ({
        provider: pending.provider,
        model: pending.model,
        batch: true,
        inputTokens: pending.estimate.inputTokens,
        nanoUsd: pending.estimate.nanoUsd,
        customId: pending.accepted.request.custom_id,
        producer: pending.producer,
        messageId: pending.messageId,
        body: bodyOf.get(pending.messageId) ?? '',
        pending,
        bound: null,
      })),
      ...toRealtime.map((bound) => ({
        provider: bound.accepted.request.provider,
        model: bound.accepted.model,
        batch: false,
        inputTokens: bound.estimate.inputTokens,
        nanoUsd: bound.estimate.nanoUsd,
        customId: bound.accepted.request.custom_id,
        producer: bound.producer,
        messageId: bound.messageId,
        body: bodyOf.get(bound.messageId) ?? '',
        pending: null,
        bound,
      })),
    ]);
    for (const messageId of admission.failedMessageIds) failed.add(messageId);
    const admittedPack = admission.admitted.flatMap((a) => (a.pending === null ? [] : [a.pending]));
    const admittedRealtime = admission.admitted.flatMap((a) => (a.bound === null ? [] : [a.bound]));
    held = toPack.length + toRealtime.length - admission.admitted.length - admission.unjudged;
    toPack.splice(0, toPack.length, ...admittedPack);
    toRealtime.splice(0, toRealtime.length, ...admittedRealtime);

    // Fill: each group's requests become a part of its filling batch.
    const filled = await fillOrRetry(toPack);
    for (const pending of filled.failed) failed.add(pending.messageId);
    folded += filled.lost.length;
    const messageOf = new Map(messages.map((m) => [m.messageId, m]));
    for (const { messageId, producer, accepted } of filled.conflicts) {
      const message = messageOf.get(messageId);
      if (message !== undefined) refusals.push(conflictRefusal(message, producer, accepted));
    }
    for (const { messageId, producer, accepted } of filled.unstorable) {
      const message = messageOf.get(messageId);
      if (message === undefined) continue;
      // Refused by the store for good: retrying would only end in the dead-letter queue.
      refusals.push(
        unregisterableRefusal(
          message,
          producer,
          accepted,
          new Error(`the state table will not store request ${accepted.request.custom_id}`),
        ),
      );
    }
    const toSeal = new Map<string, SealReason>(filled.full.map((id) => [id, 'full']));
    if (settings.batchMaxAgeMs === 0) {
      for (const id of filled.batchIds) if (!toSeal.has(id)) toSeal.set(id, 'age');
    }
    await mapWithConcurrency([...toSeal], 4, ([id, reason]) => seal(id, reason));
    const batches = filled.batchIds;

    const dispatched = await mapWithConcurrency(toRealtime, CONCURRENCY, (bound) =>
      dispatchRealtime(bound, admission.reservedIn),
    );
    dispatched.forEach((result, index) => {
      if (result.status === 'fulfilled') return;
      const bound = toRealtime[index];
      if (bound === undefined) return;
      failed.add(bound.messageId);
      logger.warn('realtime hand-off failed; message will be retried', {
        customId: bound.accepted.request.custom_id,
        error: errorMessage(result.reason),
      });
    });
    metrics.count(METRIC.RequestsToRealtimeLane, toRealtime.length);

    for (const messageId of await settleOrRetry(refusals)) failed.add(messageId);

    // Packed requests the ledger folded (held elsewhere) or refused are not accepted here.
    const accepted =
      toPack.length -
      filled.lost.length -
      filled.conflicts.length -
      filled.unstorable.length +
      toRealtime.length;
    metrics.count(METRIC.RequestsAccepted, accepted);
    metrics.count(METRIC.RequestsFolded, folded);
    // Every message with an id folded into the one that stands for it shares its fate.
    for (const { message, producer, outcome } of outcomes) {
      if (!outcome.ok) continue;
      const first = firstById.get(ledgerIdOf(producer, outcome.accepted.request.custom_id));
      if (first !== undefined && first.message !== message && failed.has(first.message.messageId)) {
        failed.add(message.messageId);
      }
    }
    return {
      failedMessageIds: [...failed],
      accepted,
      folded,
      rejected: rejectedMessages.length + inBatchConflicts.length,
      batches,
      held,
    };
  };
};

export { type CollectorDeps, type CollectorReport, createCollector, type IntakeMessage };
