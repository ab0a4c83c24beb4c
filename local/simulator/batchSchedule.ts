import { type BatchFaults, ITEM_ERROR_TYPES, type ItemErrorType } from './SimulatorFaults.js';
import type { BatchTimes } from './SimulatorStore.js';
import { hashUnit } from './seededRandom.js';

/**
 * When each request of a batch finishes and how it ends. Nothing here is stored: every
 * answer is recomputed from the batch's timestamps and the seed, so state is a pure function
 * of simulated time and no timers are needed.
 */
interface BatchSchedule {
  readonly seed: number;
  readonly batchId: string;
  /** Simulated window in which requests finish (epoch ms). */
  readonly workStart: number;
  readonly workEnd: number;
  readonly expiresAt: number;
  readonly cancelAt: number | null;
  /** A cancel that loses the race with completion does not stop any request. */
  readonly cancelRace: boolean;
}

/**
 * The schedule of a stored batch: its requests finish from `pendingShare` of its processing
 * time (the part it waits pending first) to the end of it.
 */
const storedBatchSchedule = (
  seed: number,
  batch: BatchTimes & { readonly faults: BatchFaults },
  pendingShare: number,
): BatchSchedule => ({
  seed,
  batchId: batch.id,
  workStart: batch.createdAt + batch.processingMs * pendingShare,
  workEnd: batch.createdAt + batch.processingMs,
  expiresAt: batch.expiresAt,
  cancelAt: batch.cancelAt,
  cancelRace: batch.faults.cancelRace === true,
});

/** Where a stored batch stands, whatever its API calls the state. */
type BatchPhase =
  | 'pending'
  | 'running'
  | 'failed'
  | 'cancelling'
  | 'cancelled'
  | 'succeeded'
  | 'expired';

/**
 * A stored batch's phase at `now`, and when it ended (null while it runs): failed at the start
 * of its work when its input was refused; else cancelled shortly after a cancel that wins the
 * race with its last request and its expiry; else done at its last request's finish, or
 * expired when that comes after the cut; else pending until its work starts, then running.
 */
const storedBatchPhase = (
  schedule: BatchSchedule,
  batch: BatchTimes & { readonly failure: string | null },
  keys: readonly string[],
  now: number,
): { phase: BatchPhase; endedAt: number | null } => {
  if (batch.failure !== null) {
    return now >= schedule.workStart
      ? { phase: 'failed', endedAt: schedule.workStart }
      : { phase: 'pending', endedAt: null };
  }
  const lastFinish = Math.max(
    schedule.workStart,
    ...keys.map((key) => itemFinishAt(schedule, key)),
  );
  if (batch.cancelAt !== null && !schedule.cancelRace) {
    const cancelled = batch.cancelAt + cancelDelayMs(batch.processingMs);
    if (cancelled < lastFinish && cancelled <= batch.expiresAt) {
      return now >= cancelled
        ? { phase: 'cancelled', endedAt: cancelled }
        : { phase: 'cancelling', endedAt: null };
    }
  }
  if (lastFinish <= effectiveCut(schedule)) {
    if (now >= lastFinish) return { phase: 'succeeded', endedAt: lastFinish };
  } else if (now >= batch.expiresAt) {
    return { phase: 'expired', endedAt: batch.expiresAt };
  }
  return { phase: now < schedule.workStart ? 'pending' : 'running', endedAt: null };
};

type ItemDisposition = 'pending' | 'done' | 'canceled' | 'expired';

/**
 * Simulated time between a cancel and the batch ending: 5 % of its processing time, capped at
 * 500 ms so tests that cancel long batches do not wait (the real APIs take up to minutes).
 */
const cancelDelayMs = (processingMs: number): number =>
  Math.max(1, Math.min(processingMs * 0.05, 500));

/** Requests finish spread over the whole work window, so an early expiry leaves a mix. */
const itemFinishAt = (schedule: BatchSchedule, customId: string): number => {
  const u = hashUnit(schedule.seed, 'finish', schedule.batchId, customId);
  return schedule.workStart + (schedule.workEnd - schedule.workStart) * (0.05 + 0.95 * u);
};

/** The moment after which no further request finishes (cancel or expiry), or Infinity. */
const effectiveCut = (schedule: BatchSchedule): number => {
  const cancelCut =
    schedule.cancelAt !== null && !schedule.cancelRace ? schedule.cancelAt : Infinity;
  return Math.min(cancelCut, schedule.expiresAt);
};

const itemDisposition = (
  schedule: BatchSchedule,
  customId: string,
  now: number,
): ItemDisposition => {
  const finishAt = itemFinishAt(schedule, customId);
  const cut = effectiveCut(schedule);
  if (finishAt <= cut) return finishAt <= now ? 'done' : 'pending';
  if (now < cut) return 'pending';
  const canceledFirst =
    schedule.cancelAt !== null && !schedule.cancelRace && schedule.cancelAt <= schedule.expiresAt;
  return canceledFirst ? 'canceled' : 'expired';
};

/** An errored item's type: an injected fault's, or `not_found_error` for an unknown model. */
type ResultErrorType = ItemErrorType | 'not_found_error';

type ItemOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly type: ResultErrorType; readonly message: string };

const ERROR_MESSAGES: Record<ItemErrorType, string> = {
  invalid_request_error: 'Invalid request (simulated).',
  api_error: 'Internal server error',
  overloaded_error: 'Overloaded',
  rate_limit_error: 'Number of request tokens has exceeded your rate limit (simulated).',
  timeout_error: 'Request timed out',
};

/**
 * How a finished request ends. A custom_id containing `__sim_<error type>` forces that
 * error (handy for exact tests); otherwise real validation errors win, then the seeded
 * per-type error rates decide.
 */
const itemOutcome = (
  seed: number,
  batchId: string,
  customId: string,
  rates: Partial<Record<ItemErrorType, number>> | undefined,
  validationError: { readonly type: ResultErrorType; readonly message: string } | null,
): ItemOutcome => {
  const forced = /__sim_([a-z_]+?)(?:__|$)/.exec(customId)?.[1];
  const forcedType = ITEM_ERROR_TYPES.find((type) => type === forced);
  if (forcedType !== undefined) {
    return { kind: 'error', type: forcedType, message: ERROR_MESSAGES[forcedType] };
  }
  if (validationError !== null) {
    return { kind: 'error', type: validationError.type, message: validationError.message };
  }
  if (rates !== undefined) {
    const u = hashUnit(seed, 'outcome', batchId, customId);
    let cumulative = 0;
    for (const type of ITEM_ERROR_TYPES) {
      cumulative += rates[type] ?? 0;
      if (u < cumulative) return { kind: 'error', type, message: ERROR_MESSAGES[type] };
    }
  }
  return { kind: 'ok' };
};

export {
  type BatchPhase,
  type BatchSchedule,
  cancelDelayMs,
  effectiveCut,
  type ItemDisposition,
  type ItemOutcome,
  itemDisposition,
  itemFinishAt,
  itemOutcome,
  type ResultErrorType,
  storedBatchPhase,
  storedBatchSchedule,
};
