import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../../local/simulator/startSimulator.js';
import { AnthropicRealtimeProvider } from '../../../shared/adapters/providers/AnthropicRealtimeProvider.js';
import { createRealtimeProviders } from '../../../shared/adapters/providers/createRealtimeProviders.js';
import { OpenAIRealtimeProvider } from '../../../shared/adapters/providers/OpenAIRealtimeProvider.js';
import {
  AuthError,
  ConfigError,
  InvalidInputError,
  ThrottledError,
  UnavailableError,
} from '../../../shared/domain/errors.js';
import type { RealtimeCall } from '../../../shared/ports/RealtimeProvider.js';
import { API_KEY } from './providerTestKit.js';

let sim: RunningSimulator;
let openai: OpenAIRealtimeProvider;
let anthropic: AnthropicRealtimeProvider;

/** Backoff short enough that retries cost nothing when the simulator names no wait. */
const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 5 };

beforeAll(async () => {
  sim = await startSimulator({ seed: 31, apiKeys: [API_KEY] });
  openai = new OpenAIRealtimeProvider({
    apiKey: API_KEY,
    baseUrl: sim.openaiBaseUrl,
    retry: FAST_RETRY,
  });
  anthropic = new AnthropicRealtimeProvider({
    apiKey: API_KEY,
    baseUrl: sim.anthropicBaseUrl,
    retry: FAST_RETRY,
  });
});

afterEach(() => {
  sim.setFaults({});
});

afterAll(async () => {
  await sim.stop();
});

const chatCall = (lane: RealtimeCall['lane'], extra: Partial<RealtimeCall> = {}): RealtimeCall => ({
  endpoint: '/v1/chat/completions',
  body: { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'Classify: spam?' }] },
  lane,
  ...extra,
});

const messageCall = (lane: RealtimeCall['lane'], body: Record<string, unknown> = {}) => ({
  endpoint: '/v1/messages',
  body: {
    model: 'claude-sonnet-4-6',
    max_tokens: 128,
    messages: [{ role: 'user', content: 'Grade this answer' }],
    ...body,
  },
  lane,
});

/** HTTP requests the simulator receives while `act` runs. */
const requestsDuring = async (act: () => Promise<unknown>): Promise<number> => {
  const before = sim.stats().http.requests;
  await act().catch(() => undefined);
  return sim.stats().http.requests - before;
};

/** The rejection of `promise`, which must reject. */
const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
};

