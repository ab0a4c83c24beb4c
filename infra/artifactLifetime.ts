import { type ProviderProfile, profileRunLimits } from '../shared/contract/providerProfile.js';
import {
  isBuiltInProvider,
  PROVIDER_LIMITS,
  type ProviderName,
} from '../shared/contract/providers.js';
import { BEDROCK_MAX_JOB_HOURS } from '../shared/domain/bedrockJobs.js';

/**
 * How long the working files of the artifacts bucket (`batches/`, `realtime/`, `claims/`, under
 * one rule: `artifactRetentionDays`) must live, worked out from the deployment's own settings.
 * A batch's part files and member sidecars are what completion routes each result by, and its
 * input file is what a retry batch and an escalation read back: if they expire while the batch
 * still lives, its results can no longer be delivered.
 */

/** Hours a provider's batch may run at most, for the providers whose window is fixed. */
const RUN_HOURS: Partial<Record<ProviderName, number>> = {
  // Anthropic ends a batch after 24 h; OpenAI's `completion_window` is `24h`.
  anthropic: 24,
  openai: 24,
  // Gemini's 24 h is a target: a batch is `EXPIRED` only after 48 h.
  gemini: 48,
  // The `timeout_hours` batchlane sends.
  mistral: 24,
  // `timeoutDurationInHours`, chosen from the members' deadlines, up to Bedrock's maximum.
  bedrock: BEDROCK_MAX_JOB_HOURS,
};

/** A month at its longest: a monthly budget holds work until the month turns. */
const MONTH_HOURS = 31 * 24;
const DAY_HOURS = 24;
/** The longest a `filling` batch below its provider's minimum waits for more requests. */
const BELOW_MINIMUM_WAIT_HOURS = 24;
/** DeepSeek's off-peak window opens at least once a day: a held call waits no longer. */
const OFF_PEAK_HOLD_HOURS = 24;

interface ArtifactLifetimeSettings {
  readonly enabledProviders: readonly ProviderName[];
  /**
   * Every provider profile: the built-in ones as the deployment's changes leave them, and the
   * deployment's own.
   */
  readonly profiles: Readonly<Record<string, ProviderProfile>>;
  readonly batchMaxAgeSeconds: number;
  readonly quotasSet: boolean;
  readonly budgetDailySet: boolean;
  readonly budgetMonthlySet: boolean;
  /** Longest lives of a message in each queue, dead-letter retention and one redrive included. */
  readonly intakeMessageHours: number;
  readonly completionMessageHours: number;
  readonly realtimeMessageHours: number;
}

/** One stretch of an artifact's life, with what in the settings makes it that long. */
interface LifetimeTerm {
  readonly what: string;
  readonly hours: number;
}

/** The life an artifact needs at most, as the sum of its terms. */
interface ArtifactLifetime {
  readonly prefix: string;
  readonly terms: readonly LifetimeTerm[];
  readonly hours: number;
}

/** The longest any enabled provider's batch may run, with the provider that sets it. */
const longestRun = (settings: ArtifactLifetimeSettings): LifetimeTerm => {
  const windows = profileRunLimits(settings.profiles).batchWindowMs;
  let longest: LifetimeTerm = { what: 'no batch provider enabled', hours: 0 };
  for (const provider of settings.enabledProviders) {
    const hours = Object.hasOwn(settings.profiles, provider)
      ? (windows[provider] ?? 0) / 3_600_000
      : (RUN_HOURS[provider] ?? 0);
    if (hours > longest.hours) {
      longest = { what: `${provider} batches run up to ${hours} h`, hours };
    }
  }
  return longest;
};

/**
 * How long admission may hold work back: a monthly budget until the month turns, a daily one
 * until the day does, a quota (or a provider's cap on jobs or enqueued tokens) until the
 * batches ahead end, at most one run.
 */
const longestHold = (settings: ArtifactLifetimeSettings, run: LifetimeTerm): LifetimeTerm => {
  if (settings.budgetMonthlySet)
    return { what: 'budgetMonthlyUsd holds up to 31 days', hours: MONTH_HOURS };
  const capped =
    settings.quotasSet ||
    settings.enabledProviders.some(
      (p) => p === 'bedrock' || (settings.profiles[p]?.limits.maxEnqueuedTokens ?? null) !== null,
    );
  const quotaHold: LifetimeTerm = capped
    ? { what: `a quota holds until the batches ahead end (${run.hours} h)`, hours: run.hours }
    : { what: 'no quota or budget holds', hours: 0 };
  if (settings.budgetDailySet && DAY_HOURS > quotaHold.hours) {
    return { what: 'budgetDailyUsd holds up to a day', hours: DAY_HOURS };
  }
  return quotaHold;
};

