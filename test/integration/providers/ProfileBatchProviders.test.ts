import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../../local/simulator/startSimulator.js';
import { OpenAIBatchProvider } from '../../../shared/adapters/providers/OpenAIBatchProvider.js';
import {
  BUILT_IN_PROFILES,
  type BuiltInProfileId,
  type ProviderProfile,
  ProviderProfileSchema,
} from '../../../shared/contract/providerProfile.js';
import { AuthError, InvalidInputError } from '../../../shared/domain/errors.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { API_KEY, readResults, submitInput, waitForEnded } from './providerTestKit.js';

/*
 * Each built-in profile driven by the OpenAI adapter against the simulator's copy of that
 * provider: the adapter writes the provider's own lines, file purpose, endpoint and window,
 * and reads back its batch objects and result lines.
 */

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, processingMs: 300, seed: 17, apiKeys: [API_KEY] });
});

afterEach(() => {
  sim.setFaults({});
});

afterAll(async () => {
  await sim.stop();
});

/** A model each provider offers in batch (Azure: the model; the adapter names the deployment). */
const MODELS: Record<BuiltInProfileId, string> = {
  together: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
  groq: 'llama-3.1-8b-instant',
  xai: 'grok-3-mini',
  'azure-openai': 'gpt-4.1-mini',
};

const providerFor = (profile: ProviderProfile, apiKey = API_KEY): OpenAIBatchProvider =>
  new OpenAIBatchProvider({
    apiKey,
    baseUrl: sim.profileBaseUrls[profile.id] ?? null,
    maxRetries: 0,
    profile,
  });

const chat = (id: BuiltInProfileId, customId: string): string =>
  formatProviderLine(id, '/v1/chat/completions', customId, {
    model: MODELS[id],
    messages: [{ role: 'user', content: `question for ${customId}` }],
    max_tokens: 64,
  });

describe.each(Object.keys(MODELS) as BuiltInProfileId[])('profile %s', (id) => {
  const profile = BUILT_IN_PROFILES[id];

  it('submits, waits for the end, and reads every result by custom_id', async () => {
    const provider = providerFor(profile);
    const lines = [chat(id, 'ok-1'), chat(id, 'ok-2'), chat(id, 'bad__sim_invalid_request_error')];
    const submitted = await provider.submit(
      submitInput(`bl-${id}-1`, '/v1/chat/completions', lines),
    );
    expect(submitted).toMatchObject({ phase: 'running', providerStatus: 'validating' });

    const ended = await waitForEnded(provider, submitted.providerBatchId);
    expect(ended).toMatchObject({ phase: 'ended', providerStatus: 'completed', failure: null });
    expect(ended.endedAt).not.toBeNull();
    const results = await readResults(provider, ended);
    expect([...results.keys()].sort()).toEqual(['bad__sim_invalid_request_error', 'ok-1', 'ok-2']);
    for (const customId of ['ok-1', 'ok-2']) {
      const result = results.get(customId);
      expect(result).toMatchObject({ status: 'succeeded', error: null });
      expect(result?.usage?.input_tokens).toBeGreaterThan(0);
      // Azure answers with the model its deployment serves; the price table matches it.
      expect(result?.model?.startsWith(MODELS[id])).toBe(true);
    }
    expect(results.get('bad__sim_invalid_request_error')).toMatchObject({
      status: 'errored',
      retryable: false,
    });
  });

  it('finds its batch again by batchlane batch id', async () => {
    const provider = providerFor(profile);
    const submitted = await provider.submit(
      submitInput(`bl-${id}-find`, '/v1/chat/completions', [chat(id, 'f-1')]),
    );
    expect((await provider.findByBatchId(`bl-${id}-find`))?.providerBatchId).toBe(
      submitted.providerBatchId,
    );
    expect(await provider.findByBatchId(`bl-${id}-never`)).toBeNull();
  });

  it('cancels a running batch, whose requests come back canceled', async () => {
    sim.setFaults({ processingMs: 60_000 });
    const provider = providerFor(profile);
    const submitted = await provider.submit(
      submitInput(`bl-${id}-cancel`, '/v1/chat/completions', [chat(id, 'c-1'), chat(id, 'c-2')]),
    );
    const cancelling = await provider.cancel(submitted.providerBatchId);
    expect(cancelling.providerStatus).toMatch(/^cancell(ing|ed)$/);
    const ended = await waitForEnded(provider, submitted.providerBatchId);
    expect(ended.providerStatus).toBe('cancelled');
    const results = await readResults(provider, ended);
    expect([...results.values()].map((result) => result.status)).toEqual(['canceled', 'canceled']);
  });

  it('refuses an endpoint the profile does not take, before any call', async () => {
    const provider = providerFor(profile);
    await expect(
      provider.submit(submitInput(`bl-${id}-resp`, '/v1/responses', [chat(id, 'r-1')])),
    ).rejects.toMatchObject({ code: 'unsupported_endpoint' });
  });

  it('translates a refused key into AuthError', async () => {
    const provider = providerFor(profile, 'sk-wrong');
    await expect(provider.retrieve('batch_missing')).rejects.toBeInstanceOf(AuthError);
  });
});