describe('Class: OpenAIRealtimeProvider', () => {
  it('serves chat completions at the flex tier when flex is granted', async () => {
    const outcome = await openai.invoke(chatCall('flex'));

    expect(outcome).toMatchObject({
      status: 'succeeded',
      error: null,
      retryable: false,
      model: 'gpt-5-mini',
      serviceTier: 'flex',
      httpAttempts: 1,
    });
    expect(outcome.response).toMatchObject({ object: 'chat.completion', service_tier: 'flex' });
  });

  it('sends a realtime call as is, at the default tier', async () => {
    const outcome = await openai.invoke({
      endpoint: '/v1/responses',
      body: { model: 'gpt-5-mini', input: 'Summarise the ticket' },
      lane: 'realtime',
    });

    expect(outcome).toMatchObject({ status: 'succeeded', serviceTier: 'default', httpAttempts: 1 });
    expect(outcome.response).toMatchObject({ object: 'response', status: 'completed' });
    // The provider's own object, without fields the SDK's typed helpers would add.
    expect(outcome.response).not.toHaveProperty('output_text');
  });

  it('serves embeddings on the flex lane at the default tier, with float vectors', async () => {
    const outcome = await openai.invoke({
      endpoint: '/v1/embeddings',
      body: { model: 'text-embedding-3-small', input: 'a sentence to embed', dimensions: 8 },
      lane: 'flex',
    });

    expect(outcome).toMatchObject({
      status: 'succeeded',
      serviceTier: 'default',
      model: 'text-embedding-3-small',
    });
    const data = (outcome.response as { data: { embedding: unknown }[] }).data;
    const vector = data[0]?.embedding;
    expect(vector).toHaveLength(8);
    expect(Array.isArray(vector) && vector.every((v) => typeof v === 'number')).toBe(true);
  });

  it('retries a burst of flex 429 resource_unavailable and is then served at flex', async () => {
    // Prepare
    sim.setFaults({ flexUnavailableRate: 1, flexUnavailableMaxPerRequest: 3, flexRetryAfterMs: 1 });

    // Act
    const outcome = await openai.invoke(chatCall('flex'));

    // Assess
    expect(outcome).toMatchObject({ status: 'succeeded', serviceTier: 'flex', httpAttempts: 4 });
  });

  it('gives up on flex capacity after its flex retries with a retryable ThrottledError', async () => {
    // Prepare
    sim.setFaults({ flexUnavailableRate: 1, flexRetryAfterMs: 1 });
    const provider = new OpenAIRealtimeProvider({
      apiKey: API_KEY,
      baseUrl: sim.openaiBaseUrl,
      retry: { ...FAST_RETRY, flexMaxRetries: 2 },
    });
    let error: unknown;

    // Act
    const requests = await requestsDuring(async () => {
      error = await rejectionOf(provider.invoke(chatCall('flex')));
    });

    // Assess
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error).toMatchObject({ retryable: true, code: 'resource_unavailable', retryAfterMs: 1 });
    expect(requests).toBe(3);
  });

  it('gives up at once when the wait the provider asks for runs past the deadline', async () => {
    // Prepare: the simulator asks for ten minutes, the deadline is one minute away, and the
    // adapter would otherwise sleep through any wait.
    sim.setFaults({ flexUnavailableRate: 1, flexRetryAfterMs: 600_000 });
    const patient = new OpenAIRealtimeProvider({
      apiKey: API_KEY,
      baseUrl: sim.openaiBaseUrl,
      retry: { ...FAST_RETRY, maxWaitMs: 3_600_000 },
    });
    const deadline = new Date(Date.now() + 60_000);
    let error: unknown;

    // Act
    const requests = await requestsDuring(async () => {
      error = await rejectionOf(patient.invoke(chatCall('flex', { deadline })));
    });

    // Assess
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 600_000 });
    expect(requests).toBe(1);
    expect(Date.now()).toBeLessThan(deadline.getTime());
  });

  it('bounds a slow try by the deadline and gives up with a retryable error', async () => {
    sim.setFaults({ realtimeLatencyMs: 120_000 });
    const deadline = new Date(Date.now() + 300);

    const error = await rejectionOf(openai.invoke(chatCall('flex', { deadline })));

    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
  });

  it('sends nothing once the deadline has passed', async () => {
    let error: unknown;
    const requests = await requestsDuring(async () => {
      error = await rejectionOf(
        openai.invoke(chatCall('flex', { deadline: new Date(Date.now() - 1) })),
      );
    });

    expect(error).toMatchObject({ retryable: true, code: 'deadline_exceeded' });
    expect(requests).toBe(0);
  });

  it('reports a flex request the provider served at the default tier', async () => {
    sim.setFaults({ flexDowngradeRate: 1 });

    const outcome = await openai.invoke(chatCall('flex'));

    expect(outcome).toMatchObject({ status: 'succeeded', serviceTier: 'default' });
  });

  it.each([
    [
      'a body without messages',
      { model: 'gpt-5-mini' },
      { type: 'invalid_request_error', message: "Missing required parameter: 'messages'." },
    ],
    [
      'an unknown model',
      { model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] },
      { type: 'invalid_request_error', message: expect.stringContaining('no-such-model') },
    ],
  ])('returns an errored, non-retryable outcome for %s', async (_name, body, error) => {
    const outcome = await openai.invoke({ endpoint: '/v1/chat/completions', body, lane: 'flex' });

    expect(outcome).toMatchObject({
      status: 'errored',
      response: null,
      error,
      retryable: false,
      serviceTier: null,
      httpAttempts: 1,
    });
  });

  it('returns an errored outcome for stream: true without calling the provider', async () => {
    let outcome: unknown;
    const requests = await requestsDuring(async () => {
      outcome = await openai.invoke({
        ...chatCall('realtime'),
        body: { ...chatCall('realtime').body, stream: true },
      });
    });

    expect(outcome).toMatchObject({ status: 'errored', retryable: false, httpAttempts: 0 });
    expect(requests).toBe(0);
  });

  it('refuses an endpoint OpenAI has no realtime counterpart for', async () => {
    const error = await rejectionOf(
      openai.invoke({ ...chatCall('flex'), endpoint: '/v1/messages' }),
    );

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ retryable: false, code: 'unsupported_endpoint' });
  });

  it('throws a retryable UnavailableError after its retries when a 500 storm persists', async () => {
    sim.setFaults({ http: { rate: 1, statuses: [500], retryAfterMs: 1, maxPerRequest: 100 } });
    let error: unknown;

    const requests = await requestsDuring(async () => {
      error = await rejectionOf(openai.invoke(chatCall('realtime')));
    });

    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ retryable: true, code: 'unavailable' });
    expect(requests).toBe(3);
  });

  it('throws a ThrottledError with the provider-given wait when a 429 storm persists', async () => {
    sim.setFaults({ http: { rate: 1, statuses: [429], retryAfterMs: 2, maxPerRequest: 100 } });

    const error = await rejectionOf(openai.invoke(chatCall('realtime')));

    expect(error).toBeInstanceOf(ThrottledError);
    expect(error).toMatchObject({ retryable: true, code: 'rate_limited', retryAfterMs: 2 });
  });

  it('recovers from a transient error, counting every HTTP attempt', async () => {
    sim.setFaults({ http: { rate: 1, statuses: [503], retryAfterMs: 1 } });

    const outcome = await openai.invoke(chatCall('realtime'));

    expect(outcome).toMatchObject({ status: 'succeeded', httpAttempts: 2 });
  });

  it('throws a non-retryable AuthError for a wrong API key, without retrying', async () => {
    const intruder = new OpenAIRealtimeProvider({ apiKey: 'wrong', baseUrl: sim.openaiBaseUrl });
    let error: unknown;

    const requests = await requestsDuring(async () => {
      error = await rejectionOf(intruder.invoke(chatCall('flex')));
    });

    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ retryable: false, code: 'unauthorized' });
    expect(requests).toBe(1);
  });

  it('ends an aborted call with a retryable error', async () => {
    sim.setFaults({ realtimeLatencyMs: 120_000 });
    const controller = new AbortController();

    const pending = rejectionOf(openai.invoke(chatCall('flex'), { signal: controller.signal }));
    controller.abort();
    const error = await pending;

    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ retryable: true, code: 'aborted' });
  });
});

