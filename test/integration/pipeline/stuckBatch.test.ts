import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbTurnaroundLog } from '../../../shared/adapters/aws/DynamoDbTurnaroundLog.js';
import { STUCK_ENV } from '../../../shared/config/stuckConfig.js';
import { anthropicRequest, idsOf } from '../../support/requests.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

beforeAll(async () => {
  // The first batch the simulator is given sits stuck; Anthropic's stuck batches are cancelled
  // and their unfinished requests sent again. With no history, 3 s without progress is stuck.
  pipeline = await startPipeline({
    simulator: { seed: 13, faults: { stuckBatches: 1 } },
    environment: {
      [STUCK_ENV.policy]: JSON.stringify({ anthropic: 'cancel_resubmit', default: 'leave' }),
      [STUCK_ENV.floorMinutes]: '0.05',
    },
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('Pipeline: a stuck batch under cancel_resubmit', () => {
  it('raises Batch Stuck once, cancels it, and delivers every request exactly once from a retry batch', async () => {
    const ids = idsOf('stuck', 12);
    await pipeline.send(ids.map((id) => anthropicRequest(id, pipeline.destinations.sqs)));
    await pipeline.waitForResults(ids, 90_000);

    const stuck = pipeline.events('Batch Stuck');
    expect(stuck).toHaveLength(1);
    const [event] = stuck;
    expect(event).toMatchObject({
      provider: 'anthropic',
      reason: 'no_progress',
      policy: 'cancel_resubmit',
      action: { cancel: true, escalate: false },
      basis: null,
      limit_seconds: 3,
    });
    const stuckBatchId = event?.['batch_id'] as string;

    // The cancelled batch ended with nothing done: every member went on to a retry batch.
    const delivered = pipeline.events('Batch Delivered');
    const ofStuck = delivered.find((d) => d['batch_id'] === stuckBatchId);
    expect(ofStuck?.['retry_batch_ids']).toHaveLength(1);
    const retried = ((ofStuck?.['counts'] ?? {}) as Record<string, number>)['retried'] ?? 0;
    expect(retried).toBeGreaterThan(0);
    expect(retried).toBe(ofStuck?.['request_count']);

    // Nothing lost, nothing doubled: one result each, answered by the retry.
    for (const id of ids) {
      const results = pipeline.resultsFor(id);
      expect(results, id).toHaveLength(1);
      expect(results[0]?.status, id).toBe('succeeded');
    }
    const fromRetry = ids.filter((id) => pipeline.resultsFor(id)[0]?.attempts === 2);
    expect(fromRetry).toHaveLength(retried);
    expect(ids.every((id) => pipeline.resultsFor(id)[0]?.batch_id !== stuckBatchId)).toBe(true);

    // Both batches' times are recorded, once each: the stuck one seen running and never
    // delivering, its retry delivering after the provider's end.
    const log = new DynamoDbTurnaroundLog({
      client: pipeline.aws.documentClient,
      tableName: pipeline.stack.tableName,
    });
    const times = await log.recent('anthropic', 'claude-haiku-4-5');
    const stuckTimes = times.find((t) => t.batchId === stuckBatchId);
    expect(stuckTimes?.inProgressAt).toEqual(expect.any(String));
    expect(stuckTimes?.firstDeliveredAt).toBeNull();
    const retryId = ((ofStuck?.['retry_batch_ids'] ?? []) as string[])[0];
    const retryTimes = times.find((t) => t.batchId === retryId);
    expect(retryTimes?.requestCount).toBe(retried);
    expect(Date.parse(retryTimes?.firstDeliveredAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(retryTimes?.endedAt ?? ''),
    );
    expect(Date.parse(retryTimes?.lastDeliveredAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(retryTimes?.firstDeliveredAt ?? ''),
    );
  });
});
