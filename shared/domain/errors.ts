/**
 * batchlane's one error hierarchy. Adapters translate vendor errors (AWS SDK exceptions,
 * provider HTTP errors) into these at the boundary, so retry policy is decided in one place,
 * {@link isRetryable}, and never by matching message strings.
 */
interface BatchlaneErrorOptions extends ErrorOptions {
  /** Short machine-readable code, e.g. `rate_limited`, `not_found`. */
  code: string;
  /** Structured context worth logging (never prompt or response content). */
  details?: Record<string, unknown>;
}

abstract class BatchlaneError extends Error {
  /** Whether the same call may succeed if tried again later. */
  abstract readonly retryable: boolean;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(message: string, options: BatchlaneErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.details = options.details ?? {};
  }
}

/** The other side asked us to slow down (HTTP 429, SQS/DynamoDB throttling). */
class ThrottledError extends BatchlaneError {
  readonly retryable = true;
  /** How long the other side asked us to wait, when it said. */
  readonly retryAfterMs: number | null;
  constructor(message: string, options: BatchlaneErrorOptions & { retryAfterMs?: number | null }) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** A transient failure: 5xx, overloaded, connection reset, timeout. */
class UnavailableError extends BatchlaneError {
  readonly retryable = true;
}

/** The input can never succeed as sent (400, schema violation, limit exceeded). */
class InvalidInputError extends BatchlaneError {
  readonly retryable = false;
}

/** Credentials missing, wrong or not allowed (401/403). Retrying will not help until fixed. */
class AuthError extends BatchlaneError {
  readonly retryable = false;
}

/** The thing asked for does not exist (404). */
class NotFoundError extends BatchlaneError {
  readonly retryable = false;
}

/**
 * The code of a {@link NotFoundError} an adapter raises when a provider confirms that a batch's
 * results are gone for good (kept past the provider's retention, or deleted): not a 404 that
 * may pass (a provider's propagation delay), but the provider's own word that they no longer
 * exist. No retry brings them back.
 */
const PROVIDER_RESULTS_GONE = 'provider_results_gone';

/**
 * A conditional write lost a race or found state it did not expect. Not retryable as is:
 * the caller must re-read and decide.
 */
class ConflictError extends BatchlaneError {
  readonly retryable = false;
}

/** Configuration is missing or malformed: fail loudly at start-up. */
class ConfigError extends BatchlaneError {
  readonly retryable = false;
}

/**
 * Whether an error may succeed on a later try. Errors batchlane does not recognise count as
 * retryable: retrying (bounded by SQS redrive into a DLQ) loses nothing, dropping would.
 */
const isRetryable = (error: unknown): boolean =>
  error instanceof BatchlaneError ? error.retryable : true;

/** A message safe to log or put on a result. */
const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

export {
  AuthError,
  BatchlaneError,
  type BatchlaneErrorOptions,
  ConfigError,
  ConflictError,
  errorMessage,
  InvalidInputError,
  isRetryable,
  NotFoundError,
  PROVIDER_RESULTS_GONE,
  ThrottledError,
  UnavailableError,
};
