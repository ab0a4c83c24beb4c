import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../../../shared/contract/events.js';
import { UnavailableError } from '../../../../shared/domain/errors.js';
import { createCollector } from '../../../../shared/usecases/createCollector.js';
import { fakeRuntime } from '../../../support/fakeRuntime.js';
import {
  batchesOf,
  drainSealing,
  message,
  RESULTS,
  rejectionsOf,
  requestBody,
  requests,
  submittedBatches,
} from './collectorScenario.js';

/** A filling time long enough that batches fill across invocations. */
const FILLING = { batchMaxAgeMs: 3_600_000 };
/** Provider batches that run for a day: submitted batches stay `submitted` in these tests. */
const RUNNING = 86_400_000;

describe('createCollector: refusals', () => {
  it.each([
    ['malformed_json', '{"custom_id": "c-1", ', null],
    ['not_an_object', '[1, 2, 3]', null],
    [
      'unknown_provider',
      JSON.stringify({ ...JSON.parse(requestBody('c-2')), provider: 'nobody' }),
      'c-2',
    ],
    [
      'provider_not_enabled',
      JSON.stringify({ ...JSON.parse(requestBody('c-3')), provider: 'mistral' }),
      'c-3',
    ],
    ['unknown_field', JSON.stringify({ ...JSON.parse(requestBody('c-4')), colour: 'blue' }), 'c-4'],
  ])(
    'refuses %s with its code, alone, and acknowledges the message',
    async (code, body, customId) => {
      const fake = fakeRuntime({ settings: FILLING });
      const collect = createCollector(fake.deps);

      const report = await collect([message('m-bad', body), ...requests(10, 2)]);

      expect(report).toMatchObject({ failedMessageIds: [], accepted: 2, rejected: 1, folded: 0 });
      expect(rejectionsOf(fake).get('m-bad')).toEqual([
        expect.objectContaining({ custom_id: customId, reason: expect.objectContaining({ code }) }),
      ]);
      // A refusal whose id and destination are readable gets a `rejected` result there.
      const delivered = fake.deliverer.receivedAt(RESULTS);
      if (customId === null) expect(delivered).toEqual([]);
      else {
        expect(delivered).toEqual([
          expect.objectContaining({
            custom_id: customId,
            status: 'rejected',
            error: expect.objectContaining({ type: code }),
          }),
        ]);
      }
    },
  );

  it('folds an identical resend silently, in the same invocation and in a later one', async () => {
    const fake = fakeRuntime({ settings: FILLING, processingMs: RUNNING });
    const collect = createCollector(fake.deps);
    const [first] = requests(1, 1);
    if (first === undefined) throw new Error('no request');

    const report = await collect([first, message('m-1-again', first.body)]);
    const later = await collect([message('m-1-later', first.body)]);

    expect(report).toMatchObject({ failedMessageIds: [], accepted: 1, folded: 1, rejected: 0 });
    expect(later).toMatchObject({ failedMessageIds: [], accepted: 0, folded: 1, rejected: 0 });
    expect(fake.events.detailsOf(DETAIL_TYPES.requestRejected)).toEqual([]);
    // The later resend's line was reserved before the ledger folded it: sealing leaves it out.
    await drainSealing(fake);
    const submitted = await submittedBatches(fake, report.batches);
    expect(submitted.map((b) => [b.batch.requestCount, [...b.members.values()]])).toEqual([
      [1, ['c-1']],
    ]);
    expect(submitted[0]?.providerLines).toEqual([...(submitted[0]?.members.keys() ?? [])]);
  });

  it('refuses a different body under an id already taken with conflicting_resend, delivering nothing', async () => {
    const fake = fakeRuntime({ settings: FILLING });
    const collect = createCollector(fake.deps);
    await collect(requests(1, 1));

    const sameBatch = await collect([
      message('m-other-body', requestBody('c-1', 'a different question')),
    ]);
    const inOneInvocation = await collect([
      message('m-5', requestBody('c-5')),
      message('m-5-other', requestBody('c-5', 'another question')),
    ]);

    expect(sameBatch).toMatchObject({ failedMessageIds: [], accepted: 0, rejected: 0 });
    expect(inOneInvocation).toMatchObject({ failedMessageIds: [], accepted: 1, rejected: 1 });
    const rejections = rejectionsOf(fake);
    for (const id of ['m-other-body', 'm-5-other']) {
      expect(rejections.get(id), id).toEqual([
        expect.objectContaining({
          result_delivered: false,
          reason: expect.objectContaining({ code: 'conflicting_resend' }),
        }),
      ]);
    }
    // The first body's outcome is the one the destination will get: no `rejected` result.
    expect(fake.deliverer.allResults()).toEqual([]);
  });

  it('hands back only the messages whose write failed; their neighbours are accepted', async () => {
    const fake = fakeRuntime({ settings: FILLING });
    const collect = createCollector(fake.deps);
    // The refusal of m-bad cannot be recorded for now: it alone goes back to SQS.
    fake.store.failNext(
      'registerRequest',
      new UnavailableError('throttled', { code: 'throttled' }),
    );

    const report = await collect([
      message('m-bad', JSON.stringify({ ...JSON.parse(requestBody('c-9')), provider: 'nobody' })),
      ...requests(1, 3),
    ]);

    expect(report).toMatchObject({ failedMessageIds: ['m-bad'], accepted: 3 });
    expect(rejectionsOf(fake).has('m-bad')).toBe(false);
    const again = await collect([
      message('m-bad', JSON.stringify({ ...JSON.parse(requestBody('c-9')), provider: 'nobody' })),
    ]);
    expect(again).toMatchObject({ failedMessageIds: [], rejected: 1 });
    expect(rejectionsOf(fake).get('m-bad')?.length).toBe(1);
  });
});

