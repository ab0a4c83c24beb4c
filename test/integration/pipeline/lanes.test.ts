import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { compressedLanes, inSeconds, type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

/**
 * A compressed clock for the lane policy: a provider "window" of 60 s plus a 5 s margin, and
 * members escalated 155 s before their deadline. Batches take 40 s at the simulator, so a
 * request due in 3 minutes goes to a batch, and is escalated 25 s later while it still runs.
 */
beforeAll(async () => {
  pipeline = await startPipeline(
    compressedLanes({ windowSeconds: 60, escalateBeforeSeconds: 155, processingMs: 40_000 }),
  );
});

afterAll(async () => {
  await pipeline?.stop();
});

const openaiChat = (id: string, extra: Record<string, unknown>) => ({
  custom_id: id,
  provider: 'openai',
  body: { model: 'gpt-5-mini', messages: [{ role: 'user', content: `grade ${id}` }] },
  destination: pipeline.destinations.sqs,
  metadata: { tag: 'lanes' },
  ...extra,
});

const only = (id: string): ResultV1 => {
  const results = pipeline.resultsFor(id);
  expect(results, id).toHaveLength(1);
  return results[0] as ResultV1;
};

describe('Pipeline: lanes chosen by deadline', () => {
  it('serves short deadlines by flex (or standard realtime), long ones by batch, and escalates a late batch once', async () => {
    await pipeline.send([
      // Due in 30 s: no room for a batch; OpenAI offers flex.
      openaiChat('lane-auto-soon', { tier: 'auto', deadline: inSeconds(30) }),
      // Asked for flex directly.
      openaiChat('lane-flex', { tier: 'flex' }),
      // Due in 10 minutes: room for the 65 s a batch may take.
      openaiChat('lane-auto-later', { tier: 'auto', deadline: inSeconds(600) }),
      // Due in 3 minutes: batch, but the batch still runs 155 s before the deadline.
      openaiChat('lane-auto-escalated', { tier: 'auto', deadline: inSeconds(180) }),
      // Anthropic has no flex: a short deadline is served at standard realtime prices.
      {
        custom_id: 'lane-anthropic-soon',
        provider: 'anthropic',
        body: {
          model: 'claude-haiku-4-5',
          max_tokens: 32,
          messages: [{ role: 'user', content: 'hi' }],
        },
        destination: pipeline.destinations.sqs,
        tier: 'auto',
        deadline: inSeconds(30),
      },
    ]);
    const ids = [
      'lane-auto-soon',
      'lane-flex',
      'lane-auto-later',
      'lane-auto-escalated',
      'lane-anthropic-soon',
    ];
    await pipeline.waitForResults(ids, 120_000);

    const soon = only('lane-auto-soon');
    expect(soon.status).toBe('succeeded');
    expect(soon.lane).toMatchObject({ requested: 'auto', served_by: 'flex' });
    expect(soon.lane.reason).toContain('inside the');
    expect(soon.batch_id).toBeNull();
    expect(soon.cost).toMatchObject({ basis: 'usage', billed_as: 'flex' });
    expect(soon.cost.usd).toBeGreaterThan(0);
    expect(soon.cost.realtime_usd).toBeCloseTo(soon.cost.usd * 2, 9);

    expect(only('lane-flex').lane).toEqual({
      requested: 'flex',
      served_by: 'flex',
      reason: 'tier flex',
    });

    const anthropic = only('lane-anthropic-soon');
    expect(anthropic.lane).toMatchObject({ requested: 'auto', served_by: 'realtime' });
    expect(anthropic.cost.billed_as).toBe('standard');
    expect(anthropic.cost.saved_usd).toBe(0);

    const escalated = only('lane-auto-escalated');
    expect(escalated.lane.requested).toBe('auto');
    expect(escalated.lane.served_by).toBe('flex');
    expect(escalated.lane.reason).toContain('escalated to flex');
    expect(escalated.batch_id).not.toBeNull();

    // The batch ended after the escalation: its own answer for the escalated member was
    // dropped, its other member was delivered from it.
    const batched = only('lane-auto-later');
    expect(batched.lane).toMatchObject({ requested: 'auto', served_by: 'batch' });
    expect(batched.batch_id).toBe(escalated.batch_id);
    expect(batched.cost.billed_as).toBe('batch');
    const store = new DynamoDbStateStore({
      client: pipeline.aws.documentClient,
      tableName: pipeline.stack.tableName,
      blobs: new S3BlobStore({ client: pipeline.aws.s3, bucket: pipeline.stack.artifactsBucket }),
    });
    let state = (await store.getBatch(escalated.batch_id ?? ''))?.state;
    for (let tries = 0; tries < 100 && state !== 'completed'; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      state = (await store.getBatch(escalated.batch_id ?? ''))?.state;
    }
    expect(state).toBe('completed');
    await pipeline.waitForResults(ids, 10_000);
    for (const id of ids) expect(pipeline.resultsFor(id), id).toHaveLength(1);
    // The batch's cost covers what it delivered; the escalated member is on the realtime lane.
    const ended = pipeline.events('Batch Ended').find((d) => d['batch_id'] === escalated.batch_id);
    const cost = ended?.['cost'] as { usd: number; by_model: Record<string, { requests: number }> };
    expect(cost.by_model['gpt-5-mini']?.requests).toBe(1);
    expect(cost.usd).toBeCloseTo(batched.cost.usd, 9);
  }, 240_000);
});