describe('profile departures', () => {
  it("sends Groq the profile's window, and the batch expires that far out", async () => {
    const sevenDays = ProviderProfileSchema.parse({
      ...BUILT_IN_PROFILES.groq,
      window: { ...BUILT_IN_PROFILES.groq.window, request: '7d' },
    });
    const provider = providerFor(sevenDays);
    const submitted = await provider.submit(
      submitInput('bl-groq-7d', '/v1/chat/completions', [chat('groq', 'w-1')]),
    );
    const created = Date.parse(submitted.expiresAt ?? '') - 7 * 24 * 3600 * 1000;
    expect(Math.abs(created - Date.now())).toBeLessThan(60_000);
  });

  it('sends Azure the deployment the profile maps a model to', async () => {
    const mapped = ProviderProfileSchema.parse({
      ...BUILT_IN_PROFILES['azure-openai'],
      quirks: {
        ...BUILT_IN_PROFILES['azure-openai'].quirks,
        deployments: { 'gpt-4.1-mini': 'gpt-4o-mini-standard' },
      },
    });
    // The simulated resource's `gpt-4o-mini-standard` is a Standard deployment: the batch
    // fails validation, which shows the line named it.
    const provider = providerFor(mapped);
    const submitted = await provider.submit(
      submitInput('bl-az-map', '/v1/chat/completions', [chat('azure-openai', 'm-1')]),
    );
    const ended = await waitForEnded(provider, submitted.providerBatchId);
    expect(ended).toMatchObject({ providerStatus: 'failed', failure: { code: 'model_not_found' } });
  });

  it("reports Together's failed batch with its reason", async () => {
    const provider = providerFor(BUILT_IN_PROFILES.together);
    const submitted = await provider.submit(
      submitInput('bl-t-fail', '/v1/chat/completions', [chat('together', 'x'.repeat(65))]),
    );
    const ended = await waitForEnded(provider, submitted.providerBatchId);
    expect(ended.providerStatus).toBe('failed');
    expect(ended.failure?.message).toMatch(/at most 64/);
  });

  it('refuses input over the profile byte limit before uploading', async () => {
    const tiny = ProviderProfileSchema.parse({
      ...BUILT_IN_PROFILES.xai,
      limits: { ...BUILT_IN_PROFILES.xai.limits, maxBytes: 100 },
    });
    await expect(
      providerFor(tiny).submit(
        submitInput('bl-x-big', '/v1/chat/completions', [chat('xai', 'b-1'), chat('xai', 'b-2')]),
      ),
    ).rejects.toBeInstanceOf(InvalidInputError);
  });
});
