import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../shared/domain/errors.js';
import type { BatchRecord } from '../../shared/domain/records.js';
import { batchOf, openState, type StateSubject, uid } from './stateFixtures.js';

/** A fresh, empty table. */
type BatchRecordsSubject = StateSubject<'records', never>;

/** What every `BatchRecords` must do, through the port alone; run against the fake and DynamoDB. */
const describeBatchRecordsContract = (
  name: string,
  make: () => Promise<BatchRecordsSubject> | BatchRecordsSubject,
): void => {
  describe(`BatchRecords contract: ${name}`, () => {
    const open = async () => openState('records', await make());

    it('creates a batch once and updates it only at the expected version', async () => {
      const { subject, records } = await open();
      try {
        const id = uid('b');
        expect(await records.getBatch(id)).toBeNull();
        await records.createBatch(batchOf(id));
        await expect(records.createBatch(batchOf(id))).rejects.toBeInstanceOf(ConflictError);
        const updated = await records.updateBatch(id, 1, {
          state: 'submitted',
          providerBatchId: 'msgbatch_9',
          counts: { succeeded: 1, errored: 0, expired: 0, canceled: 0, rejected: 0, retried: 0 },
          resultKeys: ['r/1.jsonl'],
          resultsGone: ['file-gone'],
          // Undefined fields of a patch change nothing.
          lastError: undefined,
        });
        expect(updated).toMatchObject({
          version: 2,
          state: 'submitted',
          providerBatchId: 'msgbatch_9',
          resultsGone: ['file-gone'],
        });
        expect(await records.getBatch(id)).toEqual(updated);

        const stale = records.updateBatch(id, 1, { pollCount: 5 });
        await expect(stale).rejects.toBeInstanceOf(ConflictError);
        await expect(stale).rejects.toMatchObject({ code: 'version_conflict' });
        const concurrent = await Promise.allSettled([
          records.updateBatch(id, 2, { pollCount: 1 }),
          records.updateBatch(id, 2, { pollCount: 2 }),
        ]);
        expect(concurrent.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = concurrent.find((r) => r.status === 'rejected');
        expect(lost?.status === 'rejected' && lost.reason).toBeInstanceOf(ConflictError);
        const current = (await records.getBatch(id)) as BatchRecord;
        expect(current.version).toBe(3);
        // A running batch's progress marks are kept once set.
        const progressed = await records.updateBatch(id, 3, {
          inProgressAt: '2026-11-26T10:10:00.000Z',
          progressAt: '2026-11-26T10:20:00.000Z',
        });
        expect(await records.getBatch(id)).toEqual(progressed);
        expect(progressed).toMatchObject({ version: 4, inProgressAt: '2026-11-26T10:10:00.000Z' });

        const missing = records.updateBatch(uid('missing'), 1, {});
        await expect(missing).rejects.toBeInstanceOf(NotFoundError);
        await expect(missing).rejects.toMatchObject({ code: 'not_found' });
      } finally {
        await subject.close?.();
      }
    });
    it('moves a checkpoint and a lease at the expected version only, keeping the rest', async () => {
      const { subject, records } = await open();
      try {
        const id = uid('b');
        await records.createBatch({ ...batchOf(id), state: 'ended', resultKeys: ['r/0.jsonl'] });
        const checkpoint = {
          fileIndex: 0,
          offset: 1_234,
          counts: { succeeded: 3, errored: 1, expired: 0, canceled: 0, rejected: 0, retried: 0 },
        };
        const leased = await records.updateBatch(id, 1, {
          completionLeaseUntil: '2026-11-26T10:30:00.000Z',
        });
        const moved = await records.updateBatch(id, 2, { checkpoint });
        expect(moved).toMatchObject({
          version: 3,
          state: 'ended',
          resultKeys: ['r/0.jsonl'],
          completionLeaseUntil: '2026-11-26T10:30:00.000Z',
          checkpoint,
        });
        expect(await records.getBatch(id)).toEqual(moved);
        expect(leased.version).toBe(2);
        // Still listed by its state: moving the checkpoint leaves the index alone.
        expect(
          (await records.listDueBatches('2030-01-01T00:00:00.000Z', 10)).map((b) => b.batchId),
        ).toContain(id);

        const stale = records.updateBatch(id, 2, { checkpoint: { ...checkpoint, offset: 9 } });
        await expect(stale).rejects.toMatchObject({ code: 'version_conflict' });
        await expect(stale).rejects.toBeInstanceOf(ConflictError);
        expect((await records.getBatch(id))?.checkpoint).toEqual(checkpoint);
        const missing = records.updateBatch(uid('missing'), 1, { checkpoint });
        await expect(missing).rejects.toBeInstanceOf(NotFoundError);
        await expect(missing).rejects.toMatchObject({ code: 'not_found' });
      } finally {
        await subject.close?.();
      }
    });

    it('lists due, not completed batches oldest first, up to the limit', async () => {
      const { subject, records } = await open();
      try {
        await records.createBatch(batchOf('b3', { nextPollAt: '2026-11-26T10:03:00.000Z' }));
        await records.createBatch(batchOf('b1', { nextPollAt: '2026-11-26T10:01:00.000Z' }));
        await records.createBatch(batchOf('b2', { nextPollAt: '2026-11-26T10:02:00.000Z' }));
        await records.createBatch(batchOf('later', { nextPollAt: '2026-11-26T11:00:00.000Z' }));
        await records.createBatch(batchOf('done', { state: 'completed', nextPollAt: null }));
        await records.createBatch(
          batchOf('b0', { state: 'submitted', nextPollAt: '2026-11-26T10:00:00.000Z' }),
        );
        await records.updateBatch('b0', 1, { state: 'completed', nextPollAt: null });
        const now = '2026-11-26T10:30:00.000Z';
        const ids = async (limit: number) =>
          (await records.listDueBatches(now, limit)).map((b) => b.batchId);
        expect(await ids(10)).toEqual(['b1', 'b2', 'b3']);
        expect(await ids(2)).toEqual(['b1', 'b2']);
        expect(await ids(0)).toEqual([]);
        await records.updateBatch('b1', 1, { nextPollAt: '2026-11-26T12:00:00.000Z' });
        expect(await ids(10)).toEqual(['b2', 'b3']);
        // An active batch left without a poll time is still found, by its creation time.
        await records.createBatch(
          batchOf('orphan', { nextPollAt: null, createdAt: '2026-11-26T09:00:00.000Z' }),
        );
        expect(await ids(10)).toEqual(['orphan', 'b2', 'b3']);
        expect((await records.listDueBatches(now, 1))[0]).toEqual(await records.getBatch('orphan'));
      } finally {
        await subject.close?.();
      }
    });
  });
};

export { type BatchRecordsSubject, describeBatchRecordsContract };
