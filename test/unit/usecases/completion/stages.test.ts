import { describe, expect, it } from 'vitest';
import { METRIC } from '../../../../shared/contract/metrics.js';
import {
  ConflictError,
  InvalidInputError,
  UnavailableError,
} from '../../../../shared/domain/errors.js';
import { parseResultLine } from '../../../../shared/domain/parseResultLine.js';
import { providerCustomIdOf } from '../../../../shared/domain/providerCustomIdOf.js';
import type { BatchItem, BatchRecord, ItemCost } from '../../../../shared/domain/records.js';
import { archiveResults } from '../../../../shared/usecases/completion/archiveResults.js';
import { CheckpointWriter } from '../../../../shared/usecases/completion/CheckpointWriter.js';
import { classifyChunk } from '../../../../shared/usecases/completion/classifyResults.js';
import { deliverOutcomes } from '../../../../shared/usecases/completion/deliverOutcomes.js';
import {
  batchToComplete,
  leaseBatch,
  releaseLease,
} from '../../../../shared/usecases/completion/leaseBatch.js';
import {
  loadMemberTable,
  type MemberTable,
} from '../../../../shared/usecases/completion/loadMemberTable.js';
import { parkResults } from '../../../../shared/usecases/completion/parkResults.js';
import {
  chunksFrom,
  owedChunksBefore,
} from '../../../../shared/usecases/completion/readResultChunks.js';
import {
  progressFrom,
  settleDeliveries,
} from '../../../../shared/usecases/completion/settleDeliveries.js';
import { parkedPrefix } from '../../../../shared/usecases/parkedPrefix.js';
import { type FakeRuntime, fakeRuntime } from '../../../support/fakeRuntime.js';
import { type Answer, FIFO_DESTINATION, S3_DESTINATION, seedEndedBatch } from './endedBatch.js';

const ended = async (rt: FakeRuntime, batchId: string): Promise<BatchRecord> => {
  const batch = await rt.store.getBatch(batchId);
  if (batch === null) throw new Error(`no batch ${batchId}`);
  return batch;
};

const leased = async (rt: FakeRuntime, batchId: string) => {
  const taken = await leaseBatch(rt.deps, await ended(rt, batchId));
  if ('report' in taken) throw new Error(`no lease: ${taken.report.outcome}`);
  return taken;
};

const collect = async <T>(source: AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = [];
  for await (const value of source) all.push(value);
  return all;
};

const tableOf = async (rt: FakeRuntime, batchId: string): Promise<MemberTable> =>
  loadMemberTable(rt.deps, batchId);

describe('completion stage: batchToComplete and leaseBatch', () => {
  it('reports an unknown batch, a completed one and one still running without leasing', async () => {
    const rt = fakeRuntime();
    expect(await batchToComplete(rt.deps, 'bl_missing')).toMatchObject({
      report: { outcome: 'unknown-batch' },
    });
    const { batchId } = await seedEndedBatch(rt, { size: 1 });
    const batch = await ended(rt, batchId);
    await rt.store.updateBatch(batchId, batch.version, { state: 'completed' });
    expect(await batchToComplete(rt.deps, batchId)).toMatchObject({
      report: { outcome: 'already-completed' },
    });
  });

  it('takes the lease and pushes the next poll to its end; a second run finds it owned', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, { size: 1 });
    const { batch, lease } = await leased(rt, batchId);
    const until = new Date(rt.clock.now().getTime() + rt.deps.settings.leaseMs).toISOString();
    expect(lease).toEqual({ batchId, until });
    expect(batch).toMatchObject({ completionLeaseUntil: until, nextPollAt: until });
    expect(await leaseBatch(rt.deps, batch)).toMatchObject({
      report: { outcome: 'owned-by-another-run' },
    });
    // Once it has run out, the next run takes it.
    rt.clock.advance(rt.deps.settings.leaseMs + 1);
    expect(await leaseBatch(rt.deps, await ended(rt, batchId))).toHaveProperty('lease');
  });

  it('takes the lease on the fresh record after a poller write, and hands it back', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, { size: 1 });
    const stale = await ended(rt, batchId);
    // The poller wrote the batch since it was read.
    await rt.store.updateBatch(batchId, stale.version, { pollCount: 2 });
    const taken = await leaseBatch(rt.deps, stale);
    expect(taken).toHaveProperty('lease');
    await releaseLease(rt.deps, batchId);
    expect((await ended(rt, batchId)).completionLeaseUntil).toBeNull();
  });
});

