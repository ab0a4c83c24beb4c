import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderName } from '../../contract/providers.js';
import { backoffDelayMs, SDK_BACKOFF } from '../../domain/backoff.js';
import { InvalidInputError, UnavailableError } from '../../domain/errors.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
} from '../../ports/RealtimeProvider.js';
import {
  isFlexCapacityError,
  requestFaultOf,
  retryAdviceFor,
  translateProviderError,
} from './translateProviderError.js';

/**
 * Client-side retries of one realtime call. The SDKs' own retries are switched off for these
 * calls (`maxRetries: 0`) so that a flex refusal is not retried blindly inside each of ours,
 * every HTTP request is counted, and every wait is checked against the call's deadline.
 */
interface RealtimeRetryOptions {
  /** Retries of what the SDKs retry (429, 408, 409, 5xx, 529, connection, timeout). Default 2. */
  readonly maxRetries?: number;
  /** Retries of a flex 429 `resource_unavailable` (not billed). Default 5. */
  readonly flexMaxRetries?: number;
  /** First backoff delay when the provider names none; doubles per retry. Default 500. */
  readonly initialDelayMs?: number;
  /** Longest backoff delay. Default 8000, as the SDKs. */
  readonly maxDelayMs?: number;
  /**
   * A provider-asked wait longer than this is not slept through: the call gives up with the
   * error's `retryAfterMs` so the caller can put the request back. Default 60 s.
   */
  readonly maxWaitMs?: number;
}

const DEFAULT_REALTIME_RETRY: Required<RealtimeRetryOptions> = {
  maxRetries: 2,
  flexMaxRetries: 5,
  initialDelayMs: SDK_BACKOFF.baseMs,
  maxDelayMs: SDK_BACKOFF.maxMs,
  maxWaitMs: 60_000,
};

/** Exponential backoff with up to 25 % jitter, as the SDKs compute it. */
const backoffMs = (retry: number, policy: Required<RealtimeRetryOptions>): number =>
  backoffDelayMs(retry, {
    baseMs: policy.initialDelayMs,
    maxMs: policy.maxDelayMs,
    jitter: SDK_BACKOFF.jitter,
  });

/** An outcome the provider gave for the request itself (its fault): delivered, not retried. */
const erroredOutcome = (
  error: { type: string; message: string },
  model: string | null,
  httpAttempts: number,
): RealtimeOutcome => ({
  status: 'errored',
  response: null,
  error,
  retryable: false,
  model,
  serviceTier: null,
  httpAttempts,
});

/** What a realtime adapter is tuned with besides its client. */
interface RealtimeSettings {
  /** Timeout of one standard-tier try (default 10 min, the SDKs'). */
  readonly timeoutMs?: number;
  readonly retry?: RealtimeRetryOptions;
}

/** A realtime adapter's settings with their defaults filled in. */
interface RealtimeTries {
  readonly timeoutMs: number;
  readonly policy: Required<RealtimeRetryOptions>;
}

/** How long one realtime try may take by default (the SDKs' own default). */
const DEFAULT_REALTIME_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * How long one flex try may take: OpenAI advises raising the client timeout to 15 minutes for
 * flex, and Gemini's Flex tier targets answers within 1 to 15 minutes.
 */
const FLEX_TIMEOUT_MS = 15 * 60 * 1000;

const realtimeTries = (settings: RealtimeSettings): RealtimeTries => ({
  timeoutMs: settings.timeoutMs ?? DEFAULT_REALTIME_TIMEOUT_MS,
  policy: { ...DEFAULT_REALTIME_RETRY, ...settings.retry },
});

interface RetriedCall {
  readonly provider: ProviderName;
  readonly operation: string;
  readonly tries: RealtimeTries;
  /** The port's call: its deadline bounds every try and every wait. */
  readonly call: Pick<RealtimeCall, 'deadline'>;
  /** A flex try: it may take up to 15 minutes, whatever the tries' own timeout. */
  readonly flex?: boolean;
  readonly askedModel: string | null;
  /** The caller's invoke options: its signal aborts a wait between tries. */
  readonly options: RealtimeInvokeOptions;
  /** Makes one try (the SDK call) and turns its answer into an outcome. */
  send(attempt: number, timeoutMs: number): Promise<RealtimeOutcome>;
}

/**
 * Makes a synchronous provider call with the project's retry policy: the request's own faults
 * (400, 404 model, 413, 422) become an `errored` outcome at once; what the SDKs would retry
 * is retried with backoff (the provider's `retry-after` first), flex capacity refusals on
 * their own budget; nothing waits past the deadline. What still fails is thrown as the
 * project's error, retryable or not.
 */
