import OpenAI, { AzureOpenAI } from 'openai';
import { type ProviderProfile, profileModelName } from '../../contract/providerProfile.js';
import { PROVIDER_ENDPOINTS, type ProviderName } from '../../contract/providers.js';
import { isJsonObject } from '../../domain/isJsonObject.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
  RealtimeProvider,
} from '../../ports/RealtimeProvider.js';
import * as realtime from './callWithRetries.js';

/** Flex tries get 15 min whatever `timeoutMs` says. */
interface OpenAIRealtimeSettings extends realtime.RealtimeSettings {
  /**
   * The OpenAI-compatible provider to call instead of OpenAI (its base URL unless `baseUrl`
   * overrides it; Azure through `AzureOpenAI`, which puts the deployment in the path).
   */
  readonly profile?: ProviderProfile;
}

/** The SDK client, built or handed over; its base URL: Including `/v1`, e.g. `http://127.0.0.1:8080/v1`. */
type OpenAIRealtimeProviderOptions = OpenAIRealtimeSettings & realtime.RealtimeClientChoice<OpenAI>;

type OpenAIEndpoint = (typeof PROVIDER_ENDPOINTS.openai)[number];

const EMBEDDINGS: OpenAIEndpoint = '/v1/embeddings';

const isOpenAIEndpoint = (endpoint: string): endpoint is OpenAIEndpoint =>
  (PROVIDER_ENDPOINTS.openai as readonly string[]).includes(endpoint);

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
  readonly name: ProviderName;
  /** Flex (`service_tier: "flex"` at batch prices) is OpenAI's; profiles have no such tier. */
  readonly supportsFlex: boolean;
  readonly #client: OpenAI;
  readonly #tries: realtime.RealtimeTries;
  readonly #profile: ProviderProfile | null;

  constructor(options: OpenAIRealtimeProviderOptions) {
    this.#profile = options.profile ?? null;
    // Only built-in profiles reach here as providers; their ids are provider names.
    this.name = (this.#profile?.id ?? 'openai') as ProviderName;
    this.supportsFlex = this.#profile === null;
    this.#client = options.client ?? createClient(options, this.#profile);
    this.#tries = realtime.realtimeTries(options);
  }

  async invoke(call: RealtimeCall, options: RealtimeInvokeOptions = {}): Promise<RealtimeOutcome> {
    const endpoint = call.endpoint;
    const served = this.#profile?.endpoints ?? PROVIDER_ENDPOINTS.openai;
    if (!isOpenAIEndpoint(endpoint) || !(served as readonly string[]).includes(endpoint)) {
      throw realtime.unsupportedRealtimeEndpoint(this.name, endpoint);
    }
    const askedModel = realtime.stringOrNull(call.body.model);
    const refusal = realtime.streamingRefusal(call.body, askedModel);
    if (refusal !== null) return refusal;
    // Embeddings have no service tier (the endpoint takes no `service_tier`): a flex call on
    // embeddings is sent without one and served, and billed, at the default tier.
    const flex = this.supportsFlex && call.lane === 'flex' && endpoint !== EMBEDDINGS;
    const body = this.#providerBody(flex ? { ...call.body, service_tier: 'flex' } : call.body);
    return realtime.callWithRetries({
      provider: this.name,
      operation: endpoint,
      tries: this.#tries,
      call,
      flex,
      askedModel,
      options,
      send: async (attempt, timeout) => {
        // `post` rather than the typed resource methods: those rewrite embeddings requests
        // (base64 encoding) and add fields to Responses objects; batchlane sends the body as
        // the producer wrote it and delivers the provider's own object.
        const response = await this.#client.post<unknown>(endpoint.slice('/v1'.length), {
          body,
          maxRetries: 0,
          timeout,
          signal: options.signal ?? null,
          headers: realtime.retryCountHeader(attempt),
        });
        return succeeded(response, endpoint, askedModel, attempt + 1);
      },
    });
  }

  /** Azure names the deployment serving the model where OpenAI names the model. */
  #providerBody(body: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    const model = body.model;
    if (this.#profile?.quirks.client !== 'azure' || typeof model !== 'string') return body;
    return { ...body, model: profileModelName(this.#profile, model) };
  }
}

/** `AzureOpenAI` (resource endpoint, `api-version`) for Azure, `OpenAI` otherwise. */
const createClient = (
  options: { readonly apiKey?: string; readonly baseUrl?: string | null },
  profile: ProviderProfile | null,
): OpenAI => {
  const settings = realtime.realtimeClientOptions({
    apiKey: options.apiKey ?? '',
    baseUrl: options.baseUrl || profile?.baseUrl,
  });
  if (profile?.quirks.client !== 'azure') return new OpenAI(settings);
  return new AzureOpenAI({
    apiKey: settings.apiKey,
    maxRetries: 0,
    endpoint: settings.baseURL ?? profile.baseUrl,
    apiVersion: profile.quirks.apiVersion ?? undefined,
  });
};

const succeeded = (
  response: unknown,
  endpoint: OpenAIEndpoint,
  askedModel: string | null,
  httpAttempts: number,
): RealtimeOutcome => {
  const object = isJsonObject(response) ? response : {};
  return realtime.succeededOutcome({
    response,
    model: realtime.stringOrNull(object.model) ?? askedModel,
    // Embeddings responses carry no tier; they are always served at the default one.
    serviceTier:
      realtime.stringOrNull(object.service_tier) ?? (endpoint === EMBEDDINGS ? 'default' : null),
    httpAttempts,
  });
};

export { OpenAIRealtimeProvider, type OpenAIRealtimeProviderOptions };
