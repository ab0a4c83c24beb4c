import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../../local/simulator/startSimulator.js';
import { OpenAIBatchProvider } from '../../../shared/adapters/providers/OpenAIBatchProvider.js';
import {
  AuthError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from '../../../shared/domain/errors.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import {
  API_KEY,
  readResults,
  submitInput,
  useSimulator,
  waitForEnded,
} from './providerTestKit.js';

let sim: RunningSimulator;
let provider: OpenAIBatchProvider;
let noRetries: OpenAIBatchProvider;

const chat = (customId: string): string =>
  formatProviderLine('openai', '/v1/chat/completions', customId, {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: `question for ${customId}` }],
    max_tokens: 64,
  });

const simulator = useSimulator(13);

beforeAll(async () => {
  sim = simulator.current;
  provider = new OpenAIBatchProvider({ apiKey: API_KEY, baseUrl: sim.openaiBaseUrl });
  noRetries = new OpenAIBatchProvider({
    apiKey: API_KEY,
    baseUrl: sim.openaiBaseUrl,
    maxRetries: 0,
  });
});

describe('OpenAIBatchProvider against the simulator', () => {
  it('deletes the input and result files of an ended batch, and tolerates files already gone', async () => {
    const submitted = await provider.submit(
      submitInput('bl-o-del', '/v1/chat/completions', [chat('del-1'), chat('del-2')]),
    );
    const ended = await waitForEnded(provider, submitted.providerBatchId);
    expect(ended.resultRefs.length).toBeGreaterThan(0);

    await provider.deleteArtifacts(submitted.providerBatchId);
    await provider.deleteArtifacts(submitted.providerBatchId);

    for (const ref of ended.resultRefs) {
      await expect(provider.openResults(ref)).rejects.toBeInstanceOf(NotFoundError);
    }
  });

  it('uploads, submits, waits for completed, and streams and parses both files', async () => {
    const lines = [
      chat('ok-1'),
      chat('ok-2'),
      chat('bad__sim_invalid_request_error'),
      chat('oops__sim_api_error'),
    ];
    const submitted = await provider.submit(submitInput('bl-o-1', '/v1/chat/completions', lines));
    expect(submitted.phase).toBe('running');
    expect(submitted.providerBatchId).toMatch(/^batch_/);

    const ended = await waitForEnded(provider, submitted.providerBatchId);
    expect(ended).toMatchObject({ phase: 'ended', providerStatus: 'completed', failure: null });
    expect(ended.endedAt).not.toBeNull();
    expect(ended.resultRefs).toHaveLength(2);

    const results = await readResults(provider, ended);
    expect(results.size).toBe(4);
    for (const id of ['ok-1', 'ok-2']) {
      const result = results.get(id);
      expect(result).toMatchObject({ status: 'succeeded', error: null });
      expect(result?.model).toMatch(/^gpt-4o-mini/);
      expect(result?.response).toMatchObject({ object: 'chat.completion' });
      expect(result?.usage?.input_tokens).toBeGreaterThan(0);
    }
    expect(results.get('bad__sim_invalid_request_error')).toMatchObject({
      status: 'errored',
      error: { type: 'invalid_request_error' },
      retryable: false,
    });
    expect(results.get('oops__sim_api_error')).toMatchObject({
      status: 'errored',
      error: { type: 'server_error' },
      retryable: true,
    });
  });

  it('finds the batch again by batchlane batch id', async () => {
    const submitted = await provider.submit(
      submitInput('bl-o-find', '/v1/chat/completions', [chat('f-1')]),
    );
    const found = await provider.findByBatchId('bl-o-find');
    expect(found?.providerBatchId).toBe(submitted.providerBatchId);
    expect(await provider.findByBatchId('bl-o-never-submitted')).toBeNull();
  });

  it('normalises embeddings and Responses usage end to end', async () => {
    const embed = await provider.submit(
      submitInput('bl-o-emb', '/v1/embeddings', [
        formatProviderLine('openai', '/v1/embeddings', 'emb-1', {
          model: 'text-embedding-3-small',
          input: 'some text to embed',
        }),
      ]),
    );
    const responses = await provider.submit(
      submitInput('bl-o-resp', '/v1/responses', [
        formatProviderLine('openai', '/v1/responses', 'resp-1', { model: 'gpt-5', input: 'Hello' }),
      ]),
    );
    const embedding = (
      await readResults(provider, await waitForEnded(provider, embed.providerBatchId))
    ).get('emb-1');
    expect(embedding?.status).toBe('succeeded');
    expect(embedding?.usage?.input_tokens).toBeGreaterThan(0);
    expect(embedding?.usage?.output_tokens).toBe(0);

    const response = (
      await readResults(provider, await waitForEnded(provider, responses.providerBatchId))
    ).get('resp-1');
    expect(response?.status).toBe('succeeded');
    expect(response?.response).toMatchObject({ object: 'response' });
    expect(response?.usage?.output_tokens).toBeGreaterThan(0);
  });

  it('cancels a running batch, which ends cancelled with canceled results', async () => {
    sim.setFaults({ processingMs: 60_000 });
    const submitted = await provider.submit(
      submitInput('bl-o-2', '/v1/chat/completions', [chat('c-1'), chat('c-2'), chat('c-3')]),
    );
    const cancelling = await provider.cancel(submitted.providerBatchId);
    expect(cancelling.providerStatus).toMatch(/^cancell(ing|ed)$/);

    const ended = await waitForEnded(provider, submitted.providerBatchId);
    expect(ended.providerStatus).toBe('cancelled');
    const results = await readResults(provider, ended);
    expect(results.size).toBe(3);
    for (const result of results.values()) {
      expect(result).toMatchObject({
        status: 'canceled',
        error: { type: 'batch_cancelled' },
        retryable: false,
      });
    }
  });

  it('reports requests cut off by expiry as expired and retryable', async () => {
    sim.setFaults({ expireAtFraction: 0 });
    const ids = Array.from({ length: 8 }, (_, i) => `e-${i}`);
    const submitted = await provider.submit(
      submitInput(
        'bl-o-3',
        '/v1/chat/completions',
        ids.map((id) => chat(id)),
      ),
    );
    const ended = await waitForEnded(provider, submitted.providerBatchId);
    expect(ended.providerStatus).toBe('expired');
    const results = await readResults(provider, ended);
    expect(results.size).toBe(8);
    expect([...results.values()].map((r) => r.status)).toContain('expired');
    for (const result of results.values()) {
      if (result.status === 'expired') {
        expect(result).toMatchObject({ retryable: true, error: { type: 'batch_expired' } });
      } else expect(result.status).toBe('succeeded');
    }
  });

  it('translates an HTTP 429 into ThrottledError with the retry-after delay', async () => {
    sim.setFaults({ http: { rate: 1, statuses: [429], retryAfterMs: 1500, maxPerRequest: 5 } });
    const error = await noRetries
      .submit(submitInput('bl-o-4', '/v1/chat/completions', [chat('t-1')]))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterMs).toBe(1500);
    expect((error as ThrottledError).details).toMatchObject({
      provider: 'openai',
      operation: 'files.create',
      status: 429,
    });
  });

  it.each([500, 503])('translates an HTTP %i into UnavailableError', async (status) => {
    sim.setFaults({ http: { rate: 1, statuses: [status], maxPerRequest: 5 } });
    await expect(noRetries.retrieve('batch_x')).rejects.toBeInstanceOf(UnavailableError);
  });

  it('recovers from one injected 503 per call through the SDK retries', async () => {
    sim.setFaults({ http: { rate: 1, statuses: [503], retryAfterMs: 5 } });
    const submitted = await provider.submit(
      submitInput('bl-o-5', '/v1/chat/completions', [chat('r-1')]),
    );
    expect(submitted.providerBatchId).toMatch(/^batch_/);
  });

  it('translates 404 and 401 into NotFoundError and AuthError', async () => {
    await expect(noRetries.retrieve('batch_doesnotexist')).rejects.toBeInstanceOf(NotFoundError);
    await expect(noRetries.openResults('file-doesnotexist')).rejects.toBeInstanceOf(NotFoundError);
    const wrongKey = new OpenAIBatchProvider({
      apiKey: 'sk-wrong',
      baseUrl: sim.openaiBaseUrl,
      maxRetries: 0,
    });
    await expect(wrongKey.retrieve('batch_x')).rejects.toBeInstanceOf(AuthError);
  });
});
