import { GoogleGenAI } from '@google/genai';
import type { ProviderName } from '../../contract/providers.js';
import { InvalidInputError } from '../../domain/errors.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
  RealtimeProvider,
} from '../../ports/RealtimeProvider.js';
import {
  callWithRetries,
  DEFAULT_REALTIME_RETRY,
  erroredOutcome,
  type RealtimeClientChoice,
  type RealtimeRetryOptions,
} from './callWithRetries.js';

interface GeminiRealtimeSettings {
  /** Timeout of one standard-tier try (default 10 min); flex tries get 15 min. */
  readonly timeoutMs?: number;
  readonly retry?: RealtimeRetryOptions;
}

/** The SDK client, built or handed over; its base URL: `httpOptions.baseUrl`, e.g. `http://127.0.0.1:8080`. */
type GeminiRealtimeProviderOptions = GeminiRealtimeSettings & RealtimeClientChoice<GoogleGenAI>;

/** Gemini's Flex tier targets answers within 1 to 15 minutes: a try may take that long. */
const FLEX_TIMEOUT_MS = 15 * 60 * 1000;
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

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
  readonly #timeoutMs: number;
  readonly #retry: Required<RealtimeRetryOptions>;

  constructor(options: GeminiRealtimeProviderOptions) {
    this.#client =
      options.client ??
      new GoogleGenAI({
        apiKey: options.apiKey,
        // The SDK retries nothing by default; callWithRetries does, within the deadline.
        ...(options.baseUrl ? { httpOptions: { baseUrl: options.baseUrl } } : {}),
      });
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retry = { ...DEFAULT_REALTIME_RETRY, ...options.retry };
  }

  async invoke(call: RealtimeCall, options: RealtimeInvokeOptions = {}): Promise<RealtimeOutcome> {
    if (call.endpoint !== 'generateContent') {
      throw new InvalidInputError(`Gemini has no realtime endpoint ${call.endpoint}`, {
        code: 'unsupported_endpoint',
        details: { provider: 'gemini', endpoint: call.endpoint },
      });
    }
    const { model, ...request } = call.body;
    const askedModel = stringOrNull(model);
    if (askedModel === null || askedModel === '') {
      return erroredOutcome(
        { type: 'INVALID_ARGUMENT', message: 'body.model must name the model' },
        null,
        0,
      );
    }
    const flex = call.lane === 'flex';
    const body = flex ? { ...request, serviceTier: 'flex' } : request;
    const contents = Array.isArray(request['contents']) ? request['contents'] : [];
    return callWithRetries({
      provider: 'gemini',
      operation: 'generateContent',
      policy: this.#retry,
      deadline: call.deadline?.getTime() ?? null,
      tryTimeoutMs: flex ? FLEX_TIMEOUT_MS : this.#timeoutMs,
      askedModel,
      signal: options.signal,
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
              // Our retries are retries too: the header tells the simulator, as for the others.
              headers: { 'x-stainless-retry-count': String(attempt) },
            },
          },
        });
        const { sdkHttpResponse: _headers, ...plain } = response;
        return {
          status: 'succeeded',
          response: plain,
          error: null,
          retryable: false,
          model: stringOrNull(plain.modelVersion) ?? askedModel,
          // Gemini does not echo the tier; flex is shed with an error, never downgraded.
          serviceTier: flex ? 'flex' : 'standard',
          httpAttempts: attempt + 1,
        };
      },
    });
  }
}

export { GeminiRealtimeProvider, type GeminiRealtimeProviderOptions };
