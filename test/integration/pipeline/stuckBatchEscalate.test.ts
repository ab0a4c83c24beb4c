import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STUCK_ENV } from '../../../shared/config/stuckConfig.js';
import { anthropicRequest, idsOf } from '../../support/requests.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

beforeAll(async () => {
  // The first batch sits stuck; Anthropic's stuck batches hand their members with deadlines
  // to the realtime lane. With no history, 3 s without progress is stuck.
  pipeline = await startPipeline({
    simulator: { seed: 17, faults: { stuckBatches: 1 } },
    environment: {
      [STUCK_ENV.policy]: JSON.stringify({ anthropic: 'escalate' }),
      [STUCK_ENV.floorMinutes]: '0.05',
    },
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('Pipeline: a stuck batch under escalate', () => {
  it('raises Batch Stuck once and serves its members with deadlines on the realtime lane, once each', async () => {
    // Deadlines three days out: `auto` puts them in a batch, which then sits stuck.
    const deadline = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const ids = idsOf('esc', 8);
    await pipeline.send(
      ids.map((id) => anthropicRequest(id, pipeline.destinations.sqs, { tier: 'auto', deadline })),
    );
    await pipeline.waitForResults(ids, 90_000);

    const stuck = pipeline.events('Batch Stuck');
    expect(stuck).toHaveLength(1);
    expect(stuck[0]).toMatchObject({
      provider: 'anthropic',
      reason: 'no_progress',
      policy: 'escalate',
      action: { cancel: false, escalate: true },
    });
    const stuckBatchId = stuck[0]?.['batch_id'];
    const submitted = pipeline
      .events('Batch Submitted')
      .find((d) => d['batch_id'] === stuckBatchId);
    expect(submitted?.['request_count']).toBe(ids.length);
    for (const id of ids) {
      const results = pipeline.resultsFor(id);
      expect(results, id).toHaveLength(1);
      expect(results[0]?.status, id).toBe('succeeded');
      expect(results[0]?.lane?.served_by, id).toBe('realtime');
    }
  });
});
