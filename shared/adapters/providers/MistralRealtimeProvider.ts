import { randomUUID } from 'node:crypto';
import type { HTTPClient, Mistral } from '@mistralai/mistralai';
import { PROVIDER_ENDPOINTS, type ProviderName } from '../../contract/providers.js';
import { UnavailableError } from '../../domain/errors.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
  RealtimeProvider,
} from '../../ports/RealtimeProvider.js';
import * as realtime from './callWithRetries.js';

/**
 * The key and base URL (the SDK's `serverURL`, e.g. `http://127.0.0.1:8080`; null: Mistral's).
 * The client is always built here: it needs the hooks below on its HTTP client.
 */
type MistralRealtimeProviderOptions = realtime.RealtimeSettings & {
  readonly apiKey: string;
  readonly baseUrl?: string | null;
};

type MistralEndpoint = (typeof PROVIDER_ENDPOINTS.mistral)[number];

const isMistralEndpoint = (endpoint: string): endpoint is MistralEndpoint =>
  (PROVIDER_ENDPOINTS.mistral as readonly string[]).includes(endpoint);

/** Marks a request whose wire body (and answer) this adapter carries itself; never sent. */
const WIRE_CALL_HEADER = 'x-batchlane-wire-call';

interface WireCall {
  readonly body: string;
  response: string | null;
}

/**
 * The producer's REST body on the wire, and the provider's JSON back as it came. The SDK's
 * typed inputs are camelCase and drop the fields they do not know, and its outputs are
 * remapped to camelCase; batchlane sends what the producer wrote and delivers what Mistral
 * answered. So the SDK makes the call (auth, URL, timeout, errors) and these hooks on its
 * own HTTP client swap in the wire body and keep a copy of the answer's text.
 */
class WireCalls {
  readonly #calls = new Map<string, WireCall>();
  readonly #requests = new WeakMap<Request, string>();

  install(http: HTTPClient): HTTPClient {
    http.addHook('beforeRequest', (request) => {
      const id = request.headers.get(WIRE_CALL_HEADER);
      const call = id === null ? undefined : this.#calls.get(id);
      if (id === null || call === undefined) return;
      const headers = new Headers(request.headers);
      headers.delete(WIRE_CALL_HEADER);
      headers.set('content-type', 'application/json');
      const wire = new Request(request.url, {
        method: request.method,
        headers,
        body: call.body,
        signal: request.signal,
      });
      this.#requests.set(wire, id);
      return wire;
    });
    http.addHook('response', async (response, request) => {
      const id = this.#requests.get(request);
      const call = id === undefined ? undefined : this.#calls.get(id);
      if (call !== undefined && response.ok) call.response = await response.clone().text();
    });
    return http;
  }

  /** Runs `send` with the marker header for a call carrying `body`; returns the raw answer. */
  async run(
    body: Record<string, unknown>,
    send: (headers: Record<string, string>) => Promise<unknown>,
  ): Promise<Record<string, unknown>> {
    const id = randomUUID();
    const call: WireCall = { body: JSON.stringify(body), response: null };
    this.#calls.set(id, call);
    try {
      await send({ [WIRE_CALL_HEADER]: id });
      const parsed: unknown = call.response === null ? null : JSON.parse(call.response);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new UnavailableError('mistral answered without a JSON object', {
          code: 'provider_error',
          details: { provider: 'mistral' },
        });
      }
      return parsed as Record<string, unknown>;
    } finally {
      this.#calls.delete(id);
    }
  }
}

/**
 * Mistral's synchronous Chat Completions, Embeddings and FIM Completions through
 * `@mistralai/mistralai`. Mistral has no flex tier: both lanes are its standard tier, at its
 * standard price. Retries are the project's (the SDK's own are off), within the deadline.
 *
 * @example
 * ```ts
 * const mistral = new MistralRealtimeProvider({ apiKey, baseUrl: sim.mistralBaseUrl });
 * const outcome = await mistral.invoke({
 *   endpoint: '/v1/chat/completions',
 *   body: { model: 'mistral-small-latest', messages: [{ role: 'user', content: 'Hi' }] },
 *   lane: 'realtime',
 *   deadline: new Date(Date.now() + 10 * 60_000),
 * });
 * ```
 */
class MistralRealtimeProvider implements RealtimeProvider {
  readonly name: ProviderName = 'mistral';
  readonly supportsFlex = false;
  readonly #options: MistralRealtimeProviderOptions;
  #client: Promise<Mistral> | null = null;
  readonly #wire = new WireCalls();
  readonly #tries: realtime.RealtimeTries;

  constructor(options: MistralRealtimeProviderOptions) {
    this.#options = options;
    this.#tries = realtime.realtimeTries(options);
  }

  /**
   * The SDK client, built on first use: the SDK takes seconds to load, which functions that
   * never talk to Mistral should not pay at start-up.
   */
  async #sdk(): Promise<Mistral> {
    this.#client ??= import('@mistralai/mistralai').then(
      ({ HTTPClient: Http, Mistral: Client }) => {
        const httpClient: HTTPClient = this.#wire.install(new Http());
        return new Client({
          apiKey: this.#options.apiKey,
          ...(this.#options.baseUrl ? { serverURL: this.#options.baseUrl } : {}),
          httpClient,
          retryConfig: { strategy: 'none' },
        });
      },
    );
    return this.#client.catch((error: unknown) => {
      this.#client = null;
      throw error;
    });
  }

  async invoke(call: RealtimeCall, options: RealtimeInvokeOptions = {}): Promise<RealtimeOutcome> {
    const endpoint = call.endpoint;
    if (!isMistralEndpoint(endpoint))
      throw realtime.unsupportedRealtimeEndpoint('mistral', endpoint);
    const askedModel = realtime.stringOrNull(call.body.model);
    const refusal = realtime.streamingRefusal(call.body, askedModel);
    if (refusal !== null) return refusal;
    if (askedModel === null || askedModel === '') {
      return realtime.erroredOutcome(
        { type: 'invalid_request_error', message: 'body.model must name the model' },
        null,
        0,
      );
    }
    const client = await this.#sdk();
    return realtime.callWithRetries({
      provider: 'mistral',
      operation: endpoint,
      tries: this.#tries,
      call,
      askedModel,
      options,
      send: async (attempt, timeoutMs) => {
        const response = await this.#wire.run(call.body, (headers) => {
          const requestOptions = {
            timeoutMs,
            headers: { ...headers, ...realtime.retryCountHeader(attempt) },
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          };
          // The typed input only has to pass the SDK's own checks: the wire body replaces it.
          switch (endpoint) {
            case '/v1/chat/completions':
              return client.chat.complete({ model: askedModel, messages: [] }, requestOptions);
            case '/v1/embeddings':
              return client.embeddings.create({ model: askedModel, inputs: [] }, requestOptions);
            case '/v1/fim/completions':
              return client.fim.complete({ model: askedModel, prompt: '' }, requestOptions);
          }
        });
        return realtime.succeededOutcome({
          response,
          model: realtime.stringOrNull(response.model) ?? askedModel,
          // No tiers: whatever the lane, Mistral served it at its standard one.
          serviceTier: 'standard',
          httpAttempts: attempt + 1,
        });
      },
    });
  }
}

export { MistralRealtimeProvider, type MistralRealtimeProviderOptions };
