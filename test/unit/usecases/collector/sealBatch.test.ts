import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../../../shared/contract/events.js';
import { METRIC } from '../../../../shared/contract/metrics.js';
import { UnavailableError } from '../../../../shared/domain/errors.js';
import { partMembersKeyOf } from '../../../../shared/domain/partMembers.js';
import { createCollector } from '../../../../shared/usecases/createCollector.js';
import { finishSealing, partKeyOf, sealBatch } from '../../../../shared/usecases/sealBatch.js';
import { fakeRuntime } from '../../../support/fakeRuntime.js';
import { readAll } from '../../../support/fakes/readAll.js';
import { drainSealing, ledgerEntryOf, requests, submittedBatches } from './collectorScenario.js';

/** Batches that fill across invocations, and provider batches that run for a day. */
const setUp = () =>
  fakeRuntime({ processingMs: 86_400_000, settings: { batchMaxAgeMs: 3_600_000 } });

const throttled = () => new UnavailableError('throttled', { code: 'throttled' });

describe('sealBatch', () => {
  it('assembles the parts in order, submits them and publishes Batch Submitted', async () => {
    const fake = setUp();
    const collect = createCollector(fake.deps);
    const first = await collect(requests(1, 3));
    await collect(requests(4, 2));
    const [batchId] = first.batches;
    if (batchId === undefined) throw new Error('no batch');
    const parts = await Promise.all(
      [1, 2].map(async (n) =>
        (await readAll(await fake.blobs.getStream(partKeyOf(batchId, n)))).toString('utf8'),
      ),
    );

    const sealed = await sealBatch(fake.deps, batchId, 'full');

    expect(sealed).toMatchObject({ state: 'submitted', requestCount: 5 });
    expect(sealed?.providerBatchId).not.toBeNull();
    const input = (await readAll(await fake.blobs.getStream(sealed?.inputKey ?? ''))).toString(
      'utf8',
    );
    expect(input).toBe(parts.join(''));
    expect(sealed?.inputBytes).toBe(Buffer.byteLength(input));
    // The parts are in the input file now: their objects are gone.
    expect(await fake.blobs.exists(partKeyOf(batchId, 1))).toBe(false);
    expect(fake.events.detailsOf(DETAIL_TYPES.batchSubmitted)).toEqual([
      expect.objectContaining({ batch_id: batchId, request_count: 5, provider: 'anthropic' }),
    ]);
    const [submitted] = await submittedBatches(fake, [batchId]);
    expect([...(submitted?.members.values() ?? [])]).toEqual(['c-1', 'c-2', 'c-3', 'c-4', 'c-5']);
  });

  it('returns null for a batch that is no longer filling', async () => {
    const fake = setUp();
    const { batches } = await createCollector(fake.deps)(requests(1, 1));
    const [batchId] = batches;
    if (batchId === undefined) throw new Error('no batch');
    await sealBatch(fake.deps, batchId, 'full');

    expect(await sealBatch(fake.deps, batchId, 'age')).toBeNull();
    expect(fake.events.detailsOf(DETAIL_TYPES.batchSubmitted)).toHaveLength(1);
  });

  it('settles a part its collector never committed from its sidecar: its claims stand', async () => {
    const fake = setUp();
    const collect = createCollector(fake.deps);
    // The claims are made, the commit is not: the collector hands the messages back.
    fake.store.failNext('commitPart', throttled());
    const cut = await collect(requests(1, 3));
    expect(cut.failedMessageIds).toEqual(['m-1', 'm-2', 'm-3']);
    const [batchId] = cut.batches;
    if (batchId === undefined) throw new Error('no batch');

    const sealed = await sealBatch(fake.deps, batchId, 'age');
    const redelivered = await collect(requests(1, 3));

    expect(sealed).toMatchObject({ state: 'submitted', requestCount: 3 });
    // The ledger already has them in the sealed batch: the resends fold.
    expect(redelivered).toMatchObject({ failedMessageIds: [], accepted: 0, folded: 3 });
    for (const id of ['c-1', 'c-2', 'c-3']) {
      expect(await ledgerEntryOf(fake.deps, id)).toMatchObject({ state: 'claimed', batchId });
    }
    const [submitted] = await submittedBatches(fake, [batchId]);
    expect([...(submitted?.providerLines ?? [])].sort()).toEqual(
      [...(submitted?.members.keys() ?? [])].sort(),
    );
  });

  it('settles a part whose claims never started by claiming its sidecar members itself', async () => {
    const fake = setUp();
    const collect = createCollector(fake.deps);
    fake.store.failNext('claimPartMembers', throttled());
    const cut = await collect(requests(1, 2));
    const [batchId] = cut.batches;
    if (batchId === undefined) throw new Error('no batch');

    const sealed = await sealBatch(fake.deps, batchId, 'age');
    const redelivered = await collect(requests(1, 2));

    expect(sealed).toMatchObject({ state: 'submitted', requestCount: 2 });
    expect(redelivered).toMatchObject({ failedMessageIds: [], accepted: 0, folded: 2 });
    const [submitted] = await submittedBatches(fake, [batchId]);
    expect([...(submitted?.members.values() ?? [])].sort()).toEqual(['c-1', 'c-2']);
  });

  it('leaves out the lines of a settled part whose requests another batch won', async () => {
    const fake = setUp();
    const collect = createCollector(fake.deps);
    fake.store.failNext('claimPartMembers', throttled());
    const cut = await collect(requests(1, 2));
    const [first] = cut.batches;
    if (first === undefined) throw new Error('no batch');
    // The first batch stops filling before the retry: the retry's part goes to a new batch
    // and claims both requests there, before sealing settles the cut part.
    await fake.store.stopFilling(first, fake.clock.now().toISOString());
    const redelivered = await collect(requests(1, 2));
    const [second] = redelivered.batches;
    if (second === undefined) throw new Error('no second batch');
    expect(second).not.toBe(first);

    const stopped = await fake.store.getBatch(first);
    if (stopped === null) throw new Error('first batch gone');
    const emptied = await finishSealing(fake.deps, stopped);
    const sealed = await sealBatch(fake.deps, second, 'age');

    // Every line of the first batch belonged to the second: it closes with no member.
    expect(emptied).toMatchObject({ state: 'completed', requestCount: 0 });
    expect(sealed).toMatchObject({ state: 'submitted', requestCount: 2 });
    expect(fake.events.detailsOf(DETAIL_TYPES.batchSubmitted)).toHaveLength(1);
  });

  it('halts, once and visibly, a batch with an uncommitted part that has no sidecar', async () => {
    // A part opened by the version that wrote member items instead of sidecars, whose
    // collector died before committing it: an uncommitted part with no sidecar.
    const fake = setUp();
    const collect = createCollector(fake.deps);
    fake.store.failNext('commitPart', throttled());
    const cut = await collect(requests(1, 2));
    const [batchId] = cut.batches;
    if (batchId === undefined) throw new Error('no batch');
    await fake.blobs.delete(partMembersKeyOf(batchId, 1));

    const parked = await sealBatch(fake.deps, batchId, 'age');
    // The poller and the completion function would take it up again if it were due.
    await drainSealing(fake);

    // Halted: due never, its reason on the record, untouched since, reported once.
    const missing = fake.blobs.uri(partMembersKeyOf(batchId, 1));
    expect(parked).toMatchObject({ state: 'sealing', nextPollAt: '9999-12-31T23:59:59.999Z' });
    expect(parked?.lastError).toContain(`artifacts_missing: ${missing}`);
    expect(await fake.store.getBatch(batchId)).toEqual(parked);
    expect(fake.metrics.total(METRIC.BatchArtifactsMissing)).toBe(1);
    expect(fake.events.detailsOf(DETAIL_TYPES.batchUndeliverable)).toEqual([
      expect.objectContaining({ batch_id: batchId, code: 'artifacts_missing', missing }),
    ]);
    expect(fake.events.detailsOf(DETAIL_TYPES.batchSubmitted)).toEqual([]);
  });

  it('still fails, to be retried, when what is missing is not a sidecar', async () => {
    const fake = setUp();
    const { batches } = await createCollector(fake.deps)(requests(1, 1));
    const [batchId] = batches;
    if (batchId === undefined) throw new Error('no batch');
    fake.store.failNext('sealParts', throttled());

    await expect(sealBatch(fake.deps, batchId, 'age')).rejects.toBeInstanceOf(UnavailableError);
    expect(fake.metrics.total(METRIC.BatchArtifactsMissing)).toBe(0);
  });
});
