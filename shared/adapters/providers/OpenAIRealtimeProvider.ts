import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { PROVIDER_ENDPOINTS, type ProviderName } from '../../contract/providers.js';
import { InvalidInputError, UnavailableError } from '../../domain/errors.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
  RealtimeProvider,
} from '../../ports/RealtimeProvider.js';
import {
  isFlexCapacityError,
  requestFaultOf,
  retryAdviceFor,
  translateProviderError,
} from './translateProviderError.js';

/**
 * Client-side retries of one realtime call. The SDK's own retries are switched off for these
 * calls (`maxRetries: 0`) so that a flex refusal is not retried blindly inside each of ours,
 * every HTTP request is counted, and every wait is checked against the call's deadline.
 */
interface RealtimeRetryOptions {
  /** Retries of what the SDKs retry (429, 408, 409, 5xx, connection, timeout). Default 2. */
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

interface OpenAIRealtimeSettings {
  /** Timeout of one standard-tier try (default 10 min, the SDK's); flex tries get 15 min. */
  readonly timeoutMs?: number;
  readonly retry?: RealtimeRetryOptions;
}

/** How to build the SDK client, or the client itself (tests, shared clients), never both. */
type OpenAIRealtimeProviderOptions = OpenAIRealtimeSettings &
  (
    | {
        readonly apiKey: string;
        /** Including `/v1`, e.g. `http://127.0.0.1:8080/v1`. Null or absent: the SDK default. */
        readonly baseUrl?: string | null;
        readonly client?: never;
      }
    | { readonly client: OpenAI; readonly apiKey?: never; readonly baseUrl?: never }
  );

type OpenAIEndpoint = (typeof PROVIDER_ENDPOINTS.openai)[number];

/** OpenAI's advice for flex: raise the client timeout from the SDK's 10 minutes to 15. */
const FLEX_TIMEOUT_MS = 15 * 60 * 1000;
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
const EMBEDDINGS: OpenAIEndpoint = '/v1/embeddings';

const DEFAULT_RETRY: Required<RealtimeRetryOptions> = {
  maxRetries: 2,
  flexMaxRetries: 5,
  initialDelayMs: 500,
  maxDelayMs: 8000,
  maxWaitMs: 60_000,
};

const isOpenAIEndpoint = (endpoint: string): endpoint is OpenAIEndpoint =>
  (PROVIDER_ENDPOINTS.openai as readonly string[]).includes(endpoint);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Exponential backoff with up to 25 % jitter, as the SDKs compute it. */
const backoffMs = (retry: number, policy: Required<RealtimeRetryOptions>): number =>
  Math.min(policy.initialDelayMs * 2 ** retry, policy.maxDelayMs) * (1 - Math.random() * 0.25);

/**
 * OpenAI's synchronous Chat Completions, Responses and Embeddings through the `openai` SDK.
 * Lane `flex` asks for `service_tier: "flex"` with a 15-minute timeout and retries the flex
 * capacity 429 (`resource_unavailable`) with backoff; lane `realtime` sends the body as is.
 *
 * @example
 * ```ts
 * const openai = new OpenAIRealtimeProvider({ apiKey, baseUrl: sim.openaiBaseUrl });
 * const outcome = await openai.invoke({
 *   endpoint: '/v1/responses',
 *   body: { model: 'gpt-5-mini', input: 'Summarise: …' },
 *   lane: 'flex',
 *   deadline: new Date(Date.now() + 30 * 60_000),
 * });
 * ```
 */
class OpenAIRealtimeProvider implements RealtimeProvider {
  readonly name: ProviderName = 'openai';
  readonly supportsFlex = true;
  readonly #client: OpenAI;
  readonly #timeoutMs: number;
  readonly #retry: Required<RealtimeRetryOptions>;

