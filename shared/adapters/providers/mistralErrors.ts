import type { ResultError } from '../../contract/result.js';
import { parseRetryAfterMs } from '../../domain/backoff.js';
import {
  AuthError,
  type BatchlaneError,
  type BatchlaneErrorOptions,
  InvalidInputError,
  ThrottledError,
  UnavailableError,
} from '../../domain/errors.js';
import { isJsonObject } from '../../domain/isJsonObject.js';
import { errorOfHttpStatus } from './httpStatusError.js';

/** What a Mistral error response says: its status, its `type`, its message, its wait. */
interface MistralErrorBody {
  readonly httpStatus: number;
  /** Mistral's `type` (`invalid_request_error`, `invalid_model`, …), or null when absent. */
  readonly type: string | null;
  readonly message: string;
  readonly retryAfterMs: number | null;
}

/**
 * The SDK's `MistralError` (and its `SDKError`, `HTTPValidationError`), recognised by its
 * shape: importing the SDK's error classes loads its whole model layer (seconds of start-up
 * under load), which every function would pay whether it talks to Mistral or not.
 */
interface MistralHttpError extends Error {
  readonly statusCode: number;
  readonly body: string;
  readonly headers: Headers;
  readonly rawResponse: Response;
}

const isMistralHttpError = (error: unknown): error is MistralHttpError =>
  error instanceof Error &&
  typeof (error as Partial<MistralHttpError>).statusCode === 'number' &&
  typeof (error as Partial<MistralHttpError>).body === 'string' &&
  (error as Partial<MistralHttpError>).headers instanceof Headers &&
  (error as Partial<MistralHttpError>).rawResponse instanceof Response;

/** The SDK's `HTTPClientError` subclasses, by their names (no HTTP answer was had). */
const clientErrorName = (
  error: unknown,
): 'ConnectionError' | 'RequestTimeoutError' | 'RequestAbortedError' | null => {
  if (!(error instanceof Error)) return null;
  const { name } = error;
  return name === 'ConnectionError' ||
    name === 'RequestTimeoutError' ||
    name === 'RequestAbortedError'
    ? name
    : null;
};

/**
 * The message of a 422 `{"detail":[{"loc","msg","type"}]}` (the SDK's `HTTPValidationError`):
 * each problem as `loc: msg`, so the caller sees which field it was.
 */
const detailMessage = (detail: unknown): string | null => {
  if (!Array.isArray(detail) || detail.length === 0) return null;
  return detail
    .map((item) => {
      if (!isJsonObject(item)) return String(item);
      const loc = Array.isArray(item.loc) ? item.loc.map(String).join('.') : '';
      const msg = typeof item.msg === 'string' ? item.msg : JSON.stringify(item);
      return loc === '' ? msg : `${loc}: ${msg}`;
    })
    .join('; ');
};

/**
 * The error a Mistral call failed with, read from the SDK's `MistralError` (and its
 * subclasses `SDKError` and `HTTPValidationError`), whose `body` is the raw response text:
 * Mistral's envelope `{"object":"error","message","type","param","code"}`, a 422's
 * `{"detail":[…]}`, or a bare `{"message"}`. Null for any other error.
 */
const mistralErrorOf = (error: unknown): MistralErrorBody | null => {
  if (!isMistralHttpError(error)) return null;
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(error.body);
    if (isJsonObject(value)) parsed = value;
  } catch {
    // Not JSON (a proxy's page): the status alone decides.
  }
  const message =
    typeof parsed.message === 'string'
      ? parsed.message
      : (detailMessage(parsed.detail) ?? `HTTP ${error.statusCode}`);
  return {
    httpStatus: error.statusCode,
    type: typeof parsed.type === 'string' ? parsed.type : null,
    message,
    retryAfterMs: parseRetryAfterMs((name) => error.headers.get(name)),
  };
};

/** The codes the SDK itself retries when given a retry config: 429, 500, 502, 503, 504. */
const RETRYABLE_HTTP_STATUSES: readonly number[] = [408, 429, 500, 502, 503, 504];