const lifetimeOf = (prefix: string, terms: readonly LifetimeTerm[]): ArtifactLifetime => ({
  prefix,
  terms: terms.filter((term) => term.hours > 0),
  hours: terms.reduce((sum, term) => sum + term.hours, 0),
});

/**
 * The longest each working prefix's objects are still read, from the deployment's settings:
 * - `batches/`: a batch fills (up to `batchMaxAgeSeconds`, or a day below its provider's
 *   minimum), may wait `open` while admission holds it (a retry batch over a budget or quota,
 *   a batch over a provider's job or token cap), runs at its provider (the longest window of
 *   the enabled providers, overruns and Bedrock's job timeout included; a stuck batch left
 *   alone ends there too), then is delivered: completion's retries, its dead-letter queue and
 *   one redrive bound how long a failing delivery can still be resumed. A retry batch writes
 *   its own input file when it is made, so a chain of retries never extends its parent's files.
 * - `realtime/`: a job may wait for the off-peak window, then live as long as a realtime
 *   message can (a redrive delivers the kept answer).
 * - `claims/`: read when the request is collected: as long as an intake message can live,
 *   plus what admission holds it (a held request is sent again with its claim check).
 */
const artifactLifetimes = (settings: ArtifactLifetimeSettings): readonly ArtifactLifetime[] => {
  const run = longestRun(settings);
  const hold = longestHold(settings, run);
  const belowMinimum = settings.enabledProviders.some(
    (p) => isBuiltInProvider(p) && PROVIDER_LIMITS[p].minRequests !== undefined,
  );
  const fillHours = Math.max(
    settings.batchMaxAgeSeconds / 3600,
    belowMinimum ? BELOW_MINIMUM_WAIT_HOURS : 0,
  );
  return [
    lifetimeOf('batches/', [
      {
        what: belowMinimum
          ? 'filling below the provider minimum up to a day'
          : 'filling up to batchMaxAgeSeconds',
        hours: fillHours,
      },
      hold,
      run,
      {
        what: `completion retries, dead-letter retention and a redrive (${Math.round(settings.completionMessageHours)} h)`,
        hours: settings.completionMessageHours,
      },
    ]),
    lifetimeOf('realtime/', [
      {
        what: 'a job waits for the off-peak window up to a day',
        hours: settings.enabledProviders.includes('deepseek') ? OFF_PEAK_HOLD_HOURS : 0,
      },
      {
        what: `a realtime job's retries, dead-letter retention and a redrive (${Math.round(settings.realtimeMessageHours)} h)`,
        hours: settings.realtimeMessageHours,
      },
    ]),
    lifetimeOf('claims/', [
      {
        what: `an intake message's retries, dead-letter retention and a redrive (${Math.round(settings.intakeMessageHours)} h)`,
        hours: settings.intakeMessageHours,
      },
      hold,
    ]),
  ];
};

/** Whole days the working files must be kept: the longest of the prefixes' lives, rounded up. */
const minimumArtifactRetention = (
  settings: ArtifactLifetimeSettings,
): { readonly days: number; readonly longest: ArtifactLifetime } => {
  const lifetimes = artifactLifetimes(settings);
  const longest = lifetimes.reduce((a, b) => (b.hours > a.hours ? b : a));
  return { days: Math.ceil(longest.hours / 24), longest };
};

/**
 * The retention the bucket gets: the configured one, which must cover the minimum (synthesis
 * fails otherwise, naming the setting, the minimum and why), or when unset the default raised
 * to the minimum.
 */
const artifactRetentionDaysFor = (
  configured: number | undefined,
  settings: ArtifactLifetimeSettings,
  defaultDays: number,
): number => {
  const { days, longest } = minimumArtifactRetention(settings);
  if (configured === undefined) return Math.max(defaultDays, days);
  if (configured >= days) return configured;
  const why = longest.terms.map((term) => term.what).join(' + ');
  throw new Error(
    `artifactRetentionDays is ${configured}, but objects under ${longest.prefix} must live ${days} days (${why}): set artifactRetentionDays to at least ${days}`,
  );
};

export {
  type ArtifactLifetime,
  type ArtifactLifetimeSettings,
  artifactLifetimes,
  artifactRetentionDaysFor,
  type LifetimeTerm,
  minimumArtifactRetention,
};
