import * as Anthropic from '@anthropic-ai/sdk';
import * as OpenAI from 'openai';
import type { ProviderName } from '../../contract/providers.js';
import {
  AuthError,
  BatchlaneError,
  type BatchlaneErrorOptions,
  InvalidInputError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from '../../domain/errors.js';

type SdkApiError = Anthropic.APIError | OpenAI.APIError;

/** Context worth logging with a provider error (never request or response content). */
interface ProviderErrorContext {
  readonly provider: ProviderName;
  /** What batchlane was doing, e.g. `batches.create`. */
  readonly operation: string;
}

const MAX_RETRY_AFTER_MS = 2 ** 31 - 1;

/**
 * How long the provider asked us to wait: `retry-after-ms` (milliseconds, takes precedence,
 * as in both SDKs), else `retry-after` in seconds or as an HTTP date. Null when absent or
 * not a sensible positive delay.
 */
const parseRetryAfterMs = (
  headers: Headers | undefined,
  now: number = Date.now(),
): number | null => {
  if (headers === undefined) return null;
  const sane = (ms: number): number | null =>
    Number.isFinite(ms) && ms > 0 && ms <= MAX_RETRY_AFTER_MS ? Math.ceil(ms) : null;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const parsed = sane(Number(ms));
    if (parsed !== null) return parsed;
  }
  const after = headers.get('retry-after');
  if (after === null || after.trim() === '') return null;
  const seconds = Number(after);
  if (!Number.isNaN(seconds)) return sane(seconds * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? null : sane(date - now);
};

const isSdkApiError = (error: unknown): error is SdkApiError =>
  error instanceof Anthropic.APIError || error instanceof OpenAI.APIError;

const isConnectionError = (error: unknown): boolean =>
  error instanceof Anthropic.APIConnectionError || error instanceof OpenAI.APIConnectionError;

const isTimeoutError = (error: unknown): boolean =>
  error instanceof Anthropic.APIConnectionTimeoutError ||
  error instanceof OpenAI.APIConnectionTimeoutError;

/** The provider's own error type/code, for logs and for telling billing errors apart. */
const providerErrorType = (error: SdkApiError): string | null => {
  if (error instanceof Anthropic.APIError) return error.type ?? null;
  return error.type ?? (typeof error.code === 'string' ? error.code : null);
};

/**
 * Translates an error thrown by either provider SDK into batchlane's error hierarchy, so
 * retry policy is decided by {@link BatchlaneError.retryable} and not by SDK class names.
 *
 * - 429 → {@link ThrottledError} with `retryAfterMs` from `retry-after-ms` / `retry-after`;
 *   except OpenAI's `insufficient_quota` 429, which is billing and does not pass with time.
 * - 408, 409, 5xx (incl. Anthropic 529 overloaded), connection errors, timeouts →
 *   {@link UnavailableError}.
 * - 400, 413, 422 (and other 4xx) → {@link InvalidInputError}.
 * - 401, 403, 402 (billing) → {@link AuthError}.
 * - 404 → {@link NotFoundError}.
 *
 * batchlane errors pass through unchanged; anything else becomes an {@link UnavailableError}
 * (unknown failures are retried, bounded by the caller's redrive policy).
 */
const translateProviderError = (error: unknown, context: ProviderErrorContext): BatchlaneError => {
  if (error instanceof BatchlaneError) return error;
  const base = { provider: context.provider, operation: context.operation };
  const message = `${context.provider} ${context.operation} failed: ${
    error instanceof Error ? error.message : String(error)
  }`;

  if (error instanceof Anthropic.APIUserAbortError || error instanceof OpenAI.APIUserAbortError) {
    return new UnavailableError(message, { code: 'aborted', cause: error, details: base });
  }
  if (isTimeoutError(error)) {
    return new UnavailableError(message, { code: 'timeout', cause: error, details: base });
  }
  if (isConnectionError(error)) {
    return new UnavailableError(message, { code: 'connection_error', cause: error, details: base });
  }
  if (!isSdkApiError(error) || error.status === undefined) {
    return new UnavailableError(message, {
      code: 'provider_error',
      cause: error,
      details: base,
    });
  }

  const status = error.status;
  const providerType = providerErrorType(error);
  const options: BatchlaneErrorOptions = {
    code: 'provider_error',
    cause: error,
    details: { ...base, status, providerType, requestId: error.requestID ?? null },
  };

  if (status === 429) {
    if (providerType === 'insufficient_quota') {
      return new AuthError(message, { ...options, code: 'insufficient_quota' });
    }
    return new ThrottledError(message, {
      ...options,
      code: 'rate_limited',
      retryAfterMs: parseRetryAfterMs(error.headers),
    });
  }
  if (status === 401) return new AuthError(message, { ...options, code: 'unauthorized' });
  if (status === 403) return new AuthError(message, { ...options, code: 'forbidden' });
  if (status === 402) return new AuthError(message, { ...options, code: 'billing' });
  if (status === 404) return new NotFoundError(message, { ...options, code: 'not_found' });
  if (status === 408) return new UnavailableError(message, { ...options, code: 'timeout' });
  // Both SDKs retry 409 themselves: the providers use it for transient conflicts.
  if (status === 409) return new UnavailableError(message, { ...options, code: 'conflict' });
  if (status === 529) return new UnavailableError(message, { ...options, code: 'overloaded' });
  if (status >= 500) return new UnavailableError(message, { ...options, code: 'unavailable' });
  if (status === 413) return new InvalidInputError(message, { ...options, code: 'too_large' });
  return new InvalidInputError(message, { ...options, code: 'invalid_request' });
};

export { type ProviderErrorContext, parseRetryAfterMs, translateProviderError };