describe('completion stage: archiveResults', () => {
  it('downloads each provider result file once, then leaves an archived batch alone', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, { size: 2 });
    // A batch the fake provider ran, whose results are not archived yet.
    await rt.blobs.put('in.jsonl', '{"custom_id":"r000000","params":{"model":"m"}}\n');
    const snapshot = await rt.provider.submit({
      batchId,
      model: 'm',
      endpoint: '/v1/messages',
      requestCount: 1,
      openInput: () => rt.blobs.getStream('in.jsonl'),
    } as unknown as Parameters<typeof rt.provider.submit>[0]);
    rt.clock.advance(61_000);
    const before = await ended(rt, batchId);
    const unarchived = await rt.store.updateBatch(batchId, before.version, {
      providerBatchId: snapshot.providerBatchId,
      resultKeys: [],
    });
    const { lease } = await leased(rt, batchId);
    const current = await ended(rt, batchId);
    expect(current.version).toBeGreaterThan(unarchived.version);
    const archived = await archiveResults(rt.deps, lease, current);
    expect(archived.resultKeys).toEqual([`batches/${batchId}/results-0.jsonl`]);
    expect(await rt.blobs.exists(archived.resultKeys[0] ?? '')).toBe(true);
    // Archived: no provider call, no write.
    rt.provider.authorize(false);
    expect(await archiveResults(rt.deps, lease, archived)).toBe(archived);
  });
});

describe('completion stage: loadMemberTable', () => {
  it('loads every member with its exception: to send again, owed a delivery, delivered', async () => {
    const rt = fakeRuntime({ itemPageSize: 3 });
    const { batchId } = await seedEndedBatch(rt, { size: 8, partSize: 3 });
    const at = rt.clock.now().toISOString();
    await rt.store.markForRetry(batchId, [providerCustomIdOf(1)], at);
    await rt.store.markUndelivered(batchId, [providerCustomIdOf(4), providerCustomIdOf(6)], at);
    await rt.store.recordDeliveries(batchId, [
      { providerCustomId: providerCustomIdOf(6), status: 'succeeded', deliveredAt: at },
    ]);
    const table = await tableOf(rt, batchId);
    expect(table.members.size).toBe(8);
    expect([...table.retries.keys()]).toEqual([providerCustomIdOf(1)]);
    // Owed, unless its late delivery was recorded already.
    expect([...table.owed]).toEqual([providerCustomIdOf(4)]);
    expect([...table.exceptionIds].sort()).toEqual(
      [1, 4, 6].map((i) => providerCustomIdOf(i)).sort(),
    );
  });
});

describe('completion stage: read chunks', () => {
  it('cuts the results into named chunks, a partial one last, and counts malformed lines', async () => {
    const rt = fakeRuntime();
    const answerOf = (i: number): Answer => (i === 4 ? 'malformed' : 'succeeded');
    const { batchId } = await seedEndedBatch(rt, { size: 7, answerOf });
    const batch = await ended(rt, batchId);
    const chunks = await collect(chunksFrom(rt.deps, batch, null, 3));
    expect(chunks.map((c) => c.lines.length)).toEqual([3, 3, 0]);
    expect(chunks.map((c) => c.full)).toEqual([true, true, false]);
    expect(chunks[0]?.name).toBe('0-0');
    expect(chunks[1]?.name).toBe(`0-${chunks[0]?.end}`);
    expect(rt.metrics.total(METRIC.MalformedResultLines)).toBe(1);
    // Resumed at the first chunk's end: the same later chunks, under the same names.
    const resumed = await collect(
      chunksFrom(rt.deps, batch, { fileIndex: 0, offset: chunks[0]?.end ?? 0 }, 3),
    );
    expect(resumed.map((c) => [c.name, c.end])).toEqual(
      chunks.slice(1).map((c) => [c.name, c.end]),
    );
  });

  it('before the checkpoint, yields only results owed a delivery and notes the others answered', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, { size: 6 });
    const batch = await ended(rt, batchId);
    const [first] = await collect(chunksFrom(rt.deps, batch, null, 4));
    const answered = new Set<string>();
    const owed = new Set([providerCustomIdOf(3)]);
    const redo = await collect(
      owedChunksBefore(
        rt.deps,
        batch,
        { fileIndex: 0, offset: first?.end ?? 0 },
        owed,
        answered,
        4,
      ),
    );
    expect(redo.map((c) => c.lines.map((l) => l.providerCustomId))).toEqual([
      [providerCustomIdOf(3)],
    ]);
    expect(redo[0]?.name).toMatch(/^redo-0-\d+$/);
    expect(answered.size).toBe(3);
    expect(answered.has(providerCustomIdOf(3))).toBe(false);
  });
});

