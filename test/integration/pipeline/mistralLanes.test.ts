import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { compressedLanes, inSeconds, type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

/**
 * The lane policy on a compressed clock, as for Gemini: a 600 s window plus 5 s margin,
 * members escalated 600 s before their deadline, batches that take 90 s at the simulator.
 * Mistral has no flex tier, so what Gemini serves on flex Mistral serves on its standard one.
 */
beforeAll(async () => {
  pipeline = await startPipeline(
    compressedLanes({ windowSeconds: 600, escalateBeforeSeconds: 600, processingMs: 90_000 }),
  );
});

afterAll(async () => {
  await pipeline?.stop();
});

const mistral = (id: string, extra: Record<string, unknown> = {}) => ({
  custom_id: id,
  provider: 'mistral',
  body: {
    model: 'mistral-small-latest',
    max_tokens: 64,
    messages: [{ role: 'user', content: `grade ${id}` }],
  },
  destination: pipeline.destinations.sqs,
  metadata: { tag: 'mistral-lanes' },
  ...extra,
});

const only = (id: string): ResultV1 => {
  const results = pipeline.resultsFor(id);
  expect(results, id).toHaveLength(1);
  return results[0] as ResultV1;
};

describe('Pipeline: Mistral requests on every lane', () => {
  it('serves Mistral by batch jobs and its standard tier, and escalates a late batch member once', async () => {
    await pipeline.send([
      mistral('mis-batch-1'),
      mistral('mis-batch-2', {
        body: { model: 'mistral-small-latest', messages: [{ role: 'user', content: 'x' }] },
      }),
      mistral('mis-embed', {
        endpoint: '/v1/embeddings',
        body: { model: 'mistral-embed', input: ['embed me'] },
      }),
      // Due in 5 minutes: inside the 605 s a batch may take, and no flex tier: standard.
      mistral('mis-auto-soon', { tier: 'auto', deadline: inSeconds(300) }),
      mistral('mis-auto-escalated', { tier: 'auto', deadline: inSeconds(640) }),
      // Passes intake (input is given) and Mistral refuses it in the batch (empty input).
      mistral('mis-embed-empty', {
        endpoint: '/v1/embeddings',
        body: { model: 'mistral-embed', input: [] },
      }),
    ]);
    const ids = [
      'mis-batch-1',
      'mis-batch-2',
      'mis-embed',
      'mis-auto-soon',
      'mis-auto-escalated',
      'mis-embed-empty',
    ];
    await pipeline.waitForResults(ids, 420_000);

    const batched = only('mis-batch-1');
    expect(batched).toMatchObject({
      status: 'succeeded',
      provider: 'mistral',
      endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest',
      lane: { requested: 'batch', served_by: 'batch' },
      cost: { basis: 'usage', billed_as: 'batch' },
    });
    expect(batched.usage?.input_tokens).toBeGreaterThan(0);
    expect(batched.cost.realtime_usd).toBeCloseTo(batched.cost.usd * 2, 9);
    expect(batched.response).toMatchObject({ object: 'chat.completion' });
    expect(only('mis-batch-2').status).toBe('succeeded');

    const embedded = only('mis-embed');
    expect(embedded).toMatchObject({
      status: 'succeeded',
      endpoint: '/v1/embeddings',
      cost: { basis: 'usage', billed_as: 'batch' },
      usage: { output_tokens: 0 },
    });
    expect(embedded.batch_id).not.toBe(batched.batch_id);

    // Mistral refused that request in its batch: delivered with its own error, costing nothing.
    expect(only('mis-embed-empty')).toMatchObject({
      status: 'errored',
      error: { type: 'http_422', message: 'body.input: Field required' },
      attempts: 1,
      cost: { basis: 'no_usage', usd: 0 },
    });

    const soon = only('mis-auto-soon');
    expect(soon).toMatchObject({
      status: 'succeeded',
      lane: { requested: 'auto', served_by: 'realtime' },
      cost: { basis: 'usage', billed_as: 'standard' },
    });
    expect(soon.lane.reason).toContain('no flex tier');
    expect(soon.response).toMatchObject({ object: 'chat.completion' });

    const escalated = only('mis-auto-escalated');
    expect(escalated.lane.served_by).toBe('realtime');
    expect(escalated.batch_id).toBe(batched.batch_id);
    await pipeline.waitForResults(ids, 60_000);
    for (const id of ids) expect(pipeline.resultsFor(id), id).toHaveLength(1);
  }, 540_000);
});
