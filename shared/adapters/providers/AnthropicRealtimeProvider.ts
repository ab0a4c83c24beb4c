import { setTimeout as sleep } from 'node:timers/promises';
import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages/messages.js';
import type { ProviderName } from '../../contract/providers.js';
import { InvalidInputError, UnavailableError } from '../../domain/errors.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
  RealtimeProvider,
} from '../../ports/RealtimeProvider.js';
import {
  requestFaultOf,
  retryAdviceFor,
  translateProviderError,
} from './translateProviderError.js';

/**
 * Client-side retries of one realtime call; the SDK's own are off (`maxRetries: 0`) so every
 * HTTP request is counted and every wait is checked against the call's deadline.
 */
interface AnthropicRealtimeRetryOptions {
  /** Retries of what the SDK retries (429, 408, 409, 5xx, 529, connection, timeout). Default 2. */
  readonly maxRetries?: number;
  /** First backoff delay when the provider names none; doubles per retry. Default 500. */
  readonly initialDelayMs?: number;
  /** Longest backoff delay. Default 8000, as the SDK. */
  readonly maxDelayMs?: number;
  /** A provider-asked wait longer than this is not slept through. Default 60 s. */
  readonly maxWaitMs?: number;
}

interface AnthropicRealtimeSettings {
  /** Timeout of one try. Default 10 min, the SDK's. */
  readonly timeoutMs?: number;
  readonly retry?: AnthropicRealtimeRetryOptions;
}

/** How to build the SDK client, or the client itself (tests, shared clients), never both. */
type AnthropicRealtimeProviderOptions = AnthropicRealtimeSettings &
  (
    | {
        readonly apiKey: string;
        /** Without `/v1` (the SDK's paths carry it). Null or absent: the SDK default. */
        readonly baseUrl?: string | null;
        readonly client?: never;
      }
    | { readonly client: Anthropic; readonly apiKey?: never; readonly baseUrl?: never }
  );

const MESSAGES_ENDPOINT = '/v1/messages';
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

const DEFAULT_RETRY: Required<AnthropicRealtimeRetryOptions> = {
  maxRetries: 2,
  initialDelayMs: 500,
  maxDelayMs: 8000,
  maxWaitMs: 60_000,
};

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Exponential backoff with up to 25 % jitter, as the SDK computes it. */
const backoffMs = (retry: number, policy: Required<AnthropicRealtimeRetryOptions>): number =>
  Math.min(policy.initialDelayMs * 2 ** retry, policy.maxDelayMs) * (1 - Math.random() * 0.25);

/**
 * Anthropic's synchronous Messages API (`client.messages.create`, non-streaming) through
 * `@anthropic-ai/sdk`. Anthropic has no flex tier: both lanes are served at the standard
 * tier, and `serviceTier` is the response's `usage.service_tier`.
 *
 * @example
 * ```ts
 * const anthropic = new AnthropicRealtimeProvider({ apiKey, baseUrl: sim.anthropicBaseUrl });
 * const outcome = await anthropic.invoke({
 *   endpoint: '/v1/messages',
 *   body: { model: 'claude-sonnet-4-6', max_tokens: 512, messages: [{ role: 'user', content: 'Hi' }] },
 *   lane: 'realtime',
 * });
 * ```
 */
class AnthropicRealtimeProvider implements RealtimeProvider {
  readonly name: ProviderName = 'anthropic';
  readonly supportsFlex = false;
  readonly #client: Anthropic;
  readonly #timeoutMs: number;
  readonly #retry: Required<AnthropicRealtimeRetryOptions>;

  constructor(options: AnthropicRealtimeProviderOptions) {
    this.#client =
      options.client ??
      new Anthropic({
        apiKey: options.apiKey,
        ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
        maxRetries: 0,
      });
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  async invoke(call: RealtimeCall, options: RealtimeInvokeOptions = {}): Promise<RealtimeOutcome> {
    if (call.endpoint !== MESSAGES_ENDPOINT) {
      throw new InvalidInputError(`Anthropic has no realtime endpoint ${call.endpoint}`, {
        code: 'unsupported_endpoint',
        details: { provider: 'anthropic', endpoint: call.endpoint },
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
    // The port's call body is the producer's own JSON, validated at intake; the SDK type is
    // only a view of it. Both lanes send it unchanged: there is no cheaper tier to ask for.
    const params = call.body as unknown as MessageCreateParamsNonStreaming;
    const deadline = call.deadline?.getTime() ?? null;
    const context = { provider: 'anthropic', operation: 'messages.create' } as const;
    let retries = 0;
    for (let attempt = 0; ; attempt += 1) {
      const remainingMs = deadline === null ? Number.POSITIVE_INFINITY : deadline - Date.now();
      if (remainingMs <= 0) throw deadlineExceeded(attempt);
      try {
        // An explicit timeout also replaces the SDK's refusal of non-streaming requests whose
        // max_tokens could run past 10 minutes: batchlane never streams, and the deadline and
        // timeout bound the wait instead.
        const message = await this.#client.messages.create(params, {
          maxRetries: 0,
          timeout: Math.max(1, Math.floor(Math.min(this.#timeoutMs, remainingMs))),
          signal: options.signal ?? null,
          // Our retries are retries too: the header tells the provider (and the simulator).
          headers: { 'x-stainless-retry-count': String(attempt) },
        });
        return {
          status: 'succeeded',
          response: message,
          error: null,
          retryable: false,
          model: stringOrNull(message.model) ?? askedModel,
          serviceTier: stringOrNull(message.usage?.service_tier),
          httpAttempts: attempt + 1,
        };
      } catch (error) {
        const fault = requestFaultOf(error);
        if (fault !== null) return errored(fault, askedModel, attempt + 1);
        const translated = translateProviderError(error, context);
        const advice = retryAdviceFor(error);
        if (!advice.retry || retries >= this.#retry.maxRetries) throw translated;
        const waitMs = advice.afterMs ?? backoffMs(retries, this.#retry);
        if (waitMs > this.#retry.maxWaitMs || Date.now() + waitMs >= (deadline ?? Infinity)) {
          throw translated;
        }
        retries += 1;
        await pause(waitMs, options.signal);
      }
    }
  }
}

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

const deadlineExceeded = (attempts: number): UnavailableError =>
  new UnavailableError(
    "anthropic messages.create: the call's deadline passed before it was served",
    {
      code: 'deadline_exceeded',
      details: { provider: 'anthropic', operation: 'messages.create', httpAttempts: attempts },
    },
  );

/** Sleeps between tries; an abort ends the call as a retryable `aborted` error. */
const pause = async (ms: number, signal: AbortSignal | undefined): Promise<void> => {
  try {
    await sleep(ms, undefined, signal === undefined ? {} : { signal });
  } catch (error) {
    throw new UnavailableError('anthropic messages.create aborted', {
      code: 'aborted',
      cause: error,
      details: { provider: 'anthropic', operation: 'messages.create' },
    });
  }
};

export {
  AnthropicRealtimeProvider,
  type AnthropicRealtimeProviderOptions,
  type AnthropicRealtimeRetryOptions,
};
