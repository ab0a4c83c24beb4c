import { describe, expect, it } from 'vitest';
import type { DeliveryCheckpoint } from '../../../../shared/domain/records.js';
import { CheckpointWriter } from '../../../../shared/usecases/completion/CheckpointWriter.js';
import { leaseBatch } from '../../../../shared/usecases/completion/leaseBatch.js';
import { fakeRuntime } from '../../../support/fakeRuntime.js';
import { seedEndedBatch } from './endedBatch.js';

const COST_ROW = {
  day: '2026-11-26',
  model: 'claude-test',
  tag: 'team-a',
  nanoUsd: 10,
  realtimeNanoUsd: 20,
  inputTokens: 3,
  outputTokens: 4,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  requests: 2,
};

/** A checkpoint as completion writes it. */
const written: DeliveryCheckpoint = {
  fileIndex: 0,
  offset: 4096,
  counts: { succeeded: 2, errored: 0, canceled: 0, expired: 0, rejected: 0, retried: 0 },
  costs: [COST_ROW],
};

/** The same checkpoint as a table hands it back: every key in another order. */
const readBack = (): DeliveryCheckpoint => {
  const reversed = <T extends object>(record: T): T =>
    Object.fromEntries(Object.entries(record).reverse()) as T;
  const { costs, counts } = written;
  return reversed({
    ...written,
    counts: counts === undefined ? undefined : reversed(counts),
    costs: costs?.map(reversed),
  });
};

describe('completion stage: CheckpointWriter compares checkpoints by value', () => {
  it('writes nothing for the checkpoint a resumed run read back, whatever its key order', async () => {
    const rt = fakeRuntime();
    const { batchId } = await seedEndedBatch(rt, { size: 1 });
    const record = await rt.store.getBatch(batchId);
    if (record === null) throw new Error('no batch');
    const taken = await leaseBatch(rt.deps, record);
    if ('report' in taken) throw new Error(`no lease: ${taken.report.outcome}`);
    const stored = readBack();
    expect(JSON.stringify(stored)).not.toBe(JSON.stringify(written));
    let writes = 0;
    const store = {
      getBatch: (id: string) => rt.store.getBatch(id),
      updateBatch: async (...args: Parameters<typeof rt.store.updateBatch>) => {
        writes += 1;
        return rt.store.updateBatch(...args);
      },
    };
    const writer = new CheckpointWriter({ store }, taken.lease, {
      ...taken.batch,
      checkpoint: stored,
    });

    await writer.move(written);
    await writer.settled();
    expect(writes).toBe(0);

    // A checkpoint that does move is written, once.
    const next = { ...written, offset: 8192 };
    await writer.move(next);
    await writer.move({ ...next, costs: next.costs?.map((row) => ({ ...row })) });
    expect((await writer.settled()).checkpoint).toEqual(next);
    expect(writes).toBe(1);
  });
});
