import { describe, expect, it } from 'vitest';
import { type RealtimeJob, realtimeRequestKey } from '../../../shared/domain/RealtimeJob.js';
import { createRealtimeWorker } from '../../../shared/usecases/createRealtimeWorker.js';
import { batchOf, claimAloneWith, lineOf, uid } from '../../contract/stateFixtures.js';
import { fakeRuntime } from '../../support/fakeRuntime.js';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/results';

/**
 * The realtime worker serves a request only while its ledger entry is the realtime lane's:
 * the collector sends the job first and marks the entry `realtime` after, so a quicker worker
 * serves it still `pending`; a job left over from a request a batch took serves nothing.
 */
describe('the realtime worker and the ledger entry of its request', () => {
  const setUp = async () => {
    const rt = fakeRuntime({ start: '2026-11-26T10:00:00.000Z' });
    const serve = createRealtimeWorker(rt.deps);
    const customId = uid('rt');
    const requestHash = `h-${customId}`;
    const request = {
      custom_id: customId,
      provider: 'anthropic',
      body: { model: 'claude-test', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] },
    };
    const key = realtimeRequestKey('', customId, requestHash);
    await rt.blobs.put(key, JSON.stringify(request));
    const job: RealtimeJob = {
      schema: 'batchlane.realtime-job.v1',
      custom_id: customId,
      producer: '',
      request_hash: requestHash,
      request_key: key,
      provider: 'anthropic',
      endpoint: '/v1/messages',
      model: 'claude-test',
      lane: 'realtime',
      requested: 'flex',
      reason: 'tier flex',
      destination: { type: 'sqs', queue_url: QUEUE },
      metadata: null,
      deadline: null,
      accepted_at: rt.clock.now().toISOString(),
      reserved_nano_usd: 0,
      reserved_on: null,
      hold_until: null,
      attempt: 1,
      target: { kind: 'request' },
    };
    await rt.store.registerRequest({
      producer: '',
      customId,
      requestHash,
      state: 'pending',
      acceptedAt: job.accepted_at,
      expiresAt: 1_900_000_000,
    });
    return { rt, serve, job };
  };

  it('serves a request its collector has not yet marked realtime, once', async () => {
    const { rt, serve, job } = await setUp();
    expect((await serve(job)).outcome).toBe('delivered');
    // The collector's mark comes after: it is the lane's still, and served already.
    expect(await rt.store.markRealtime('', job.custom_id, job.request_hash)).toBe(true);
    expect((await serve(job)).outcome).toBe('already-delivered');
    expect(rt.deliverer.allResults().map((r) => r.custom_id)).toEqual([job.custom_id]);
    expect(rt.realtimeProvider.tries).toBe(1);
  });

  it('serves nothing for a request a batch took', async () => {
    const { rt, serve, job } = await setUp();
    const batchId = uid('b');
    await rt.store.createBatch(batchOf(batchId));
    const line = lineOf(batchId, 0, job.custom_id, job.request_hash);
    expect(await claimAloneWith(rt.store, rt.blobs)(line)).toBe(true);
    expect((await serve(job)).outcome).toBe('missing');
    expect(rt.realtimeQueue.size).toBe(0);
    expect(rt.realtimeProvider.tries).toBe(0);
    expect(rt.deliverer.allResults()).toEqual([]);
    // The batch still holds it: the job wrote nothing on its entry.
    expect(
      await rt.store.registerRequest({
        producer: '',
        customId: job.custom_id,
        requestHash: job.request_hash,
        state: 'pending',
        acceptedAt: job.accepted_at,
        expiresAt: 1_900_000_000,
      }),
    ).toMatchObject({ kind: 'duplicate', existing: { state: 'claimed' } });
  });
});
