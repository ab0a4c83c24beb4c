import { ApiError } from '@google/genai';
import type { ResultError } from '../../contract/result.js';
import {
  AuthError,
  type BatchlaneError,
  type BatchlaneErrorOptions,
  InvalidInputError,
  ThrottledError,
} from '../../domain/errors.js';
import { isJsonObject } from '../../domain/isJsonObject.js';
import { errorOfHttpStatus } from './httpStatusError.js';

/** What a Gemini error says: the HTTP status and the `google.rpc` status name and message. */
interface GeminiErrorBody {
  readonly httpStatus: number;
  /** `INVALID_ARGUMENT`, `RESOURCE_EXHAUSTED`, …; null when the body did not say. */
  readonly status: string | null;
  /** The `google.rpc.ErrorInfo` reason in `details`, e.g. `API_KEY_INVALID`. */
  readonly reason: string | null;
  readonly message: string;
}

/**
 * The error a Gemini call failed with, read from the SDK's `ApiError` (whose message is the
 * JSON error body `{error:{code,message,status}}`); null for any other error.
 */
const geminiErrorOf = (error: unknown): GeminiErrorBody | null => {
  if (!(error instanceof ApiError)) return null;
  let inner: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(error.message);
    if (isJsonObject(parsed) && isJsonObject(parsed.error)) inner = parsed.error;
  } catch {
    // Not JSON (a proxy's page): the status alone decides.
  }
  const details = Array.isArray(inner.details) ? inner.details : [];
  const info = details.find((item) => isJsonObject(item) && typeof item.reason === 'string');
  return {
    httpStatus: error.status,
    status: typeof inner.status === 'string' ? inner.status : null,
    reason: isJsonObject(info) && typeof info.reason === 'string' ? info.reason : null,
    message: typeof inner.message === 'string' ? inner.message : error.message,
  };
};

/** Statuses `@google/genai` itself retries when retries are on (its `retryOptions` default). */
const RETRYABLE_HTTP_STATUSES: readonly number[] = [408, 429, 500, 502, 503, 504];

/** Whether the same Gemini call may succeed later; connection failures (no status) may. */
const isRetryableGeminiError = (error: unknown): boolean => {
  const body = geminiErrorOf(error);
  if (body === null) return !(error instanceof Error && error.name === 'AbortError');
  return RETRYABLE_HTTP_STATUSES.includes(body.httpStatus);
};

/**
 * Gemini's refusal of the request itself (400 `INVALID_ARGUMENT` or `FAILED_PRECONDITION`,
 * 413, or 404 for the model the request names) as a result error with Gemini's own status
 * name and message; null when the error is not the request's fault.
 */
const geminiRequestFault = (error: unknown): ResultError | null => {
  const body = geminiErrorOf(error);
  if (body === null || body.reason === 'API_KEY_INVALID') return null;
  const refused = body.httpStatus === 400 || body.httpStatus === 413 || body.httpStatus === 404;
  if (!refused) return null;
  return { type: body.status ?? `http_${body.httpStatus}`, message: body.message };
};

/**
 * A Gemini SDK error as batchlane's error: a key Gemini does not accept (400 with reason
 * `API_KEY_INVALID`), 401 and 403 auth; 429 throttled; 408 and 5xx unavailable; 404 not
 * found; 409 conflict (a file name already taken: not retryable as is);
 * other 4xx invalid input. Null when the error is not a Gemini API error.
 */
const translateGeminiError = (
  error: unknown,
  base: { readonly provider: string; readonly operation: string },
): BatchlaneError | null => {
  const body = geminiErrorOf(error);
  if (body === null) return null;
  const message = `${base.provider} ${base.operation} failed: ${body.httpStatus} ${body.status ?? ''} ${body.message}`;
  const options: BatchlaneErrorOptions = {
    code: 'provider_error',
    cause: error,
    details: { ...base, status: body.httpStatus, providerType: body.status },
  };
  const status = body.httpStatus;
  // Gemini answers a wrong key with 400 INVALID_ARGUMENT; its reason says what it is.
  if (body.reason === 'API_KEY_INVALID') {
    return new AuthError(message, { ...options, code: 'unauthorized' });
  }
  if (status === 429) return new ThrottledError(message, { ...options, code: 'rate_limited' });
  // Gemini's 409 is a request that conflicts with the resource's state: sending it again won't help.
  if (status === 409) return new InvalidInputError(message, { ...options, code: 'conflict' });
  return errorOfHttpStatus(status, message, options);
};

export {
  type GeminiErrorBody,
  geminiErrorOf,
  geminiRequestFault,
  isRetryableGeminiError,
  translateGeminiError,
};
