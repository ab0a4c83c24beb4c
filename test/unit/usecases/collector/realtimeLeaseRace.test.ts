import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../../shared/domain/errors.js';
import { RealtimeJobSchema } from '../../../../shared/domain/RealtimeJob.js';
import type { RealtimeProvider } from '../../../../shared/ports/RealtimeProvider.js';
import { createCollector } from '../../../../shared/usecases/createCollector.js';
import { createRealtimeWorker } from '../../../../shared/usecases/createRealtimeWorker.js';
import type { RuntimeDeps } from '../../../../shared/usecases/RuntimeDeps.js';
import { fakeRuntime } from '../../../support/fakeRuntime.js';
import { anthropicRequest } from '../../../support/requests.js';
import { drainSealing, ledgerEntryOf, submittedBatches } from './collectorScenario.js';

const START = '2026-03-02T00:00:00.000Z';
const HOUR_MS = 3_600_000;
const RESULTS = { type: 'sqs', queue_url: 'https://sqs.us-east-1.amazonaws.com/111111111111/out' };

/**
 * An `auto` request due in 24.5 hours: inside the 24 h batch window plus the one-hour margin
 * of the first deployment (realtime lane), outside the 24 h window alone (batch lane).
 */
const racedMessage = {
  messageId: 'm-raced',
  body: JSON.stringify(
    anthropicRequest('raced', RESULTS, {
      tier: 'auto',
      deadline: new Date(Date.parse(START) + 24.5 * HOUR_MS).toISOString(),
    }),
  ),
};

/** A realtime provider whose calls wait for `open()`: a worker caught while it serves. */
const heldProvider = (provider: RealtimeProvider) => {
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let entered = () => {};
  const called = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const held: RealtimeProvider = {
    name: provider.name,
    supportsFlex: provider.supportsFlex,
    invoke: async (call, options) => {
      entered();
      await gate;
      return provider.invoke(call, options);
    },
  };
  return { held, called, open };
};

describe('a request a realtime worker holds, packed for a batch by a retry of its collector', () => {
  it('is folded by the batch claim and served once, by the realtime lane', async () => {
    const rt = fakeRuntime({ start: START });
    // The collector sends the job, then dies before it marks the entry `realtime`.
    rt.store.failNext('markRealtime', new UnavailableError('throttled', { code: 'throttled' }));
    const first = await createCollector(rt.deps)([racedMessage]);
    expect(first.failedMessageIds).toEqual(['m-raced']);
    expect((await ledgerEntryOf(rt.deps, 'raced'))?.state).toBe('pending');

    // A worker takes the job and leases the request; its provider call is under way.
    const [queued] = rt.realtimeQueue.drain();
    if (queued === undefined) throw new Error('no realtime job was sent');
    const job = RealtimeJobSchema.parse(JSON.parse(queued.body));
    const provider = heldProvider(rt.realtimeProvider);
    const worker = createRealtimeWorker({
      ...rt.deps,
      realtimeProviders: { ...rt.deps.realtimeProviders, anthropic: provider.held },
    });
    const serving = worker(job);
    await provider.called;

    // The message's retry runs on a deployment whose lane policy now trusts a batch for it.
    const redeployed: RuntimeDeps = {
      ...rt.deps,
      settings: {
        ...rt.deps.settings,
        lanePolicy: { ...rt.deps.settings.lanePolicy, batchMarginMs: 0 },
      },
    };
    const retry = await createCollector(redeployed)([racedMessage]);
    // Taken by the realtime lane: folded, not an error, and the message is done with.
    expect(retry).toMatchObject({ failedMessageIds: [], accepted: 0, folded: 1, rejected: 0 });
    expect(rt.deliverer.allResults()).toEqual([]);

    provider.open();
    expect((await serving).outcome).toBe('delivered');
    await drainSealing(rt);
    // The part the retry opened for it holds no member, and no batch went to the provider
    // with it: the realtime lane delivered it, once.
    expect(retry.batches).toHaveLength(1);
    for (const batchId of retry.batches) {
      for await (const page of rt.store.listItems(batchId)) expect(page).toEqual([]);
    }
    const sent = await submittedBatches(rt, retry.batches);
    expect(sent.flatMap((batch) => batch.providerLines)).toEqual([]);
    expect(rt.deliverer.allResults().map((r) => [r.custom_id, r.status])).toEqual([
      ['raced', 'succeeded'],
    ]);
    expect(rt.realtimeProvider.tries).toBe(1);
    expect((await ledgerEntryOf(rt.deps, 'raced'))?.state).toBe('pending');
  });
});
