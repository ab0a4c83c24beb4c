import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { waitUntil } from '../../support/waitUntil.js';
import { compressedLanes, inSeconds, type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

/** The provider "window" the lane policy plans a batch for, on a compressed clock. */
const WINDOW_SECONDS = 3600;
/** How long before its deadline a batched `auto` member is escalated. */
const ESCALATE_BEFORE_SECONDS = 5400;

/**
 * The lane policy on a compressed clock, with room for a loaded machine: no deadline here
 * passes before its request is served, however slow the run. A provider "window" of an hour
 * plus a 5 s margin: a request due in half an hour is inside it, one due in an hour and a half
 * (or later) is batched. Members are escalated an hour and a half before their deadline, so
 * the member due then is late from the start: the poller escalates it on its first look at
 * the running batch (the poller runs every 250 ms; the simulator runs a batch 40 s), while the
 * member due hours later stays with the batch.
 */
beforeAll(async () => {
  pipeline = await startPipeline(
    compressedLanes({
      windowSeconds: WINDOW_SECONDS,
      escalateBeforeSeconds: ESCALATE_BEFORE_SECONDS,
      processingMs: 40_000,
    }),
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
      // Due inside the window: no room for a batch; OpenAI offers flex.
      openaiChat('lane-auto-soon', { tier: 'auto', deadline: inSeconds(WINDOW_SECONDS / 2) }),
      // Asked for flex directly.
      openaiChat('lane-flex', { tier: 'flex' }),
      // Due in hours: room for the window a batch may take, and never late while it runs.
      openaiChat('lane-auto-later', {
        tier: 'auto',
        deadline: inSeconds(ESCALATE_BEFORE_SECONDS + WINDOW_SECONDS),
      }),
      // Room for the window too, but already due for escalation while its batch runs.
      openaiChat('lane-auto-escalated', {
        tier: 'auto',
        deadline: inSeconds(ESCALATE_BEFORE_SECONDS),
      }),
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
        deadline: inSeconds(WINDOW_SECONDS / 2),
      },
    ]);
    const ids = [
      'lane-auto-soon',
      'lane-flex',
      'lane-auto-later',
      'lane-auto-escalated',
      'lane-anthropic-soon',
    ];
    await pipeline.waitForResults(ids, 400_000);

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
    const stateOfBatch = async () => (await store.getBatch(escalated.batch_id ?? ''))?.state;
    await waitUntil(
      async () => (await stateOfBatch()) === 'completed',
      'the batch to be completed',
      120_000,
    );
    expect(await stateOfBatch()).toBe('completed');
    await pipeline.waitForResults(ids, 10_000);
    for (const id of ids) expect(pipeline.resultsFor(id), id).toHaveLength(1);
    // The batch's cost covers what it delivered; the escalated member is on the realtime lane.
    const ended = pipeline.events('Batch Ended').find((d) => d['batch_id'] === escalated.batch_id);
    const cost = ended?.['cost'] as { usd: number; by_model: Record<string, { requests: number }> };
    expect(cost.by_model['gpt-5-mini']?.requests).toBe(1);
    expect(cost.usd).toBeCloseTo(batched.cost.usd, 9);
  }, 600_000);
});
