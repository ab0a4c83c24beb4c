import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { compressedLanes, inSeconds, type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

/**
 * The lane policy on a compressed clock, with room for a slow machine: a 600 s window plus
 * 5 s margin, members escalated 600 s before their deadline, batches that take 90 s at the
 * simulator. A request due in 5 minutes goes to flex; one due in 640 s goes to a batch and
 * is escalated 40 s later, while the batch still runs.
 */
beforeAll(async () => {
  pipeline = await startPipeline(
    compressedLanes({ windowSeconds: 600, escalateBeforeSeconds: 600, processingMs: 90_000 }),
  );
});

afterAll(async () => {
  await pipeline?.stop();
});

const gemini = (id: string, extra: Record<string, unknown> = {}) => ({
  custom_id: id,
  provider: 'gemini',
  body: {
    model: 'models/gemini-2.5-flash',
    contents: [{ role: 'user', parts: [{ text: `grade ${id}` }] }],
    generationConfig: { maxOutputTokens: 64 },
  },
  destination: pipeline.destinations.sqs,
  metadata: { tag: 'gemini-lanes' },
  ...extra,
});

const only = (id: string): ResultV1 => {
  const results = pipeline.resultsFor(id);
  expect(results, id).toHaveLength(1);
  return results[0] as ResultV1;
};

describe('Pipeline: Gemini requests on every lane', () => {
  it('serves Gemini by Batch Mode, by its Flex tier, and escalates a late batch member once', async () => {
    await pipeline.send([
      gemini('gem-batch-1'),
      gemini('gem-batch-2', {
        body: {
          model: 'gemini-2.5-flash',
          contents: [{ role: 'user', parts: [{ text: 'x' }] }],
          generationConfig: { temperature: 5 },
        },
      }),
      gemini('gem-flex', { tier: 'flex' }),
      // Due in 5 minutes: inside the 605 s a batch may take, so Gemini's Flex tier serves it.
      gemini('gem-auto-soon', { tier: 'auto', deadline: inSeconds(300) }),
      gemini('gem-auto-escalated', { tier: 'auto', deadline: inSeconds(640) }),
    ]);
    const ids = ['gem-batch-1', 'gem-batch-2', 'gem-flex', 'gem-auto-soon', 'gem-auto-escalated'];
    await pipeline.waitForResults(ids, 240_000);

    const batched = only('gem-batch-1');
    expect(batched).toMatchObject({
      status: 'succeeded',
      provider: 'gemini',
      endpoint: 'generateContent',
      model: 'gemini-2.5-flash',
      lane: { requested: 'batch', served_by: 'batch' },
      cost: { basis: 'usage', billed_as: 'batch' },
    });
    expect(batched.provider_batch_id).toMatch(/^batches\//);
    expect(batched.usage?.input_tokens).toBeGreaterThan(0);
    expect(batched.cost.realtime_usd).toBeCloseTo(batched.cost.usd * 2, 9);
    expect((batched.response as { candidates?: unknown[] }).candidates).toHaveLength(1);

    // Gemini refused that request: delivered at once with its own error, costing nothing.
    expect(only('gem-batch-2')).toMatchObject({
      status: 'errored',
      error: { type: 'INVALID_ARGUMENT' },
      attempts: 1,
      cost: { basis: 'no_usage', usd: 0 },
    });

    for (const id of ['gem-flex', 'gem-auto-soon']) {
      const served = only(id);
      expect({ status: served.status, error: served.error }, id).toEqual({
        status: 'succeeded',
        error: null,
      });
      expect(served.lane.served_by, id).toBe('flex');
      expect(served.cost, id).toMatchObject({ basis: 'usage', billed_as: 'flex' });
      expect(served.cost.realtime_usd).toBeCloseTo(served.cost.usd * 2, 9);
      expect(served.response, id).not.toHaveProperty('sdkHttpResponse');
    }

    const escalated = only('gem-auto-escalated');
    expect(escalated.lane.served_by).toBe('flex');
    expect(escalated.lane.reason).toContain('escalated to flex');
    expect(escalated.batch_id).toBe(batched.batch_id);
    await pipeline.waitForResults(ids, 60_000);
    for (const id of ids) expect(pipeline.resultsFor(id), id).toHaveLength(1);
  }, 360_000);
});
