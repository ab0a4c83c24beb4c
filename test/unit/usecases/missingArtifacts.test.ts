import { describe, expect, it, vi } from 'vitest';
import { DETAIL_TYPES } from '../../../shared/contract/events.js';
import { METRIC } from '../../../shared/contract/metrics.js';
import { NotFoundError, UnavailableError } from '../../../shared/domain/errors.js';
import { partMembersKeyOf } from '../../../shared/domain/partMembers.js';
import { createCollector } from '../../../shared/usecases/createCollector.js';
import { createCompletion } from '../../../shared/usecases/createCompletion.js';
import { createPoller } from '../../../shared/usecases/createPoller.js';
import { missingArtifactOf } from '../../../shared/usecases/haltOnMissingArtifact.js';
import { type FakeRuntime, fakeRuntime } from '../../support/fakeRuntime.js';
import { anthropicRequest } from '../../support/requests.js';
import { seedEndedBatch } from './completion/endedBatch.js';

const DESTINATION = {
  type: 'sqs',
  queue_url: 'https://sqs.us-east-1.amazonaws.com/111111111111/results',
} as const;

const request = (id: string) => ({
  messageId: `m-${id}`,
  body: JSON.stringify(anthropicRequest(id, DESTINATION)),
});

/** Collects three requests into one batch, submits it and lets the provider end it. */
const endedBatch = async (runtime: FakeRuntime): Promise<string> => {
  const report = await createCollector(runtime.deps)(['a', 'b', 'c'].map(request));
  const [batchId] = report.batches;
  if (batchId === undefined) throw new Error('no batch was made');
  const complete = createCompletion(runtime.deps);
  // Sealed at once (no filling time): completion assembles and submits it.
  expect((await complete(batchId)).outcome).toBe('submitted');
  runtime.clock.advance(5 * 60_000);
  await createPoller(runtime.deps)();
  expect((await runtime.store.getBatch(batchId))?.state).toBe('ended');
  return batchId;
};

describe('completion of a batch whose member sidecar is gone', () => {
  it('halts the batch visibly once: code, metric, event, no delivery, off the poller', async () => {
    const runtime = fakeRuntime();
    const batchId = await endedBatch(runtime);
    const sidecar = partMembersKeyOf(batchId, 1);
    expect(await runtime.blobs.exists(sidecar)).toBe(true);
    await runtime.blobs.delete(sidecar);

    const report = await createCompletion(runtime.deps)(batchId);

    expect(report.outcome).toBe('artifacts-missing');
    expect(runtime.deliverer.allResults()).toEqual([]);
    const batch = await runtime.store.getBatch(batchId);
    expect(batch?.state).toBe('ended');
    expect(batch?.lastError).toMatch(/^artifacts_missing: .*members\.jsonl is missing/);
    expect(batch?.completionLeaseUntil).toBeNull();
    expect(batch?.nextPollAt).toBe('9999-12-31T23:59:59.999Z');
    expect(runtime.metrics.total(METRIC.BatchArtifactsMissing)).toBe(1);
    const events = runtime.events
      .published()
      .filter((e) => e.detailType === DETAIL_TYPES.batchUndeliverable);
    expect(events.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        batch_id: batchId,
        provider: 'anthropic',
        request_count: 3,
        code: 'artifacts_missing',
        missing: runtime.blobs.uri(sidecar),
      }),
    ]);

    // The poller no longer hands it to completion: no endless retry, nothing to a DLQ.
    runtime.clock.advance(60 * 60_000);
    const polled = await createPoller(runtime.deps)();
    expect(polled.examined).toBe(0);
  });

  it('delivers every member once the sidecar is restored and the batch handed back', async () => {
    const runtime = fakeRuntime();
    const batchId = await endedBatch(runtime);
    const sidecar = partMembersKeyOf(batchId, 1);
    const kept = await runtime.blobs.getStream(sidecar);
    const chunks: Buffer[] = [];
    for await (const chunk of kept) chunks.push(Buffer.from(chunk as Uint8Array));
    await runtime.blobs.delete(sidecar);
    const complete = createCompletion(runtime.deps);
    expect((await complete(batchId)).outcome).toBe('artifacts-missing');

    // What an operator does: restore the object's noncurrent version, send the batch id again.
    await runtime.blobs.put(sidecar, Buffer.concat(chunks));
    const report = await complete(batchId);

    expect(report.outcome).toBe('completed');
    expect(
      runtime.deliverer
        .allResults()
        .map((r) => r.custom_id)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });

  it('still retries a batch whose failure is not a missing file', async () => {
    const runtime = fakeRuntime();
    const batchId = await endedBatch(runtime);
    vi.spyOn(runtime.store, 'listItems').mockImplementation(() => {
      throw new Error('DynamoDB is unavailable');
    });
    await expect(createCompletion(runtime.deps)(batchId)).rejects.toThrow(/unavailable/);
    expect(runtime.metrics.total(METRIC.BatchArtifactsMissing)).toBe(0);
    expect((await runtime.store.getBatch(batchId))?.nextPollAt).not.toMatch(/^9999/);
  });
});

describe('completion of a batch whose input file is gone', () => {
  it('halts before its sweep of unanswered members when some are to be sent again', async () => {
    const runtime = fakeRuntime();
    const { batchId, customIds } = await seedEndedBatch(runtime, {
      size: 3,
      // 1: no result and no attempt left (delivered errored by the sweep); 2: sent again.
      answerOf: (i) => (i === 1 ? 'missing' : i === 2 ? 'overloaded' : 'succeeded'),
      attemptsOf: (i) => (i === 1 ? 2 : 1),
    });
    const inputKey = `batches/${batchId}/input.jsonl`;
    await runtime.blobs.delete(inputKey);

    const report = await createCompletion(runtime.deps)(batchId);

    expect(report.outcome).toBe('artifacts-missing');
    // The results file went out before the input was needed; the sweep did not.
    expect(runtime.deliverer.allResults().map((r) => r.custom_id)).toEqual([customIds[0]]);
    expect((await runtime.store.getBatch(batchId))?.lastError).toBe(
      `artifacts_missing: ${runtime.blobs.uri(inputKey)} is missing (expired or deleted); restore it and hand the batch to completion again`,
    );
  });
});

describe('missingArtifactOf', () => {
  const notFound = (key: string) =>
    new NotFoundError(`blob ${key} does not exist`, { code: 'not_found', details: { key } });

  it('names a missing file of a batch, and nothing else', () => {
    const sidecar = partMembersKeyOf('bl_1', 2);
    expect(missingArtifactOf(notFound(sidecar))).toBe(sidecar);
    expect(missingArtifactOf(notFound('batches/bl_1/results-0.jsonl'))).toBe(
      'batches/bl_1/results-0.jsonl',
    );
    // A claim check, a provider's missing batch, a transient failure: not a halt.
    expect(missingArtifactOf(notFound('claims/p/abc.json'))).toBeNull();
    expect(
      missingArtifactOf(new NotFoundError('no batch msgbatch_1', { code: 'not_found' })),
    ).toBeNull();
    expect(
      missingArtifactOf(
        new UnavailableError('S3 is down', { code: 'unavailable', details: { key: sidecar } }),
      ),
    ).toBeNull();
  });
});
