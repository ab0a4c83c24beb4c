import { GoogleGenAI } from '@google/genai';
import type { ProviderName } from '../../contract/providers.js';
import { InvalidInputError } from '../../domain/errors.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
  RealtimeProvider,
} from '../../ports/RealtimeProvider.js';
import * as realtime from './callWithRetries.js';

/**
 * The SDK client, built or handed over; its base URL: `httpOptions.baseUrl`, e.g.
 * `http://127.0.0.1:8080`. Flex tries get 15 min whatever `timeoutMs` says.
 */
type GeminiRealtimeProviderOptions = realtime.RealtimeSettings &
  realtime.RealtimeClientChoice<GoogleGenAI>;

/**
 * Gemini's synchronous `generateContent` through `@google/genai`. Lane `flex` asks for
 * `serviceTier: "flex"` (half price, best effort: a shed request fails and is retried);
 * lane `realtime` sends the body as is. The body is the REST `GenerateContentRequest` the
 * producer wrote; it goes through the SDK's `extraBody` so no field is dropped on the way.
 *
 * @example
 * ```ts
 * const gemini = new GeminiRealtimeProvider({ apiKey, baseUrl: sim.geminiBaseUrl });
 * const outcome = await gemini.invoke({
 *   endpoint: 'generateContent',
 *   body: { model: 'gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] },
 *   lane: 'flex',
 *   deadline: new Date(Date.now() + 30 * 60_000),
 * });
 * ```
 */
class GeminiRealtimeProvider implements RealtimeProvider {
  readonly name: ProviderName = 'gemini';
  readonly supportsFlex = true;
  readonly #client: GoogleGenAI;
  readonly #tries: realtime.RealtimeTries;

  constructor(options: GeminiRealtimeProviderOptions) {
    this.#client =
      options.client ??
      new GoogleGenAI({
        apiKey: options.apiKey,
        // The SDK retries nothing by default; callWithRetries does, within the deadline.
        ...(options.baseUrl ? { httpOptions: { baseUrl: options.baseUrl } } : {}),
      });
    this.#tries = realtime.realtimeTries(options);
  }

  async invoke(call: RealtimeCall, options: RealtimeInvokeOptions = {}): Promise<RealtimeOutcome> {
    if (call.endpoint !== 'generateContent') {
      throw new InvalidInputError(`Gemini has no realtime endpoint ${call.endpoint}`, {
        code: 'unsupported_endpoint',
        details: { provider: 'gemini', endpoint: call.endpoint },
      });
    }
    const { model, ...request } = call.body;
    const askedModel = realtime.stringOrNull(model);
    if (askedModel === null || askedModel === '') {
      return realtime.erroredOutcome(
        { type: 'INVALID_ARGUMENT', message: 'body.model must name the model' },
        null,
        0,
      );
    }
    const flex = call.lane === 'flex';
    const body = flex ? { ...request, serviceTier: 'flex' } : request;
    const contents = Array.isArray(request['contents']) ? request['contents'] : [];
    return realtime.callWithRetries({
      provider: 'gemini',
      operation: 'generateContent',
      tries: this.#tries,
      call,
      flex,
      askedModel,
      options,
      send: async (attempt, timeout) => {
        const response = await this.#client.models.generateContent({
          model: askedModel,
          contents,
          config: {
            // One call, one answer: batchlane delivers the provider's object as it came.
            automaticContinuation: false,
            ...(options.signal === undefined ? {} : { abortSignal: options.signal }),
            httpOptions: {
              timeout,
              extraBody: body,
              headers: realtime.retryCountHeader(attempt),
            },
          },
        });
        const { sdkHttpResponse: _headers, ...plain } = response;
        return realtime.succeededOutcome({
          response: plain,
          model: realtime.stringOrNull(plain.modelVersion) ?? askedModel,
          // Gemini does not echo the tier; flex is shed with an error, never downgraded.
          serviceTier: flex ? 'flex' : 'standard',
          httpAttempts: attempt + 1,
        });
      },
    });
  }
}

export { GeminiRealtimeProvider, type GeminiRealtimeProviderOptions };