const line = (id: string, status: 'succeeded' | 'overloaded' | 'invalid' | 'expired') =>
  parseResultLine(
    'anthropic',
    JSON.stringify({
      custom_id: id,
      result:
        status === 'succeeded'
          ? {
              type: 'succeeded',
              message: {
                id: 'msg',
                type: 'message',
                role: 'assistant',
                model: 'claude-sonnet-4-6',
                content: [],
                stop_reason: 'end_turn',
                stop_sequence: null,
                usage: { input_tokens: 1, output_tokens: 1 },
              },
            }
          : status === 'expired'
            ? { type: 'expired' }
            : {
                type: 'errored',
                error: {
                  type: 'error',
                  error: {
                    type: status === 'overloaded' ? 'overloaded_error' : 'invalid_request_error',
                    message: 'x',
                  },
                },
              },
    }),
  );

describe('completion stage: classifyChunk', () => {
  it('delivers final outcomes, sends retryable ones again while allowed, drops the rest', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, { size: 6 });
    const table = await tableOf(rt, batchId);
    const item = (i: number) => table.members.get(providerCustomIdOf(i)) as BatchItem;
    const nowMs = rt.clock.now().getTime();
    table.members.set(providerCustomIdOf(1), { ...item(1), attempts: 2 });
    table.members.set(providerCustomIdOf(2), {
      ...item(2),
      deadline: new Date(nowMs - 1).toISOString(),
    });
    table.members.set(providerCustomIdOf(4), { ...item(4), escalatedAt: 'x' });
    table.retries.set(providerCustomIdOf(5), item(5));
    const classified = classifyChunk(
      [
        line(providerCustomIdOf(0), 'overloaded'),
        line(providerCustomIdOf(1), 'overloaded'),
        line(providerCustomIdOf(2), 'expired'),
        line(providerCustomIdOf(3), 'invalid'),
        line(providerCustomIdOf(4), 'succeeded'),
        line(providerCustomIdOf(5), 'succeeded'),
        line('r999999', 'succeeded'),
      ],
      table,
      { maxAttempts: 2, nowMs },
    );
    expect(classified.toRetry.map((i) => i.providerCustomId)).toEqual([providerCustomIdOf(0)]);
    // Out of attempts, past its deadline, or not worth sending again: delivered as they are.
    expect(classified.entries.map((e) => [e.item.providerCustomId, e.outcome.status])).toEqual([
      [providerCustomIdOf(1), 'errored'],
      [providerCustomIdOf(2), 'expired'],
      [providerCustomIdOf(3), 'errored'],
    ]);
    expect(classified.skipped).toBe(2);
    expect(classified.unknown).toEqual(['r999999']);
  });
});

describe('completion stage: deliverOutcomes and parkResults', () => {
  const entriesOf = async (rt: FakeRuntime, batchId: string) => {
    const table = await tableOf(rt, batchId);
    return [...table.members.values()].map((item) => ({
      item,
      outcome: {
        status: 'succeeded' as const,
        response: null,
        error: null,
        usage: null,
        model: null,
      },
    }));
  };

  it('delivers per destination, and returns members with no destination as failed', async () => {
    const rt = fakeRuntime();
    const { batchId, customIds } = await seedEndedBatch(rt, {
      size: 5,
      destinationOf: (i) => (i === 4 ? null : i % 2 === 0 ? FIFO_DESTINATION : S3_DESTINATION),
    });
    const batch = await ended(rt, batchId);
    const outcome = await deliverOutcomes(rt.deps, batch, await entriesOf(rt, batchId), 'p', false);
    expect(outcome.failed).toEqual([providerCustomIdOf(4)]);
    expect(outcome.delivered).toHaveLength(4);
    expect(rt.deliverer.receivedAt(FIFO_DESTINATION).map((r) => r.custom_id)).toEqual([
      customIds[0],
      customIds[2],
    ]);
    // Named after the chunk and its members: the same call again writes the same names.
    const parts = rt.deliverer.deliveries().map((d) => d.context.part);
    await deliverOutcomes(rt.deps, batch, await entriesOf(rt, batchId), 'p', false);
    expect(
      rt.deliverer
        .deliveries()
        .map((d) => d.context.part)
        .slice(2),
    ).toEqual(parts);
  });

  it('parks a refusal for good at once, and one for now only when told to', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, {
      size: 2,
      destinationOf: () => FIFO_DESTINATION,
    });
    const batch = await ended(rt, batchId);
    rt.deliverer.failDestination(FIFO_DESTINATION, new UnavailableError('busy', { code: 'busy' }));
    const forNow = await deliverOutcomes(rt.deps, batch, await entriesOf(rt, batchId), 'p', false);
    expect(forNow.failed).toHaveLength(2);
    const parkedNow = await deliverOutcomes(
      rt.deps,
      batch,
      await entriesOf(rt, batchId),
      'p',
      true,
    );
    expect(parkedNow).toMatchObject({ failed: [] });
    expect(parkedNow.delivered).toHaveLength(2);
    rt.deliverer.failDestination(
      FIFO_DESTINATION,
      new InvalidInputError('no queue', { code: 'destination_not_found' }),
    );
    const forGood = await deliverOutcomes(rt.deps, batch, await entriesOf(rt, batchId), 'q', false);
    expect(forGood.failed).toEqual([]);
    const keys = await collect(rt.blobs.list(parkedPrefix(FIFO_DESTINATION)));
    expect(keys).toEqual([
      `${parkedPrefix(FIFO_DESTINATION)}${batchId}/p.jsonl`,
      `${parkedPrefix(FIFO_DESTINATION)}${batchId}/q.jsonl`,
    ]);
    expect(rt.metrics.total(METRIC.ResultsParked)).toBe(4);
  });

  it('reports parking that failed, so the results stay owed', async () => {
    const rt = fakeRuntime();
    const failing = {
      ...rt.deps,
      blobs: Object.assign(Object.create(rt.blobs) as typeof rt.blobs, {
        put: async () => {
          throw new UnavailableError('s3 down', { code: 'unavailable' });
        },
      }),
    };
    expect(await parkResults(failing, 'bl_1', FIFO_DESTINATION, [], 'p')).toBe(false);
    expect(rt.logger.records.some((r) => r.message === 'results could not be parked')).toBe(true);
  });
});