describe('Class: AnthropicRealtimeProvider', () => {
  it.each(['flex', 'realtime'] as const)(
    'serves the %s lane at the standard tier',
    async (lane) => {
      const outcome = await anthropic.invoke(messageCall(lane));

      expect(anthropic.supportsFlex).toBe(false);
      expect(outcome).toMatchObject({
        status: 'succeeded',
        error: null,
        model: 'claude-sonnet-4-6',
        serviceTier: 'standard',
        httpAttempts: 1,
      });
      expect(outcome.response).toMatchObject({ type: 'message', role: 'assistant' });
    },
  );

  it.each([
    ['a missing max_tokens', { max_tokens: undefined }, 'invalid_request_error'],
    ['a message with no role', { messages: [{ content: 'x' }] }, 'invalid_request_error'],
    ['an unknown model', { model: 'gpt-4o' }, 'not_found_error'],
  ])('returns an errored, non-retryable outcome for %s', async (_name, body, type) => {
    const outcome = await anthropic.invoke(messageCall('realtime', body));

    expect(outcome).toMatchObject({
      status: 'errored',
      response: null,
      retryable: false,
      error: { type },
      httpAttempts: 1,
    });
    expect(outcome.error?.message).not.toMatch(/^\d{3} /);
  });

  it('throws a retryable error after its retries when a 529 storm persists', async () => {
    sim.setFaults({ http: { rate: 1, statuses: [529], retryAfterMs: 1, maxPerRequest: 100 } });
    let error: unknown;

    const requests = await requestsDuring(async () => {
      error = await rejectionOf(anthropic.invoke(messageCall('realtime')));
    });

    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ retryable: true, code: 'overloaded' });
    expect(requests).toBe(3);
  });

  it('recovers from a transient 500, counting every HTTP attempt', async () => {
    sim.setFaults({ http: { rate: 1, statuses: [500], retryAfterMs: 1 } });

    const outcome = await anthropic.invoke(messageCall('realtime'));

    expect(outcome).toMatchObject({ status: 'succeeded', httpAttempts: 2 });
  });

  it('throws a non-retryable AuthError for a wrong API key', async () => {
    const intruder = new AnthropicRealtimeProvider({
      apiKey: 'wrong',
      baseUrl: sim.anthropicBaseUrl,
    });

    const error = await rejectionOf(intruder.invoke(messageCall('realtime')));

    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ retryable: false });
  });

  it('gives up at once when the provider-given wait runs past the deadline', async () => {
    sim.setFaults({
      http: { rate: 1, statuses: [429], retryAfterMs: 600_000, maxPerRequest: 100 },
    });
    const deadline = new Date(Date.now() + 60_000);

    const error = await rejectionOf(anthropic.invoke({ ...messageCall('realtime'), deadline }));

    expect(error).toBeInstanceOf(ThrottledError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 600_000 });
    expect(Date.now()).toBeLessThan(deadline.getTime());
  });
});

