import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { parseDestinationPolicy } from '../../../../shared/domain/destinationPolicy.js';
import { InvalidInputError, UnavailableError } from '../../../../shared/domain/errors.js';
import { createCompletion } from '../../../../shared/usecases/createCompletion.js';
import { createReplay } from '../../../../shared/usecases/createReplay.js';
import { PARKED_ROOT } from '../../../../shared/usecases/parkedPrefix.js';
import { fakeRuntime } from '../../../support/fakeRuntime.js';
import {
  FIFO_DESTINATION,
  resultsByCustomId,
  S3_DESTINATION,
  seedEndedBatch,
} from './endedBatch.js';

describe('createCompletion on fakes', () => {
  it('delivers every result of an ended batch once, in chunks, with a partial chunk at the end', async () => {
    const rt = fakeRuntime();
    const { batchId, customIds } = await seedEndedBatch(rt, {
      size: 23,
      partSize: 10,
      answerOf: (i) => (i === 5 ? 'invalid' : 'succeeded'),
    });
    const report = await createCompletion(rt.deps, { chunkSize: 5 })(batchId);

    expect(report).toMatchObject({ outcome: 'completed', delivered: 23, retried: 0, skipped: 0 });
    expect(report.counts).toEqual({
      succeeded: 22,
      errored: 1,
      expired: 0,
      canceled: 0,
      rejected: 0,
      retried: 0,
    });
    const byId = resultsByCustomId(rt);
    expect([...byId.keys()].sort()).toEqual([...customIds].sort());
    for (const results of byId.values()) expect(results).toHaveLength(1);
    expect(byId.get(customIds[5] ?? '')?.[0]?.status).toBe('errored');
    // Five chunks of the results file: four full, the last of three.
    const parts = new Set(rt.deliverer.deliveries().map((d) => d.context.part.split('-')[1]));
    expect(parts.size).toBe(5);
    expect(rt.deliverer.deliveries().map((d) => d.results.length)).toEqual([5, 5, 5, 5, 3]);
    const batch = await rt.store.getBatch(batchId);
    expect(batch?.state).toBe('completed');
    expect(batch?.completionLeaseUntil).toBeNull();
    expect(batch?.checkpoint?.counts).toEqual(report.counts);
    // The checkpoint is past the whole results file.
    const file = await buffer(await rt.blobs.getStream(batch?.resultKeys[0] ?? ''));
    expect(batch?.checkpoint).toMatchObject({ fileIndex: 0, offset: file.length });
    // Costs: one ledger write for the batch, summing every result's.
    const day = rt.clock.now().toISOString().slice(0, 10);
    let costed = 0;
    for await (const entry of rt.costs.entries({ since: day, until: day })) {
      expect(entry.source).toBe(batchId);
      costed += entry.requests;
    }
    expect(costed).toBe(23);
    const events = rt.events.published().map((e) => e.detailType);
    expect(events).toEqual(['Batch Ended', 'Batch Delivered']);
    expect(await rt.turnarounds.recent('anthropic', 'claude-sonnet-4-6')).toHaveLength(1);
  });

  it('completes an empty batch with zero counts and no delivery', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, { size: 0 });
    const report = await createCompletion(rt.deps)(batchId);
    expect(report).toMatchObject({ outcome: 'completed', delivered: 0, retried: 0 });
    expect(report.counts).toEqual({
      succeeded: 0,
      errored: 0,
      expired: 0,
      canceled: 0,
      rejected: 0,
      retried: 0,
    });
    expect(rt.deliverer.deliveries()).toHaveLength(0);
    expect((await rt.store.getBatch(batchId))?.state).toBe('completed');
  });

  it('sends retryable errors and missing results to a retry batch, which delivers them', async () => {
    const rt = fakeRuntime();
    const { batchId, customIds } = await seedEndedBatch(rt, {
      size: 12,
      answerOf: (i) =>
        i === 3 ? 'overloaded' : i === 4 ? 'missing' : i === 7 ? 'expired' : 'succeeded',
    });
    const complete = createCompletion(rt.deps, { chunkSize: 5 });
    const report = await complete(batchId);
    expect(report).toMatchObject({ outcome: 'completed', delivered: 9, retried: 3 });
    expect(report.counts?.retried).toBe(3);
    expect(report.retryBatchId).not.toBeNull();
    const retryBatchId = report.retryBatchId ?? '';
    expect((await rt.store.getBatch(retryBatchId))?.state).toBe('submitted');

    rt.clock.advance(61_000);
    const retried = await complete(retryBatchId);
    expect(retried).toMatchObject({ outcome: 'completed', delivered: 3 });
    const byId = resultsByCustomId(rt);
    expect(byId.size).toBe(12);
    for (const index of [3, 4, 7]) {
      const results = byId.get(customIds[index] ?? '') ?? [];
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({
        status: 'succeeded',
        attempts: 2,
        batch_id: retryBatchId,
      });
    }
  });

  it('delivers the last outcome when no attempt is left', async () => {
    const rt = fakeRuntime();
    const { batchId, customIds } = await seedEndedBatch(rt, {
      size: 3,
      answerOf: (i) => (i === 1 ? 'overloaded' : 'succeeded'),
      attemptsOf: () => 2,
    });
    const report = await createCompletion(rt.deps)(batchId);
    expect(report).toMatchObject({ outcome: 'completed', delivered: 3, retried: 0 });
    expect(resultsByCustomId(rt).get(customIds[1] ?? '')?.[0]?.status).toBe('errored');
  });

  it('parks what a destination refuses for good, and replay delivers it later', async () => {
    const rt = fakeRuntime();
    const { batchId, customIds } = await seedEndedBatch(rt, {
      size: 10,
      destinationOf: (i) => (i % 3 === 0 ? FIFO_DESTINATION : S3_DESTINATION),
    });
    rt.deliverer.failDestination(
      FIFO_DESTINATION,
      new InvalidInputError('queue does not exist', { code: 'destination_not_found' }),
    );
    const report = await createCompletion(rt.deps, { chunkSize: 4 })(batchId);
    // Parked results count as delivered: the batch does not wait on the destination.
    expect(report).toMatchObject({ outcome: 'completed', delivered: 10 });
    expect(report.counts?.succeeded).toBe(10);
    expect(rt.deliverer.receivedAt(FIFO_DESTINATION)).toHaveLength(0);
    expect(rt.deliverer.receivedAt(S3_DESTINATION)).toHaveLength(6);
    const parked: string[] = [];
    for await (const key of rt.blobs.list(PARKED_ROOT)) parked.push(key);
    expect(parked.length).toBeGreaterThan(0);

    rt.deliverer.failDestination(FIFO_DESTINATION, null);
    const replay = createReplay({
      blobs: rt.blobs,
      deliverer: rt.deliverer,
      logger: rt.logger,
      policy: parseDestinationPolicy('*'),
      region: 'us-east-1',
    });
    const replayed = await replay();
    expect(replayed).toMatchObject({ replayed: 4, kept: [] });
    const fifo = rt.deliverer.receivedAt(FIFO_DESTINATION).map((r) => r.custom_id);
    expect(fifo.sort()).toEqual([0, 3, 6, 9].map((i) => customIds[i]).sort());
  });

  it('retries a destination failing for now, then parks it on the third attempt', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, {
      size: 6,
      destinationOf: (i) => (i < 2 ? FIFO_DESTINATION : S3_DESTINATION),
    });
    rt.deliverer.failDestination(
      FIFO_DESTINATION,
      new UnavailableError('throttled', { code: 'throttled' }),
    );
    const complete = createCompletion(rt.deps);
    await expect(complete(batchId, { attempt: 1 })).rejects.toMatchObject({
      code: 'delivery_incomplete',
    });
    const afterFirst = await rt.store.getBatch(batchId);
    expect(afterFirst?.completionLeaseUntil).toBeNull();
    expect(afterFirst?.checkpoint?.counts?.succeeded).toBe(4);
    await expect(complete(batchId, { attempt: 2 })).rejects.toMatchObject({
      code: 'delivery_incomplete',
    });
    const third = await complete(batchId, { attempt: 3 });
    expect(third).toMatchObject({ outcome: 'completed', delivered: 2 });
    // Counted once: the four S3 results from the checkpoint, the two parked from their items.
    expect(third.counts?.succeeded).toBe(6);
    expect(rt.deliverer.receivedAt(S3_DESTINATION)).toHaveLength(4);
  });

  it('pauses at a checkpoint when out of time, and the next run delivers the rest once', async () => {
    const rt = fakeRuntime();
    const { batchId, customIds } = await seedEndedBatch(rt, { size: 10 });
    const complete = createCompletion(rt.deps, { chunkSize: 4 });
    // Time enough at the start, then short after the first chunk.
    let calls = 0;
    const timeLeftMs = () => (calls++ === 0 ? 100_000 : 1_000);
    const paused = await complete(batchId, { timeLeftMs });
    // Out of time after the first chunk: the second, on its way by then, is settled too.
    expect(paused).toMatchObject({ outcome: 'paused', delivered: 8 });
    const batch = await rt.store.getBatch(batchId);
    expect(batch?.completionLeaseUntil).toBeNull();
    expect(batch?.checkpoint?.counts?.succeeded).toBe(8);
    // Handed on at once: the completion queue has the batch again.
    expect(rt.completionQueue.drain().map((m) => JSON.parse(m.body))).toEqual([
      { batch_id: batchId },
    ]);
    const rest = await complete(batchId);
    expect(rest).toMatchObject({ outcome: 'completed', delivered: 2 });
    expect(rest.counts?.succeeded).toBe(10);
    const byId = resultsByCustomId(rt);
    expect([...byId.keys()].sort()).toEqual([...customIds].sort());
    for (const results of byId.values()) expect(results).toHaveLength(1);
  });

  it('keeps two chunks on their way and one checkpoint write, never past an undelivered result', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, { size: 40 });
    const pause = () => new Promise((resolve) => setTimeout(resolve, 2));
    let deliveries = 0;
    let mostDeliveries = 0;
    let writes = 0;
    let mostWrites = 0;
    /** Start offsets of the chunks whose delivery has returned. */
    const delivered: number[] = [];
    const checkpointsPassed: number[] = [];
    const deliver = rt.deliverer.deliver.bind(rt.deliverer);
    rt.deliverer.deliver = async (destination, results, context) => {
      deliveries += 1;
      mostDeliveries = Math.max(mostDeliveries, deliveries);
      await pause();
      const report = await deliver(destination, results, context);
      deliveries -= 1;
      delivered.push(Number(context.part.split('-')[1]));
      return report;
    };
    const update = rt.store.updateBatch.bind(rt.store);
    rt.store.updateBatch = async (id, version, patch) => {
      if (patch.checkpoint !== undefined && patch.checkpoint !== null) {
        const passed = patch.checkpoint.offset;
        // Every chunk starting before the checkpoint has been delivered.
        const undelivered = chunkStarts.filter((s) => s < passed && !delivered.includes(s));
        expect(undelivered).toEqual([]);
        checkpointsPassed.push(passed);
      }
      writes += 1;
      mostWrites = Math.max(mostWrites, writes);
      await pause();
      const updated = await update(id, version, patch);
      writes -= 1;
      return updated;
    };
    const chunkStarts: number[] = [];
    const batch = await rt.store.getBatch(batchId);
    const file = await buffer(await rt.blobs.getStream(batch?.resultKeys[0] ?? ''));
    let offset = 0;
    for (const [i, line] of file.toString('utf8').split('\n').entries()) {
      if (i % 4 === 0 && line !== '') chunkStarts.push(offset);
      offset += Buffer.byteLength(line, 'utf8') + 1;
    }
    const report = await createCompletion(rt.deps, { chunkSize: 4 })(batchId);
    expect(report).toMatchObject({ outcome: 'completed', delivered: 40 });
    expect(chunkStarts).toHaveLength(10);
    expect(delivered.sort((a, b) => a - b)).toEqual(chunkStarts);
    expect(checkpointsPassed).toHaveLength(10);
    expect(mostDeliveries).toBe(2);
    expect(mostWrites).toBe(1);
  });
});
