import * as Anthropic from '@anthropic-ai/sdk';
import * as OpenAI from 'openai';
import type { ProviderName } from '../../contract/providers.js';
import type { ResultError } from '../../contract/result.js';
import { parseRetryAfterMs } from '../../domain/backoff.js';
import {
  AuthError,
  BatchlaneError,
  type BatchlaneErrorOptions,
  InvalidInputError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from '../../domain/errors.js';
import {
  geminiErrorOf,
  geminiRequestFault,
  isRetryableGeminiError,
  translateGeminiError,
} from './geminiErrors.js';
import { errorOfHttpStatus } from './httpStatusError.js';
import { mistralRequestFault, mistralRetryAdvice, translateMistralError } from './mistralErrors.js';

type SdkApiError = Anthropic.APIError | OpenAI.APIError;

/** Context worth logging with a provider error (never request or response content). */
interface ProviderErrorContext {
  readonly provider: ProviderName;
  /** What batchlane was doing, e.g. `batches.create`. */
  readonly operation: string;
}

/** The wait an SDK error's response asked for (see {@link parseRetryAfterMs}). */
const retryAfterMsOf = (headers: Headers | undefined): number | null =>
  headers === undefined ? null : parseRetryAfterMs((name) => headers.get(name));

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
 * OpenAI's answer to a flex request when flex capacity is short: 429 with code
 * `resource_unavailable`. Not billed, and worth retrying later (or at the default tier).
 */
const isFlexCapacityError = (error: unknown): boolean =>
  error instanceof OpenAI.APIError && error.status === 429 && error.code === 'resource_unavailable';

/** What an SDK error says about trying the same call again, read as the SDKs read it. */
interface RetryAdvice {
  /** The SDKs would retry: `x-should-retry: true`, or 408, 409, 429, 5xx, connection, timeout. */
  readonly retry: boolean;
  /** The wait the provider asked for (`retry-after-ms` / `retry-after`), when it said. */
  readonly afterMs: number | null;
}

/**
 * The SDKs' own retry rule (see their `shouldRetry`), for callers that run the SDK with
 * `maxRetries: 0` and retry themselves: a server's `x-should-retry` is obeyed either way,
 * then 408, 409, 429 and ≥ 500 are retried, as are connection failures and timeouts. A user
 * abort never is.
 */
const retryAdviceFor = (error: unknown): RetryAdvice => {
  // Gemini errors carry no retry-after; `@google/genai` retries by status alone.
  if (geminiErrorOf(error) !== null) return { retry: isRetryableGeminiError(error), afterMs: null };
  const mistral = mistralRetryAdvice(error);
  if (mistral !== null) return mistral;
  if (error instanceof Anthropic.APIUserAbortError || error instanceof OpenAI.APIUserAbortError) {
    return { retry: false, afterMs: null };
  }
  if (isConnectionError(error)) return { retry: true, afterMs: null };
  if (!isSdkApiError(error) || error.status === undefined) return { retry: false, afterMs: null };
  const afterMs = retryAfterMsOf(error.headers);
  const header = error.headers?.get('x-should-retry');
  if (header === 'true') return { retry: true, afterMs };
  if (header === 'false') return { retry: false, afterMs };
  const status = error.status;
  const retry = status === 408 || status === 409 || status === 429 || status >= 500;
  return { retry, afterMs };
};

/**
 * The provider's refusal of the request itself (400, 413, 422, or 404 for an unknown model),
 * as a result error `{type, message}` with the provider's own type and message; null when
 * the error is not the request's fault (auth, throttling, outages, a wrong base URL).
 * Types follow the batch results: Anthropic's `error.type`; OpenAI's `type`, else `code`.
 */
const requestFaultOf = (error: unknown): ResultError | null => {
  if (geminiErrorOf(error) !== null) return geminiRequestFault(error);
  const mistral = mistralRequestFault(error);
  if (mistral !== null) return mistral;
  if (!isSdkApiError(error) || error.status === undefined) return null;
  const status = error.status;
  if (error instanceof Anthropic.APIError) {
    // A 404 in Anthropic's own envelope on the Messages endpoint is about something the
    // request names (its model); a bare 404 comes from something else at that base URL.
    const refused =
      status === 400 || status === 413 || status === 422 || (status === 404 && error.type !== null);
    if (!refused) return null;
    const type = error.type ?? `http_${status}`;
    return { type, message: error.apiMessage ?? error.message };
  }
  const refused =
    status === 400 ||
    status === 413 ||
    status === 422 ||
    (status === 404 && (error.code === 'model_not_found' || error.param === 'model'));
  if (!refused) return null;
  const inner = error.error as { message?: unknown } | undefined;
  const type = error.type ?? (typeof error.code === 'string' ? error.code : `http_${status}`);
  return { type, message: typeof inner?.message === 'string' ? inner.message : error.message };
};

/**
 * Translates an error thrown by either provider SDK into batchlane's error hierarchy, so
 * retry policy is decided by {@link BatchlaneError.retryable} and not by SDK class names.
 *
 * - 429 → {@link ThrottledError} with `retryAfterMs` from `retry-after-ms` / `retry-after`
 *   (code `resource_unavailable` for OpenAI's flex capacity 429, `rate_limited` otherwise);
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
  const gemini = translateGeminiError(error, base);
  if (gemini !== null) return gemini;
  const mistral = translateMistralError(error, base);
  if (mistral !== null) return mistral;
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
    if (isFlexCapacityError(error)) {
      return new ThrottledError(message, {
        ...options,
        code: 'resource_unavailable',
        retryAfterMs: retryAfterMsOf(error.headers),
      });
    }
    return new ThrottledError(message, {
      ...options,
      code: 'rate_limited',
      retryAfterMs: retryAfterMsOf(error.headers),
    });
  }
  if (status === 402) return new AuthError(message, { ...options, code: 'billing' });
  // Both SDKs retry 409 themselves: the providers use it for transient conflicts.
  if (status === 409) return new UnavailableError(message, { ...options, code: 'conflict' });
  if (status === 529) return new UnavailableError(message, { ...options, code: 'overloaded' });
  return errorOfHttpStatus(status, message, options);
};

export {
  isFlexCapacityError,
  type ProviderErrorContext,
  type RetryAdvice,
  requestFaultOf,
  retryAdviceFor,
  translateProviderError,
};