describe('Function: createRealtimeProviders()', () => {
  it('builds adapters that reach the configured base URLs with the resolved keys', async () => {
    // Prepare
    const connection = (baseUrl: string) => ({ apiKey: null, secretArn: 'arn:secret', baseUrl });
    const providers = await createRealtimeProviders(
      {
        enabledProviders: ['anthropic', 'openai'],
        providers: {
          anthropic: connection(sim.anthropicBaseUrl),
          openai: connection(sim.openaiBaseUrl),
          bedrock: { apiKey: null, secretArn: null, baseUrl: null },
          gemini: { apiKey: null, secretArn: null, baseUrl: null },
          mistral: { apiKey: null, secretArn: null, baseUrl: null },
          deepseek: { apiKey: null, secretArn: null, baseUrl: null },
        },
      },
      async () => API_KEY,
    );

    // Act
    const [message, chat] = await Promise.all([
      providers.anthropic!.invoke(messageCall('realtime')),
      providers.openai!.invoke(chatCall('flex')),
    ]);

    // Assess
    expect(providers.openai?.supportsFlex).toBe(true);
    expect(message).toMatchObject({ status: 'succeeded', serviceTier: 'standard' });
    expect(chat).toMatchObject({ status: 'succeeded', serviceTier: 'flex' });
  });

  it('gives a disabled provider a placeholder that rejects with ConfigError', async () => {
    const providers = await createRealtimeProviders(
      {
        enabledProviders: ['openai'],
        providers: {
          anthropic: { apiKey: null, secretArn: null, baseUrl: null },
          openai: { apiKey: API_KEY, secretArn: null, baseUrl: sim.openaiBaseUrl },
          bedrock: { apiKey: null, secretArn: null, baseUrl: null },
          gemini: { apiKey: null, secretArn: null, baseUrl: null },
          mistral: { apiKey: null, secretArn: null, baseUrl: null },
          deepseek: { apiKey: null, secretArn: null, baseUrl: null },
        },
      },
      async (conn) => conn.apiKey ?? '',
    );

    await expect(providers.anthropic!.invoke(messageCall('realtime'))).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});