  constructor(options: OpenAIRealtimeProviderOptions) {
    this.#client =
      options.client ??
      new OpenAI({
        apiKey: options.apiKey,
        ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
        maxRetries: 0,
      });
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  async invoke(call: RealtimeCall, options: RealtimeInvokeOptions = {}): Promise<RealtimeOutcome> {
    const endpoint = call.endpoint;
    if (!isOpenAIEndpoint(endpoint)) {
      throw new InvalidInputError(`OpenAI has no realtime endpoint ${endpoint}`, {
        code: 'unsupported_endpoint',
        details: { provider: 'openai', endpoint },
      });
    }
    const askedModel = stringOrNull(call.body.model);
    if (call.body.stream === true) {
      return errored(
        { type: 'invalid_request_error', message: 'stream: batchlane never streams' },
        askedModel,
        0,
      );
    }
    // Embeddings have no service tier (the endpoint takes no `service_tier`): a flex call on
    // embeddings is sent without one and served, and billed, at the default tier.
    const flex = call.lane === 'flex' && endpoint !== EMBEDDINGS;
    const body = flex ? { ...call.body, service_tier: 'flex' } : call.body;
    const tryTimeoutMs = flex ? FLEX_TIMEOUT_MS : this.#timeoutMs;
    const deadline = call.deadline?.getTime() ?? null;
    const context = { provider: 'openai', operation: endpoint } as const;
    let retries = 0;
    let flexRetries = 0;
    for (let attempt = 0; ; attempt += 1) {
      const remainingMs = deadline === null ? Number.POSITIVE_INFINITY : deadline - Date.now();
      if (remainingMs <= 0) throw deadlineExceeded(endpoint, attempt);
      try {
        // `post` rather than the typed resource methods: those rewrite embeddings requests
        // (base64 encoding) and add fields to Responses objects; batchlane sends the body as
        // the producer wrote it and delivers the provider's own object.
        const response = await this.#client.post<unknown>(endpoint.slice('/v1'.length), {
          body,
          maxRetries: 0,
          timeout: Math.max(1, Math.floor(Math.min(tryTimeoutMs, remainingMs))),
          signal: options.signal ?? null,
          // Our retries are retries too: the header tells the provider (and the simulator).
          headers: { 'x-stainless-retry-count': String(attempt) },
        });
        return succeeded(response, endpoint, askedModel, attempt + 1);
      } catch (error) {
        const fault = requestFaultOf(error);
        if (fault !== null) return errored(fault, askedModel, attempt + 1);
        const translated = translateProviderError(error, context);
        const advice = retryAdviceFor(error);
        const capacity = isFlexCapacityError(error);
        const budgetLeft = capacity
          ? flexRetries < this.#retry.flexMaxRetries
          : retries < this.#retry.maxRetries;
        if (!advice.retry || !budgetLeft) throw translated;
        const waitMs = advice.afterMs ?? backoffMs(capacity ? flexRetries : retries, this.#retry);
        // Waking up at or past the deadline (or after a wait the caller would rather spend
        // elsewhere) helps nobody: give up now with the provider's own error.
        if (waitMs > this.#retry.maxWaitMs || Date.now() + waitMs >= (deadline ?? Infinity)) {
          throw translated;
        }
        if (capacity) flexRetries += 1;
        else retries += 1;
        await pause(waitMs, options.signal, endpoint);
      }
    }
  }
}

const succeeded = (
  response: unknown,
  endpoint: OpenAIEndpoint,
  askedModel: string | null,
  httpAttempts: number,
): RealtimeOutcome => {
  const object = isObject(response) ? response : {};
  return {
    status: 'succeeded',
    response,
    error: null,
    retryable: false,
    model: stringOrNull(object.model) ?? askedModel,
    // Embeddings responses carry no tier; they are always served at the default one.
    serviceTier: stringOrNull(object.service_tier) ?? (endpoint === EMBEDDINGS ? 'default' : null),
    httpAttempts,
  };
};

const errored = (
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

const deadlineExceeded = (endpoint: string, attempts: number): UnavailableError =>
  new UnavailableError(`openai ${endpoint}: the call's deadline passed before it was served`, {
    code: 'deadline_exceeded',
    details: { provider: 'openai', operation: endpoint, httpAttempts: attempts },
  });

/** Sleeps between tries; an abort ends the call as a retryable `aborted` error. */
const pause = async (
  ms: number,
  signal: AbortSignal | undefined,
  endpoint: string,
): Promise<void> => {
  try {
    await sleep(ms, undefined, signal === undefined ? {} : { signal });
  } catch (error) {
    throw new UnavailableError(`openai ${endpoint} aborted`, {
      code: 'aborted',
      cause: error,
      details: { provider: 'openai', operation: endpoint },
    });
  }
};

export { OpenAIRealtimeProvider, type OpenAIRealtimeProviderOptions, type RealtimeRetryOptions };
