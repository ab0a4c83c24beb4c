/** How a retry loop spaces its tries. */
interface BackoffPolicy {
  /** The wait before the first retry; it doubles with each retry. */
  readonly baseMs: number;
  /** The longest wait. */
  readonly maxMs: number;
  /**
   * The fraction of each wait that is random, from 0 (none: the same wait every time) to 1
   * (full jitter: anywhere up to the wait). Jitter spreads the retries of many concurrent
   * callers instead of synchronising them.
   */
  readonly jitter: number;
}

/** The AWS SDK's advice for its own clients: full jitter. */
const FULL_JITTER = 1;
/** What the Anthropic and OpenAI SDKs do: take up to a quarter off the wait. */
const SDK_JITTER = 0.25;
/** The Anthropic and OpenAI SDKs' default backoff: 0.5 s doubling per retry, at most 8 s. */
const SDK_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 8000, jitter: SDK_JITTER };

/**
 * The wait before retry number `retry` (0 for the first retry): exponential, capped, less a
 * random share. Every retry loop in batchlane spaces its tries with this one formula.
 */
const backoffDelayMs = (retry: number, policy: BackoffPolicy): number =>
  Math.round(
    Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry)) *
      (1 - Math.random() * policy.jitter),
  );

/** The longest wait `setTimeout` can hold; a longer `Retry-After` is not a sensible delay. */
const MAX_RETRY_AFTER_MS = 2 ** 31 - 1;

/**
 * How long a server asked the client to wait, from a response's headers (read through `get`,
 * whatever the HTTP client): `retry-after-ms` (milliseconds; takes precedence, as in the
 * Anthropic and OpenAI SDKs), else `Retry-After` in seconds or as an HTTP date. Null when
 * absent or not a sensible positive delay.
 */
const parseRetryAfterMs = (
  get: (name: 'retry-after-ms' | 'retry-after') => string | null | undefined,
  now: number = Date.now(),
): number | null => {
  const sane = (ms: number): number | null =>
    Number.isFinite(ms) && ms > 0 && ms <= MAX_RETRY_AFTER_MS ? Math.ceil(ms) : null;
  const ms = get('retry-after-ms');
  if (ms != null && ms.trim() !== '') {
    const parsed = sane(Number(ms));
    if (parsed !== null) return parsed;
  }
  const after = get('retry-after');
  if (after == null || after.trim() === '') return null;
  const seconds = Number(after);
  if (!Number.isNaN(seconds)) return sane(seconds * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? null : sane(date - now);
};

export {
  type BackoffPolicy,
  backoffDelayMs,
  FULL_JITTER,
  parseRetryAfterMs,
  SDK_BACKOFF,
  SDK_JITTER,
};
