import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../../local/simulator/startSimulator.js';
import { DeepSeekRealtimeProvider } from '../../../shared/adapters/providers/DeepSeekRealtimeProvider.js';
import { AuthError, InvalidInputError, UnavailableError } from '../../../shared/domain/errors.js';
import { tokenUsageFromResponse } from '../../../shared/domain/pricing/TokenUsage.js';
import { API_KEY } from './providerTestKit.js';

let sim: RunningSimulator;
let deepseek: DeepSeekRealtimeProvider;

const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 5 };

beforeAll(async () => {
  sim = await startSimulator({ seed: 41, apiKeys: [API_KEY] });
  deepseek = new DeepSeekRealtimeProvider({
    apiKey: API_KEY,
    baseUrl: sim.deepseekBaseUrl,
    retry: FAST_RETRY,
  });
});

afterEach(() => {
  sim.setFaults({});
});

afterAll(async () => {
  await sim.stop();
});

const call = (body: Record<string, unknown>) =>
  deepseek.invoke({ endpoint: '/v1/chat/completions', body, lane: 'realtime' });

const chat = (text: string, model = 'deepseek-flash') => ({
  model,
  messages: [{ role: 'user', content: text }],
  max_tokens: 64,
});

describe('DeepSeekRealtimeProvider against the simulator', () => {
  it("returns DeepSeek's own object, with its cache hit and miss counts", async () => {
    const outcome = await call(chat('Label: great service.'));
    expect(outcome).toMatchObject({
      status: 'succeeded',
      model: 'deepseek-flash',
      serviceTier: 'default',
      httpAttempts: 1,
    });
    const usage = tokenUsageFromResponse('deepseek', '/v1/chat/completions', outcome.response);
    const raw = (outcome.response as { usage: Record<string, number> }).usage;
    expect(usage).toMatchObject({
      inputTokens: raw.prompt_cache_miss_tokens,
      cacheReadTokens: raw.prompt_cache_hit_tokens,
      outputTokens: raw.completion_tokens,
    });
    expect(typeof (outcome.response as { created: unknown }).created).toBe('number');
  });

  it('delivers an unknown model as errored, the request’s own fault', async () => {
    const outcome = await call(chat('x', 'deepseek-nonexistent'));
    expect(outcome.status).toBe('errored');
    expect(outcome.error?.message).toContain('Model Not Exist');
  });

  it('refuses a streaming body and an endpoint DeepSeek does not serve without calling', async () => {
    const before = sim.stats().deepseek.calls;
    expect((await call({ ...chat('x'), stream: true })).status).toBe('errored');
    await expect(
      deepseek.invoke({ endpoint: '/v1/embeddings', body: { input: 'x' }, lane: 'realtime' }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    expect(sim.stats().deepseek.calls).toBe(before);
  });

  it('retries what may pass and throws the project error when it does not', async () => {
    sim.setFaults({ http: { rate: 1, statuses: [503], retryAfterMs: 1, maxPerRequest: 1 } });
    expect((await call(chat('after one 503'))).httpAttempts).toBe(2);
    sim.setFaults({ http: { rate: 1, statuses: [503], retryAfterMs: 1, maxPerRequest: 100 } });
    await expect(call(chat('always 503'))).rejects.toBeInstanceOf(UnavailableError);
  });

  it('turns a wrong key into an AuthError', async () => {
    const stranger = new DeepSeekRealtimeProvider({
      apiKey: 'sk-wrong',
      baseUrl: sim.deepseekBaseUrl,
      retry: FAST_RETRY,
    });
    await expect(
      stranger.invoke({ endpoint: '/v1/chat/completions', body: chat('x'), lane: 'realtime' }),
    ).rejects.toBeInstanceOf(AuthError);
  });
});
