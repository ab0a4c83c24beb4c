import type { ProviderName } from '../contract/providers.js';
import type { TurnaroundStats } from './turnaround.js';

/**
 * What batchlane does with a batch it finds stuck: `leave` it (event and alarm only),
 * `cancel_resubmit` (cancel it at the provider; completion delivers what it returns and sends
 * its unfinished members again in a new batch), or `escalate` (its members with deadlines go
 * to the realtime lane; the batch keeps running for the rest).
 */
const STUCK_POLICIES = ['leave', 'cancel_resubmit', 'escalate'] as const;
type StuckPolicy = (typeof STUCK_POLICIES)[number];

/** The stuck-batch rule's settings: a policy per provider, and the thin-history floor. */
interface StuckBatchSettings {
  readonly policies: Readonly<Partial<Record<ProviderName, StuckPolicy>>>;
  /** The policy of providers not named in `policies`. */
  readonly defaultPolicy: StuckPolicy;
  /** How long without progress counts as stuck while a provider and model's history is thin. */
  readonly floorMs: number;
  /** Fewest recorded batches whose p99 is trusted over the floor. */
  readonly minHistory: number;
}

const DEFAULT_STUCK_SETTINGS: StuckBatchSettings = {
  policies: {},
  defaultPolicy: 'leave',
  floorMs: 6 * 60 * 60 * 1000,
  minHistory: 20,
};

const policyOf = (settings: StuckBatchSettings, provider: ProviderName): StuckPolicy =>
  settings.policies[provider] ?? settings.defaultPolicy;

/**
 * Whether a provider status word says the batch is being worked on (not queued or validating
 * any more): Anthropic, OpenAI and its profiles `in_progress` (`IN_PROGRESS`), `finalizing`;
 * Gemini `BATCH_STATE_RUNNING` / `JOB_STATE_RUNNING`; Bedrock `InProgress`; Mistral `RUNNING`.
 */
const isStartedStatus = (status: string | null): boolean => {
  if (status === null) return false;
  const word = status
    .toLowerCase()
    .replace(/^(batch|job)_state_/, '')
    .replace(/_/g, '');
  return word === 'inprogress' || word === 'running' || word === 'finalizing';
};

/** Why a batch counts as stuck, and what the judgement rests on. */
interface StuckVerdict {
  /** `no_progress`: longer than the limit without a new provider status; `deadline`: it will run past a member's deadline. */
  readonly reason: 'no_progress' | 'deadline';
  /** Since when the batch has made no progress (its submission or its last new status). */
  readonly sinceAt: string;
  /** The allowed time without progress: the p99 turnaround, or the floor. */
  readonly limitMs: number;
  /** Recorded batches the limit rests on; null when it is the floor (thin history). */
  readonly basisBatches: number | null;
  /** The earliest deadline among the members the rule looked at, where one applies. */
  readonly deadline: string | null;
}

interface StuckInput {
  readonly now: Date;
  readonly submittedAt: string;
  /** When the provider last reported a new status (null: not since submission). */
  readonly progressAt: string | null;
  /** When the provider will give up on the batch itself (its expiry), if known. */
  readonly providerExpiresAt: string | null;
  /** The earliest deadline of a member still waiting on the batch; null when none has one. */
  readonly earliestDeadline: string | null;
  readonly stats: TurnaroundStats | null;
}

/**
 * Whether a running batch is stuck:
 * - no progress (no new provider status since submission or the last one) for longer than its
 *   provider and model's p99 turnaround, or the configured floor while fewer than
 *   `minHistory` batches are recorded;
 * - or it will run past a member's deadline: with history, its p90 end (from submission) is
 *   later than the earliest member deadline and it has already run longer than its p50;
 *   without, its provider expiry is later and it has already made no progress for the floor.
 */
const stuckVerdictOf = (input: StuckInput, settings: StuckBatchSettings): StuckVerdict | null => {
  const now = input.now.getTime();
  const sinceAt = input.progressAt ?? input.submittedAt;
  const trusted = input.stats !== null && input.stats.batches >= settings.minHistory;
  const limitMs = trusted ? (input.stats?.p99Ms ?? settings.floorMs) : settings.floorMs;
  const basisBatches = trusted ? (input.stats?.batches ?? null) : null;
  if (now - Date.parse(sinceAt) > limitMs) {
    return {
      reason: 'no_progress',
      sinceAt,
      limitMs,
      basisBatches,
      deadline: input.earliestDeadline,
    };
  }
  if (input.earliestDeadline === null) return null;
  const deadline = Date.parse(input.earliestDeadline);
  const submitted = Date.parse(input.submittedAt);
  const stats = trusted ? input.stats : null;
  const likelyEnd =
    stats !== null
      ? submitted + stats.p90Ms
      : input.providerExpiresAt === null
        ? null
        : Date.parse(input.providerExpiresAt);
  const overdue =
    stats !== null
      ? now - submitted > stats.p50Ms
      : now - Date.parse(sinceAt) > Math.min(settings.floorMs, Math.max(0, deadline - now));
  if (likelyEnd !== null && likelyEnd > deadline && overdue) {
    return { reason: 'deadline', sinceAt, limitMs, basisBatches, deadline: input.earliestDeadline };
  }
  return null;
};

export {
  DEFAULT_STUCK_SETTINGS,
  isStartedStatus,
  policyOf,
  STUCK_POLICIES,
  type StuckBatchSettings,
  type StuckInput,
  type StuckPolicy,
  type StuckVerdict,
  stuckVerdictOf,
};