/**
 * Whether the same Mistral call may succeed later, and after how long: connection failures
 * and timeouts may; an abort never does; otherwise what the SDK's retry codes say.
 */
const mistralRetryAdvice = (
  error: unknown,
): { readonly retry: boolean; readonly afterMs: number | null } | null => {
  const clientError = clientErrorName(error);
  if (clientError === 'RequestAbortedError') return { retry: false, afterMs: null };
  if (clientError !== null) return { retry: true, afterMs: null };
  const body = mistralErrorOf(error);
  if (body === null) return null;
  return {
    retry: RETRYABLE_HTTP_STATUSES.includes(body.httpStatus) || body.httpStatus >= 500,
    afterMs: body.retryAfterMs,
  };
};

/**
 * Mistral's refusal of the request itself (400, 413, 422, or 404 naming the model) as a
 * result error with Mistral's own type and message; null when the error is not the
 * request's fault (auth, throttling, outages, a wrong base URL).
 */
const mistralRequestFault = (error: unknown): ResultError | null => {
  const body = mistralErrorOf(error);
  if (body === null) return null;
  const status = body.httpStatus;
  const refused =
    status === 400 || status === 413 || status === 422 || (status === 404 && body.type !== null);
  if (!refused) return null;
  // A 422 is FastAPI's validation of the body, with no `type`: the request is invalid.
  const type = body.type ?? (status === 422 ? 'invalid_request_error' : `http_${status}`);
  return { type, message: body.message };
};

/**
 * A Mistral SDK error as batchlane's error: 401 and 403 auth; 429 throttled (with its
 * `retry-after`); 408 and 5xx, connection failures and timeouts unavailable; 404 not found;
 * 409 conflict (not retried: the job's state refuses the call); other 4xx invalid input.
 * Null when the error is not the Mistral SDK's. The SDK's client errors are known by name
 * only, so they are read as Mistral's only on Mistral's calls.
 */
const translateMistralError = (
  error: unknown,
  base: { readonly provider: string; readonly operation: string },
): BatchlaneError | null => {
  if (base.provider !== 'mistral' && !isMistralHttpError(error)) return null;
  const clientError = clientErrorName(error);
  if (clientError === null && !isMistralHttpError(error)) return null;
  const reason = error instanceof Error ? error.message : String(error);
  if (clientError === 'RequestAbortedError') {
    return new UnavailableError(`${base.provider} ${base.operation} aborted: ${reason}`, {
      code: 'aborted',
      cause: error,
      details: base,
    });
  }
  if (clientError === 'RequestTimeoutError') {
    return new UnavailableError(`${base.provider} ${base.operation} timed out: ${reason}`, {
      code: 'timeout',
      cause: error,
      details: base,
    });
  }
  const body = mistralErrorOf(error);
  if (body === null) {
    return new UnavailableError(`${base.provider} ${base.operation} failed: ${reason}`, {
      code: 'connection_error',
      cause: error,
      details: base,
    });
  }
  const message = `${base.provider} ${base.operation} failed: ${body.httpStatus} ${body.type ?? ''} ${body.message}`;
  const options: BatchlaneErrorOptions = {
    code: 'provider_error',
    cause: error,
    details: { ...base, status: body.httpStatus, providerType: body.type },
  };
  const status = body.httpStatus;
  if (status === 429) {
    return new ThrottledError(message, {
      ...options,
      code: 'rate_limited',
      retryAfterMs: body.retryAfterMs,
    });
  }
  if (status === 402) return new AuthError(message, { ...options, code: 'billing' });
  if (status === 409) return new InvalidInputError(message, { ...options, code: 'conflict' });
  return errorOfHttpStatus(status, message, options);
};

export {
  type MistralErrorBody,
  mistralErrorOf,
  mistralRequestFault,
  mistralRetryAdvice,
  translateMistralError,
};
