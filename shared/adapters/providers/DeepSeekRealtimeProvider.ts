import OpenAI from 'openai';
import type { ProviderName } from '../../contract/providers.js';
import { isJsonObject } from '../../domain/isJsonObject.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
  RealtimeProvider,
} from '../../ports/RealtimeProvider.js';
import * as realtime from './callWithRetries.js';

/** DeepSeek's API root (`/v1` is accepted too, and means no model version). */
const DEEPSEEK_BASE_URL = 'https://api.deepseek.com';

/** The `openai` SDK client, built for DeepSeek's base URL or handed over. */
type DeepSeekRealtimeProviderOptions = realtime.RealtimeSettings &
  realtime.RealtimeClientChoice<OpenAI>;

const CHAT = '/v1/chat/completions';

/**
 * DeepSeek's chat completions through the `openai` SDK with DeepSeek's base URL. DeepSeek has
 * no batch API and no service tiers: it bills by the hour a request is processed (peak or
 * off-peak), which batchlane reads from the response's `created` time against the price
 * table's calendar. Errors are OpenAI-shaped (400, 401, 402 balance, 422, 429, 500, 503) and
 * translated like OpenAI's.
 *
 * @example
 * ```ts
 * const deepseek = new DeepSeekRealtimeProvider({ apiKey, baseUrl: sim.deepseekBaseUrl });
 * const outcome = await deepseek.invoke({
 *   endpoint: '/v1/chat/completions',
 *   body: { model: 'deepseek-flash', messages: [{ role: 'user', content: 'Hi' }] },
 *   lane: 'realtime',
 * });
 * ```
 */
class DeepSeekRealtimeProvider implements RealtimeProvider {
  readonly name: ProviderName = 'deepseek';
  readonly supportsFlex = false;
  readonly #client: OpenAI;
  readonly #tries: realtime.RealtimeTries;

  constructor(options: DeepSeekRealtimeProviderOptions) {
    this.#client =
      options.client ??
      new OpenAI(
        realtime.realtimeClientOptions({
          ...options,
          baseUrl: options.baseUrl ?? DEEPSEEK_BASE_URL,
        }),
      );
    this.#tries = realtime.realtimeTries(options);
  }

  async invoke(call: RealtimeCall, options: RealtimeInvokeOptions = {}): Promise<RealtimeOutcome> {
    if (call.endpoint !== CHAT)
      throw realtime.unsupportedRealtimeEndpoint('deepseek', call.endpoint);
    const askedModel = realtime.stringOrNull(call.body.model);
    const refusal = realtime.streamingRefusal(call.body, askedModel);
    if (refusal !== null) return refusal;
    return realtime.callWithRetries({
      provider: 'deepseek',
      operation: call.endpoint,
      tries: this.#tries,
      call,
      askedModel,
      options,
      send: async (attempt, timeout) => {
        // `post` sends the body as the producer wrote it (DeepSeek-only fields included) and
        // returns DeepSeek's own object, `prompt_cache_hit_tokens` and all.
        const response = await this.#client.post<unknown>('/chat/completions', {
          body: call.body,
          maxRetries: 0,
          timeout,
          signal: options.signal ?? null,
          headers: realtime.retryCountHeader(attempt),
        });
        const object = isJsonObject(response) ? response : {};
        return realtime.succeededOutcome({
          response,
          model: realtime.stringOrNull(object.model) ?? askedModel,
          // DeepSeek has one tier; whether it was billed off-peak is a matter of the hour.
          serviceTier: 'default',
          httpAttempts: attempt + 1,
        });
      },
    });
  }
}

export { DEEPSEEK_BASE_URL, DeepSeekRealtimeProvider, type DeepSeekRealtimeProviderOptions };