const callWithRetries = async (call: RetriedCall): Promise<RealtimeOutcome> => {
  const { provider, operation } = call;
  const policy = call.tries.policy;
  const deadline = call.call.deadline?.getTime() ?? null;
  const tryTimeoutMs = call.flex === true ? FLEX_TIMEOUT_MS : call.tries.timeoutMs;
  const signal = call.options.signal;
  const context = { provider, operation };
  let retries = 0;
  let flexRetries = 0;
  for (let attempt = 0; ; attempt += 1) {
    const remainingMs = deadline === null ? Number.POSITIVE_INFINITY : deadline - Date.now();
    if (remainingMs <= 0) {
      throw new UnavailableError(
        `${provider} ${operation}: the call's deadline passed before it was served`,
        { code: 'deadline_exceeded', details: { provider, operation, httpAttempts: attempt } },
      );
    }
    try {
      return await call.send(attempt, Math.max(1, Math.floor(Math.min(tryTimeoutMs, remainingMs))));
    } catch (error) {
      const fault = requestFaultOf(error);
      if (fault !== null) return erroredOutcome(fault, call.askedModel, attempt + 1);
      const translated = translateProviderError(error, context);
      const advice = retryAdviceFor(error);
      const capacity = isFlexCapacityError(error);
      const budgetLeft = capacity
        ? flexRetries < policy.flexMaxRetries
        : retries < policy.maxRetries;
      if (!advice.retry || !budgetLeft) throw translated;
      const waitMs = advice.afterMs ?? backoffMs(capacity ? flexRetries : retries, policy);
      // Waking up at or past the deadline (or after a wait the caller would rather spend
      // elsewhere) helps nobody: give up now with the provider's own error.
      if (waitMs > policy.maxWaitMs || Date.now() + waitMs >= (deadline ?? Infinity)) {
        throw translated;
      }
      if (capacity) flexRetries += 1;
      else retries += 1;
      try {
        await sleep(waitMs, undefined, signal === undefined ? {} : { signal });
      } catch (abort) {
        throw new UnavailableError(`${provider} ${operation} aborted`, {
          code: 'aborted',
          cause: abort,
          details: { provider, operation },
        });
      }
    }
  }
};

/** The answer of a served call, as every realtime adapter reports it. */
const succeededOutcome = (answer: {
  readonly response: unknown;
  readonly model: string | null;
  readonly serviceTier: string | null;
  readonly httpAttempts: number;
}): RealtimeOutcome => ({ status: 'succeeded', error: null, retryable: false, ...answer });

/**
 * Our retries are retries too: the header the SDKs send on their own retries tells the
 * provider (and the simulator) which try this is.
 */
const retryCountHeader = (attempt: number): { 'x-stainless-retry-count': string } => ({
  'x-stainless-retry-count': String(attempt),
});

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** What every provider's SDK client is made with for realtime calls (see the retry note above). */
const realtimeClientOptions = (options: {
  readonly apiKey: string;
  readonly baseUrl?: string | null;
}): { apiKey: string; baseURL?: string; maxRetries: 0 } => ({
  apiKey: options.apiKey,
  ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
  maxRetries: 0,
});

/** A call to an endpoint the provider serves no realtime answer for: the caller's fault. */
const unsupportedRealtimeEndpoint = (provider: ProviderName, endpoint: string): InvalidInputError =>
  new InvalidInputError(`provider ${provider} has no realtime endpoint ${endpoint}`, {
    code: 'unsupported_endpoint',
    details: { provider, endpoint },
  });

/** batchlane never streams: a streaming body is answered `errored`, without a call. */
const streamingRefusal = (
  body: Readonly<Record<string, unknown>>,
  askedModel: string | null,
): RealtimeOutcome | null =>
  body.stream === true
    ? erroredOutcome(
        { type: 'invalid_request_error', message: 'stream: batchlane never streams' },
        askedModel,
        0,
      )
    : null;

/**
 * How a realtime provider gets its SDK client: built from a key and an optional base URL
 * (what the SDK's base URL option takes; null or absent: the provider's own), or handed over
 * ready (tests, shared clients), never both.
 */
type RealtimeClientChoice<Client> =
  | { readonly apiKey: string; readonly baseUrl?: string | null; readonly client?: never }
  | { readonly client: Client; readonly apiKey?: never; readonly baseUrl?: never };

export {
  callWithRetries,
  DEFAULT_REALTIME_RETRY,
  DEFAULT_REALTIME_TIMEOUT_MS,
  erroredOutcome,
  type RealtimeClientChoice,
  type RealtimeRetryOptions,
  type RealtimeSettings,
  type RealtimeTries,
  type RetriedCall,
  realtimeClientOptions,
  realtimeTries,
  retryCountHeader,
  streamingRefusal,
  stringOrNull,
  succeededOutcome,
  unsupportedRealtimeEndpoint,
};
