import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../../local/simulator/startSimulator.js';
import { AnthropicBatchProvider } from '../../../shared/adapters/providers/AnthropicBatchProvider.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { API_KEY, submitInput } from './providerTestKit.js';

let sim: RunningSimulator;
let provider: AnthropicBatchProvider;

const lines = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) =>
    formatProviderLine('anthropic', '/v1/messages', `${prefix}-${i}`, {
      model: 'claude-haiku-4-5',
      max_tokens: 16,
      messages: [{ role: 'user', content: `question ${i}` }],
    }),
  );

/** Submits a batch and "forgets" what the provider answered, as a crash right after would. */
const submitAndForget = async (batchId: string, count: number): Promise<void> => {
  await provider.submit(submitInput(batchId, '/v1/messages', lines(batchId, count)));
};

/** A clearly later instant: the simulator stamps creation times in milliseconds. */
const mark = async (): Promise<Date> => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const at = new Date();
  await new Promise((resolve) => setTimeout(resolve, 20));
  return at;
};

beforeAll(async () => {
  sim = await startSimulator({ port: 0, processingMs: 60_000, seed: 5, apiKeys: [API_KEY] });
  provider = new AnthropicBatchProvider({ apiKey: API_KEY, baseUrl: sim.anthropicBaseUrl });
});

afterAll(async () => {
  await sim.stop();
});

describe('AnthropicBatchProvider.findByBatchId against the simulator', () => {
  it('finds the one batch created since the submission started with the same request count', async () => {
    // Prepare: an older batch of the same size, then the lost submission and a different-size batch.
    await submitAndForget('bl-older', 3);
    const startedAt = await mark();
    const lost = await provider.submit(submitInput('bl-lost', '/v1/messages', lines('lost', 3)));
    await submitAndForget('bl-other-size', 5);

    // Act
    const found = await provider.findByBatchId('bl-lost', {
      submittedAfter: startedAt,
      requestCount: 3,
    });

    // Assess
    expect(found).toMatchObject({
      providerBatchId: lost.providerBatchId,
      phase: 'running',
      providerStatus: 'in_progress',
    });
  });

  it('finds nothing when no batch of that size was created since the start', async () => {
    const startedAt = await mark();
    await submitAndForget('bl-seven', 7);
    expect(
      await provider.findByBatchId('bl-never', { submittedAfter: startedAt, requestCount: 6 }),
    ).toBeNull();
    // Batches before the window do not count, even with the right size.
    expect(
      await provider.findByBatchId('bl-never', { submittedAfter: await mark(), requestCount: 7 }),
    ).toBeNull();
  });

  it('adopts nothing when two batches fit, rather than guess', async () => {
    const startedAt = await mark();
    await submitAndForget('bl-twin-a', 4);
    await submitAndForget('bl-twin-b', 4);
    expect(
      await provider.findByBatchId('bl-twin-a', { submittedAfter: startedAt, requestCount: 4 }),
    ).toBeNull();
  });

  it('pages through a long list to reach the window', async () => {
    const startedAt = await mark();
    const lost = await provider.submit(submitInput('bl-paged', '/v1/messages', lines('paged', 2)));
    // More newer batches than one list page holds, none of the lost batch's size.
    for (let i = 0; i < 105; i += 1) await submitAndForget(`bl-noise-${i}`, 1);

    const found = await provider.findByBatchId('bl-paged', {
      submittedAfter: startedAt,
      requestCount: 2,
    });
    expect(found?.providerBatchId).toBe(lost.providerBatchId);
  });
});
