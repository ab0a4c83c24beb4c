import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../../local/simulator/startSimulator.js';
import { AnthropicBatchProvider } from '../../../shared/adapters/providers/AnthropicBatchProvider.js';
import {
  AuthError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from '../../../shared/domain/errors.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import {
  API_KEY,
  readLines,
  readResults,
  submitInput,
  useSimulator,
  waitForEnded,
} from './providerTestKit.js';

let sim: RunningSimulator;
let provider: AnthropicBatchProvider;
let noRetries: AnthropicBatchProvider;

const line = (customId: string, text = `question for ${customId}`): string =>
  formatProviderLine('anthropic', '/v1/messages', customId, {
    model: 'claude-sonnet-4-6',
    max_tokens: 64,
    messages: [{ role: 'user', content: text }],
  });

const simulator = useSimulator(11);

beforeAll(async () => {
  sim = simulator.current;
  provider = new AnthropicBatchProvider({ apiKey: API_KEY, baseUrl: sim.anthropicBaseUrl });
  noRetries = new AnthropicBatchProvider({
    apiKey: API_KEY,
    baseUrl: sim.anthropicBaseUrl,
    maxRetries: 0,
  });
});

describe('AnthropicBatchProvider against the simulator', () => {
  it('deletes an ended batch once its results are archived', async () => {
    const submitted = await provider.submit(
      submitInput('bl-a-del', '/v1/messages', [line('del-1')]),
    );
    await waitForEnded(provider, submitted.providerBatchId);

    await provider.deleteArtifacts(submitted.providerBatchId);

    await expect(provider.retrieve(submitted.providerBatchId)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('submits, waits for ended, and streams and parses every result', async () => {
    const lines = [
      line('ok-1'),
      line('ok-2'),
      line('bad__sim_invalid_request_error'),
      line('busy__sim_overloaded_error'),
    ];
    const submitted = await provider.submit(submitInput('bl-a-1', '/v1/messages', lines));
    expect(submitted).toMatchObject({ phase: 'running', providerStatus: 'in_progress' });
    expect(submitted.providerBatchId).toMatch(/^msgbatch_/);
    expect(submitted.resultRefs).toEqual([]);

    const ended = await waitForEnded(provider, submitted.providerBatchId);
    expect(ended).toMatchObject({ phase: 'ended', providerStatus: 'ended', failure: null });
    expect(ended.endedAt).not.toBeNull();
    expect(ended.expiresAt).not.toBeNull();
    expect(ended.resultRefs).toHaveLength(1);
    expect(ended.resultRefs[0]?.startsWith(sim.url)).toBe(true);

    const results = await readResults(provider, ended);
    expect([...results.keys()].sort()).toEqual(
      ['ok-1', 'ok-2', 'bad__sim_invalid_request_error', 'busy__sim_overloaded_error'].sort(),
    );
    for (const id of ['ok-1', 'ok-2']) {
      const result = results.get(id);
      expect(result).toMatchObject({
        status: 'succeeded',
        error: null,
        model: 'claude-sonnet-4-6',
      });
      expect(result?.response).toMatchObject({ type: 'message', role: 'assistant' });
      expect(result?.usage?.output_tokens).toBeGreaterThan(0);
    }
    expect(results.get('bad__sim_invalid_request_error')).toMatchObject({
      status: 'errored',
      error: { type: 'invalid_request_error' },
      retryable: false,
    });
    expect(results.get('busy__sim_overloaded_error')).toMatchObject({
      status: 'errored',
      error: { type: 'overloaded_error' },
      retryable: true,
    });

    // The batch id works as a ref too, and both give the same raw bytes.
    const byUrl = await readLines(await provider.openResults(ended.resultRefs[0] ?? ''));
    const byId = await readLines(await provider.openResults(ended.providerBatchId));
    expect(byId).toEqual(byUrl);
    expect(byUrl).toHaveLength(4);
  });

  it('cancels a running batch, which ends with canceled results', async () => {
    sim.setFaults({ processingMs: 60_000 });
    const submitted = await provider.submit(
      submitInput('bl-a-2', '/v1/messages', [line('c-1'), line('c-2'), line('c-3')]),
    );
    const canceling = await provider.cancel(submitted.providerBatchId);
    expect(canceling).toMatchObject({ phase: 'running', providerStatus: 'canceling' });

    const ended = await waitForEnded(provider, submitted.providerBatchId);
    const results = await readResults(provider, ended);
    expect(results.size).toBe(3);
    for (const result of results.values()) {
      expect(result).toMatchObject({ status: 'canceled', retryable: false, response: null });
    }
  });

  it('reports requests cut off by expiry as expired and retryable', async () => {
    sim.setFaults({ expireAtFraction: 0 });
    const ids = Array.from({ length: 8 }, (_, i) => `e-${i}`);
    const submitted = await provider.submit(
      submitInput(
        'bl-a-3',
        '/v1/messages',
        ids.map((id) => line(id)),
      ),
    );
    const results = await readResults(
      provider,
      await waitForEnded(provider, submitted.providerBatchId),
    );
    expect(results.size).toBe(8);
    const statuses = [...results.values()].map((r) => r.status);
    expect(statuses).toContain('expired');
    for (const result of results.values()) {
      if (result.status === 'expired') expect(result.retryable).toBe(true);
      else expect(result.status).toBe('succeeded');
    }
  });

  it('surfaces a results download cut mid-line as a stream error, and a retry reads all', async () => {
    sim.setFaults({ truncateResults: { afterLines: 2, times: 1 } });
    const ids = ['d-1', 'd-2', 'd-3', 'd-4'];
    const submitted = await provider.submit(
      submitInput(
        'bl-a-7',
        '/v1/messages',
        ids.map((id) => line(id)),
      ),
    );
    const ended = await waitForEnded(provider, submitted.providerBatchId);
    const ref = ended.resultRefs[0] ?? '';
    await expect(readLines(await provider.openResults(ref))).rejects.toThrow();
    expect(await readLines(await provider.openResults(ref))).toHaveLength(4);
  });

  it('recovers from one injected 429 per call through the SDK retries', async () => {
    const submitted = await provider.submit(submitInput('bl-a-4', '/v1/messages', [line('r-1')]));
    sim.setFaults({ http: { rate: 1, statuses: [429], retryAfterMs: 5 } });
    const snapshot = await provider.retrieve(submitted.providerBatchId);
    expect(snapshot.providerBatchId).toBe(submitted.providerBatchId);
  });

  it('translates an HTTP 429 into ThrottledError with the retry-after delay', async () => {
    const submitted = await provider.submit(submitInput('bl-a-5', '/v1/messages', [line('t-1')]));
    sim.setFaults({ http: { rate: 1, statuses: [429], retryAfterMs: 1500, maxPerRequest: 5 } });
    const error = await noRetries.retrieve(submitted.providerBatchId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterMs).toBe(1500);
    expect((error as ThrottledError).details).toMatchObject({ provider: 'anthropic', status: 429 });
  });

  it.each([
    [500, 'unavailable'],
    [503, 'unavailable'],
    [529, 'overloaded'],
  ])('translates an HTTP %i into UnavailableError (%s)', async (status, code) => {
    sim.setFaults({ http: { rate: 1, statuses: [status], maxPerRequest: 5 } });
    const error = await noRetries
      .submit(submitInput('bl-a-6', '/v1/messages', [line('u-1')]))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).code).toBe(code);
  });

  it('translates 404 and 401 into NotFoundError and AuthError', async () => {
    await expect(noRetries.retrieve('msgbatch_doesnotexist')).rejects.toBeInstanceOf(NotFoundError);
    const wrongKey = new AnthropicBatchProvider({
      apiKey: 'sk-wrong',
      baseUrl: sim.anthropicBaseUrl,
      maxRetries: 0,
    });
    await expect(wrongKey.retrieve('msgbatch_x')).rejects.toBeInstanceOf(AuthError);
  });
});
