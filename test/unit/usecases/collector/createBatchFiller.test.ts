import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../../shared/domain/errors.js';
import { partMembersKeyOf } from '../../../../shared/domain/partMembers.js';
import {
  createBatchFiller,
  type FillRequest,
} from '../../../../shared/usecases/createBatchFiller.js';
import { partKeyOf } from '../../../../shared/usecases/sealBatch.js';
import { fakeRuntime } from '../../../support/fakeRuntime.js';
import { readAll } from '../../../support/fakes/readAll.js';
import { batchesOf, drainSealing, RESULTS, submittedBatches } from './collectorScenario.js';

/** A batch-lane request as the collector hands it to the filler. */
const fillRequest = (customId: string, requestHash = `hash-${customId}`): FillRequest => {
  const line = `${JSON.stringify({
    custom_id: 'r000000',
    params: {
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: customId }],
    },
  })}\n`;
  return {
    provider: 'anthropic',
    endpoint: '/v1/messages',
    model: 'claude-sonnet-4-6',
    producer: '',
    customId,
    requestHash,
    line,
    lineBytes: Buffer.byteLength(line),
    estimate: { inputTokens: 10, nanoUsd: 1_000, priced: true },
    lane: { requested: 'batch', reason: 'tier batch' },
    destination: RESULTS,
    metadata: null,
    deadline: null,
  };
};

const ids = (requests: readonly FillRequest[]) => requests.map((r) => r.customId);

const text = async (fake: ReturnType<typeof fakeRuntime>, key: string) =>
  (await readAll(await fake.blobs.getStream(key))).toString('utf8');

describe('createBatchFiller', () => {
  it("writes a group's requests as one part: lines, sidecar, reservation and claims", async () => {
    const fake = fakeRuntime({ settings: { batchMaxAgeMs: 3_600_000 } });
    const fill = createBatchFiller(fake.deps);

    const report = await fill(['c-1', 'c-2', 'c-3'].map((id) => fillRequest(id)));

    expect(ids(report.claimed)).toEqual(['c-1', 'c-2', 'c-3']);
    expect([report.lost, report.conflicts, report.unstorable, report.failed]).toEqual([
      [],
      [],
      [],
      [],
    ]);
    expect(report.full).toEqual([]);
    const [batchId] = report.batchIds;
    if (batchId === undefined) throw new Error('no batch');
    const lines = (await text(fake, partKeyOf(batchId, 1))).trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { custom_id: string }).custom_id)).toEqual([
      'r000000',
      'r000001',
      'r000002',
    ]);
    expect((await text(fake, partMembersKeyOf(batchId, 1))).trimEnd().split('\n')).toHaveLength(3);
    const [batch] = await batchesOf(fake.deps, [batchId]);
    expect(batch).toMatchObject({ state: 'filling', requestCount: 3, partCount: 1 });
    expect(batch?.inputBytes).toBe(lines.reduce((sum, l) => sum + Buffer.byteLength(`${l}\n`), 0));
  });

  it('reports a request the ledger holds already as lost, and a different one under its id as a conflict', async () => {
    const fake = fakeRuntime({ settings: { batchMaxAgeMs: 3_600_000 } });
    const fill = createBatchFiller(fake.deps);
    await fill([fillRequest('c-1'), fillRequest('c-2')]);

    const report = await fill([
      fillRequest('c-1'),
      fillRequest('c-2', 'another-hash'),
      fillRequest('c-3'),
    ]);

    expect(ids(report.lost)).toEqual(['c-1']);
    expect(ids(report.conflicts)).toEqual(['c-2']);
    expect(ids(report.claimed)).toEqual(['c-3']);
  });

  it('marks the batch full at the request limit and moves the rest to a new batch', async () => {
    const fake = fakeRuntime({ settings: { batchMaxAgeMs: 3_600_000, maxRequestsPerBatch: 2 } });
    const fill = createBatchFiller(fake.deps);

    const report = await fill(['c-1', 'c-2', 'c-3'].map((id) => fillRequest(id)));

    expect(ids(report.claimed)).toEqual(['c-1', 'c-2', 'c-3']);
    expect(report.batchIds).toHaveLength(2);
    expect(report.full).toEqual([report.batchIds[0]]);
    const batches = await batchesOf(fake.deps, report.batchIds);
    expect(batches.map((b) => b.requestCount)).toEqual([2, 1]);
  });

  it('hands back the requests of a part whose claims failed; the retry and sealing place each once', async () => {
    const fake = fakeRuntime({ processingMs: 86_400_000, settings: { batchMaxAgeMs: 3_600_000 } });
    const fill = createBatchFiller(fake.deps);
    const requests = ['c-1', 'c-2'].map((id) => fillRequest(id));
    fake.store.failNext(
      'claimPartMembers',
      new UnavailableError('throttled', { code: 'throttled' }),
    );

    const failed = await fill(requests);
    const retried = await fill(requests);

    expect(ids(failed.failed)).toEqual(['c-1', 'c-2']);
    expect(failed.claimed).toEqual([]);
    expect(ids(retried.claimed)).toEqual(['c-1', 'c-2']);
    // Part 1 was opened and never claimed into: sealing settles it from its sidecar, where
    // the ledger has both requests in part 2 already.
    await drainSealing(fake);
    const [submitted] = await submittedBatches(fake, retried.batchIds);
    expect(submitted?.batch).toMatchObject({ state: 'submitted', requestCount: 2, partCount: 2 });
    expect([...(submitted?.members.values() ?? [])].sort()).toEqual(['c-1', 'c-2']);
    expect([...(submitted?.providerLines ?? [])].sort()).toEqual(['r000002', 'r000003']);
  });
});