describe('completion stage: settleDeliveries', () => {
  it('counts first deliveries in the totals, records late ones and refusals on items', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, { size: 4 });
    const at = rt.clock.now().toISOString();
    await rt.store.markUndelivered(batchId, [providerCustomIdOf(0)], at);
    const table = await tableOf(rt, batchId);
    const progress = progressFrom(null);
    const cost: ItemCost = {
      day: at.slice(0, 10),
      model: 'claude-sonnet-4-6',
      tag: '',
      nanoUsd: 5,
      realtimeNanoUsd: 10,
      inputTokens: 1,
      outputTokens: 1,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    };
    await settleDeliveries(rt.deps, batchId, table, progress, {
      delivered: [0, 1, 2].map((i) => ({
        providerCustomId: providerCustomIdOf(i),
        status: 'succeeded' as const,
        deliveredAt: at,
        cost,
      })),
      failed: [providerCustomIdOf(3)],
    });
    expect(progress.totals.counts.succeeded).toBe(2);
    expect(progress).toMatchObject({ delivered: 3, failed: 1, firstDeliveredAt: at });
    expect([...table.owed]).toEqual([providerCustomIdOf(3)]);
    const exceptions = await rt.store.exceptionsOf(batchId, [
      providerCustomIdOf(0),
      providerCustomIdOf(3),
    ]);
    expect(exceptions.get(providerCustomIdOf(0))?.status).toBe('succeeded');
    expect(exceptions.get(providerCustomIdOf(3))?.undeliveredAt).toBe(at);
    expect(progress.totals.costs.get(JSON.stringify([cost.day, cost.model, '']))).toMatchObject({
      requests: 2,
      nanoUsd: 10,
    });
  });
});

describe('completion stage: CheckpointWriter', () => {
  it('keeps one write in flight, leaves out writes that would not move, and surfaces failures', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, { size: 1 });
    const { batch, lease } = await leased(rt, batchId);
    let inFlight = 0;
    let most = 0;
    let writes = 0;
    const store = {
      getBatch: (id: string) => rt.store.getBatch(id),
      updateBatch: async (...args: Parameters<typeof rt.store.updateBatch>) => {
        inFlight += 1;
        writes += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return rt.store.updateBatch(...args);
      },
    };
    const writer = new CheckpointWriter({ store }, lease, batch);
    for (let offset = 1; offset <= 4; offset += 1) {
      await writer.move({ fileIndex: 0, offset });
      // Started, not awaited: the caller goes on with the next chunk.
      expect(inFlight).toBe(1);
    }
    await writer.move({ fileIndex: 0, offset: 4 });
    expect((await writer.settled()).checkpoint).toEqual({ fileIndex: 0, offset: 4 });
    expect(most).toBe(1);
    expect(writes).toBe(4);

    // Another writer takes over the batch: the write fails, and says so when waited for.
    const current = await ended(rt, batchId);
    await rt.store.updateBatch(batchId, current.version, { completionLeaseUntil: null });
    await writer.move({ fileIndex: 0, offset: 5 });
    await expect(writer.settled()).rejects.toBeInstanceOf(ConflictError);
  });
});
