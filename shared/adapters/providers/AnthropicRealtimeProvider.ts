import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages/messages.js';
import type { ProviderName } from '../../contract/providers.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
  RealtimeProvider,
} from '../../ports/RealtimeProvider.js';
import * as realtime from './callWithRetries.js';

/** The SDK client, built or handed over; its base URL: Without `/v1` (the SDK's paths carry it). */
type AnthropicRealtimeProviderOptions = realtime.RealtimeSettings &
  realtime.RealtimeClientChoice<Anthropic>;

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
  readonly #tries: realtime.RealtimeTries;

  constructor(options: AnthropicRealtimeProviderOptions) {
    this.#client = options.client ?? new Anthropic(realtime.realtimeClientOptions(options));
    this.#tries = realtime.realtimeTries(options);
  }

  async invoke(call: RealtimeCall, options: RealtimeInvokeOptions = {}): Promise<RealtimeOutcome> {
    if (call.endpoint !== MESSAGES_ENDPOINT) {
      throw realtime.unsupportedRealtimeEndpoint('anthropic', call.endpoint);
    }
    const askedModel = realtime.stringOrNull(call.body.model);
    const refusal = realtime.streamingRefusal(call.body, askedModel);
    if (refusal !== null) return refusal;
    // The port's call body is the producer's own JSON, validated at intake; the SDK type is
    // only a view of it. Both lanes send it unchanged: there is no cheaper tier to ask for.
    const params = call.body as unknown as MessageCreateParamsNonStreaming;
    return realtime.callWithRetries({
      provider: 'anthropic',
      operation: 'messages.create',
      tries: this.#tries,
      call,
      askedModel,
      options,
      send: async (attempt, timeout) => {
        // An explicit timeout also replaces the SDK's refusal of non-streaming requests whose
        // max_tokens could run past 10 minutes: batchlane never streams, and the deadline and
        // timeout bound the wait instead.
        const message = await this.#client.messages.create(params, {
          maxRetries: 0,
          timeout,
          signal: options.signal ?? null,
          headers: realtime.retryCountHeader(attempt),
        });
        return realtime.succeededOutcome({
          response: message,
          model: realtime.stringOrNull(message.model) ?? askedModel,
          serviceTier: realtime.stringOrNull(message.usage?.service_tier),
          httpAttempts: attempt + 1,
        });
      },
    });
  }
}

export { AnthropicRealtimeProvider, type AnthropicRealtimeProviderOptions };
