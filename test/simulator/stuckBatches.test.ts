import { GoogleGenAI, JobState } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import {
  anthropicClient,
  chatLine,
  collect,
  messageParams,
  openaiClient,
  uploadJsonl,
  waitFor,
} from './simulatorTestKit.js';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ processingMs: 100, seed: 5, apiKeys: ['sk-sim-test'] });
});

afterAll(async () => {
  await sim.stop();
});

const requests = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ custom_id: `s${i}`, params: messageParams(`q ${i}`) }));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('stuck batches', () => {
  it('stuckBatches: the next batch sits in_progress with nothing done; the one after runs', async () => {
    const anthropic = anthropicClient(sim);
    sim.setFaults({ stuckBatches: 1 });
    const stuck = await anthropic.messages.batches.create({ requests: requests(3) });
    const normal = await anthropic.messages.batches.create({ requests: requests(2) });
    await waitFor(
      () => anthropic.messages.batches.retrieve(normal.id),
      (b) => b.processing_status === 'ended',
    );
    // Many processing times later, the stuck one has not moved.
    await pause(500);
    const still = await anthropic.messages.batches.retrieve(stuck.id);
    expect(still.processing_status).toBe('in_progress');
    expect(still.request_counts).toMatchObject({ processing: 3, succeeded: 0 });

    // A cancel ends it, every request canceled: nothing was done.
    await anthropic.messages.batches.cancel(stuck.id);
    const ended = await waitFor(
      () => anthropic.messages.batches.retrieve(stuck.id),
      (b) => b.processing_status === 'ended',
    );
    expect(ended.request_counts).toMatchObject({ canceled: 3, succeeded: 0 });
    const results = await collect(await anthropic.messages.batches.results(stuck.id));
    expect(results.map((r) => r.result.type)).toEqual(['canceled', 'canceled', 'canceled']);
  });

  it('Gemini: a stuck batch sits PENDING, as real ones have for days, until cancelled', async () => {
    const ai = new GoogleGenAI({
      apiKey: 'sk-sim-test',
      httpOptions: { baseUrl: sim.geminiBaseUrl },
    });
    sim.setFaults({ stuckBatches: 1 });
    const created = await ai.batches.create({
      model: 'gemini-2.5-flash',
      src: [{ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], metadata: { key: 'a' } }],
    });
    await pause(400);
    expect((await ai.batches.get({ name: created.name ?? '' })).state).toBe(
      JobState.JOB_STATE_PENDING,
    );
    expect(sim.stats().stuckBatches).toBeGreaterThanOrEqual(1);
    await ai.batches.cancel({ name: created.name ?? '' });
    const ended = await waitFor(
      () => ai.batches.get({ name: created.name ?? '' }),
      (job) => job.state === JobState.JOB_STATE_CANCELLED,
    );
    expect(ended.state).toBe(JobState.JOB_STATE_CANCELLED);
  });

  it('per batch: OpenAI metadata sim_stuck keeps it validating until cancelled', async () => {
    const openai = openaiClient(sim);
    const file = await uploadJsonl(openai, [chatLine('a', 'x'), chatLine('b', 'y')]);
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { sim_stuck: 'true' },
    });
    await pause(400);
    expect((await openai.batches.retrieve(batch.id)).status).toBe('validating');
    await openai.batches.cancel(batch.id);
    const done = await waitFor(
      () => openai.batches.retrieve(batch.id),
      (b) => b.status === 'cancelled',
    );
    expect(done.request_counts?.completed ?? 0).toBe(0);
  });
});