describe('createCollector: filling batches', () => {
  it('adds each invocation as a part of the same filling batch', async () => {
    const fake = fakeRuntime({ settings: FILLING });
    const collect = createCollector(fake.deps);

    const first = await collect(requests(1, 3));
    const second = await collect(requests(4, 2));

    expect(first.batches).toEqual(second.batches);
    const [batch] = await batchesOf(fake.deps, first.batches);
    expect(batch).toMatchObject({ state: 'filling', requestCount: 5, partCount: 2 });
    expect(fake.completionQueue.size).toBe(0);
  });

  it("starts a new batch at the provider's request limit and seals the full one", async () => {
    const fake = fakeRuntime({ settings: { ...FILLING, maxRequestsPerBatch: 3 } });
    const collect = createCollector(fake.deps);

    const report = await collect(requests(1, 5));

    expect(report).toMatchObject({ failedMessageIds: [], accepted: 5 });
    const batches = await batchesOf(fake.deps, report.batches);
    expect(batches.map((b) => [b.state, b.requestCount])).toEqual([
      ['sealing', 3],
      ['filling', 2],
    ]);
    // The full batch is handed to the completion function to assemble and submit.
    expect(fake.completionQueue.size).toBe(1);
  });

  it('starts a new batch when the next part would pass the byte limit', async () => {
    // The bytes of three provider lines, as a batch without a limit counts them.
    const probe = fakeRuntime({ settings: FILLING });
    const probed = await createCollector(probe.deps)(requests(1, 3));
    const [three] = await batchesOf(probe.deps, probed.batches);
    const limit = (three?.inputBytes ?? 0) - 1;
    const fake = fakeRuntime({ settings: { ...FILLING, maxBytesPerBatch: limit } });
    const collect = createCollector(fake.deps);

    const first = await collect(requests(1, 2));
    const second = await collect(requests(3, 2));

    expect([first.accepted, second.accepted]).toEqual([2, 2]);
    const batches = await batchesOf(fake.deps, [...first.batches, ...second.batches]);
    expect(batches.map((b) => b.requestCount)).toEqual([2, 2]);
    for (const batch of batches) expect(batch.inputBytes).toBeLessThanOrEqual(limit);
  });

  it('with no filling time, seals what each invocation filled, and the batch is submitted', async () => {
    const fake = fakeRuntime({ processingMs: RUNNING });
    const collect = createCollector(fake.deps);

    const report = await collect(requests(1, 4));
    await drainSealing(fake);

    const [submitted] = await submittedBatches(fake, report.batches);
    expect(submitted?.batch).toMatchObject({ state: 'submitted', requestCount: 4 });
    expect([...(submitted?.members.values() ?? [])].sort()).toEqual(['c-1', 'c-2', 'c-3', 'c-4']);
    expect(submitted?.providerLines.sort()).toEqual([...(submitted?.members.keys() ?? [])].sort());
  });
});
