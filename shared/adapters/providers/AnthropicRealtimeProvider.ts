import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages/messages.js';
import type { ProviderName } from '../../contract/providers.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
  RealtimeProvider,
} from '../../ports/RealtimeProvider.js';
import {
  callWithRetries,
  DEFAULT_REALTIME_RETRY,
  DEFAULT_REALTIME_TIMEOUT_MS,
  type RealtimeClientChoice,
  type RealtimeRetryOptions,
  realtimeClientOptions,
  streamingRefusal,
  stringOrNull,
  unsupportedRealtimeEndpoint,
} from './callWithRetries.js';

interface AnthropicRealtimeSettings {
  /** Timeout of one try. Default 10 min, the SDK's. */
  readonly timeoutMs?: number;
  readonly retry?: RealtimeRetryOptions;
}

/** The SDK client, built or handed over; its base URL: Without `/v1` (the SDK's paths carry it). */
type AnthropicRealtimeProviderOptions = AnthropicRealtimeSettings & RealtimeClientChoice<Anthropic>;

const MESSAGES_ENDPOINT = '/v1/messages';

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
  readonly #retry: Required<RealtimeRetryOptions>;

  constructor(options: AnthropicRealtimeProviderOptions) {
    this.#client = options.client ?? new Anthropic(realtimeClientOptions(options));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_REALTIME_TIMEOUT_MS;
    this.#retry = { ...DEFAULT_REALTIME_RETRY, ...options.retry };
  }

  async invoke(call: RealtimeCall, options: RealtimeInvokeOptions = {}): Promise<RealtimeOutcome> {
    if (call.endpoint !== MESSAGES_ENDPOINT) {
      throw unsupportedRealtimeEndpoint('anthropic', call.endpoint);
    }
    const askedModel = stringOrNull(call.body.model);
    const refusal = streamingRefusal(call.body, askedModel);
    if (refusal !== null) return refusal;
    // The port's call body is the producer's own JSON, validated at intake; the SDK type is
    // only a view of it. Both lanes send it unchanged: there is no cheaper tier to ask for.
    const params = call.body as unknown as MessageCreateParamsNonStreaming;
    return callWithRetries({
      provider: 'anthropic',
      operation: 'messages.create',
      policy: this.#retry,
      deadline: call.deadline?.getTime() ?? null,
      tryTimeoutMs: this.#timeoutMs,
      askedModel,
      signal: options.signal,
      send: async (attempt, timeout) => {
        // An explicit timeout also replaces the SDK's refusal of non-streaming requests whose
        // max_tokens could run past 10 minutes: batchlane never streams, and the deadline and
        // timeout bound the wait instead.
        const message = await this.#client.messages.create(params, {
          maxRetries: 0,
          timeout,
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
      },
    });
  }
}

export { AnthropicRealtimeProvider, type AnthropicRealtimeProviderOptions };
