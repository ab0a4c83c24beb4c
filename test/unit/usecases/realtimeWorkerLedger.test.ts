import { describe, expect, it } from 'vitest';
import { type RealtimeJob, realtimeRequestKey } from '../../../shared/domain/RealtimeJob.js';
import { createRealtimeWorker } from '../../../shared/usecases/createRealtimeWorker.js';
import { batchOf, claimAloneWith, lineOf, uid } from '../../contract/stateFixtures.js';
import { fakeRuntime } from '../../support/fakeRuntime.js';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/results';

/**
 * The realtime worker serves a request only while its ledger entry is the realtime lane's:
 * the collector sends the job first and marks the entry `realtime` after, so a quicker worker
 * waits for the mark, and a job left over from a request a batch took serves nothing.
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
      requested: 'realtime',
      reason: 'tier realtime',
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

  it('sends a job back for a moment while its collector has not marked the entry yet', async () => {
    const { rt, serve, job } = await setUp();
    expect((await serve(job)).outcome).toBe('pending');
    expect(rt.realtimeProvider.tries).toBe(0);
    expect(rt.deliverer.allResults()).toEqual([]);
    // Back on the queue as a new message, the same try, visible a second later.
    expect(rt.realtimeQueue.receive(10, 30)).toEqual([]);
    rt.clock.advanceSeconds(1);
    const [again] = rt.realtimeQueue.receive(10, 30);
    expect(JSON.parse(again?.body ?? '{}')).toEqual(job);

    await rt.store.markRealtime('', job.custom_id, job.request_hash);
    expect((await serve(job)).outcome).toBe('delivered');
    expect(rt.deliverer.allResults().map((r) => r.custom_id)).toEqual([job.custom_id]);
    expect((await serve(job)).outcome).toBe('already-delivered');
    expect(rt.deliverer.allResults()).toHaveLength(1);
  });

  it('drops a job whose entry stays pending past a collector run: its retry sends it again', async () => {
    const { rt, serve, job } = await setUp();
    rt.clock.advanceSeconds(rt.deps.settings.leaseMs / 1000);
    expect((await serve(job)).outcome).toBe('missing');
    expect(rt.realtimeQueue.size).toBe(0);
    expect(rt.realtimeProvider.tries).toBe(0);
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
  });
});
