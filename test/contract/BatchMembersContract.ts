import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../shared/domain/errors.js';
import type { BatchItem, BatchRecord } from '../../shared/domain/records.js';
import {
  ACCEPTED,
  batchOf,
  CLAIM_AT,
  COST,
  EXPIRES,
  fillingBatch,
  lineOf,
  openState,
  partOf,
  reservationOf,
  type StateSubject,
  uid,
} from './stateFixtures.js';

/** Its port, and the other ports of the same fresh, empty table it needs. */
type BatchMembersSubject = StateSubject<'members', 'ledger' | 'records' | 'filling' | 'blobs'>;

/**
 * What every `BatchMembers` must do; its batches are made and filled through the same table's
 * other ports. Run against the fake and DynamoDB.
 */
const describeBatchMembersContract = (
  name: string,
  make: () => Promise<BatchMembersSubject> | BatchMembersSubject,
): void => {
  describe(`BatchMembers contract: ${name}`, () => {
    const open = async () => openState('members', await make());

    it('surfaces an opened part whose sidecar is missing, never an empty part', async () => {
      const { subject, records, filling, members, listAll } = await open();
      try {
        const batchId = uid('b');
        await records.createBatch(fillingBatch(batchId));
        await filling.reservePart(batchId, reservationOf(2, 20));
        expect(await filling.openPart(partOf(batchId, 1, 0, 2))).toBe(true);
        await expect(listAll(batchId)).rejects.toBeInstanceOf(NotFoundError);
        await expect(members.getItems(batchId, ['r000000'])).rejects.toBeInstanceOf(NotFoundError);
        await filling.stopFilling(batchId, '2026-11-27T10:30:00.000Z');
        await expect(filling.sealParts(batchId, 1, CLAIM_AT)).rejects.toBeInstanceOf(NotFoundError);
      } finally {
        await subject.close?.();
      }
    });
    it('reads members from the sidecars in pages and overlays their exceptions', async () => {
      const { subject, ledger, records, filling, members, register, openPart, listAll } =
        await open();
      try {
        const batchId = uid('big');
        await records.createBatch(batchOf(batchId, { requestCount: 250 }));
        const lines = Array.from({ length: 250 }, (_, k) => lineOf(batchId, k, `${batchId}-c${k}`));
        await openPart(batchId, 1, lines);
        for (let n = 0; n < 250; n += 50) {
          const group = lines.slice(n, n + 50);
          await Promise.all(group.map((l) => register(l.item.customId)));
          expect(await filling.claimPartMembers(batchId, 1, group, CLAIM_AT)).toEqual(
            Array(50).fill('claimed'),
          );
        }
        await filling.commitPart(batchId, 1, 250, []);
        const wanted = lines.map((l) => l.item.providerCustomId);
        const found = await members.getItems(batchId, [...wanted, 'r000001', 'r999999']);
        expect(found.size).toBe(250);
        expect(found.get('r000042')).toEqual(lines[42]?.item);

        const pages: number[] = [];
        for await (const page of members.listItems(batchId)) pages.push(page.length);
        expect(pages).toEqual([100, 100, 50]);
        expect(await listAll(uid('empty'))).toEqual([]);

        // Marked for a retry (the first time stands), then moved once.
        await members.markForRetry(batchId, wanted.slice(0, 3), '2026-11-26T12:00:00.000Z');
        await members.markForRetry(batchId, wanted.slice(0, 3), '2026-11-26T12:30:00.000Z');
        const marked = await members.getItems(batchId, wanted.slice(0, 4));
        expect(marked.get('r000002')).toMatchObject({
          customId: `${batchId}-c2`,
          retryAt: '2026-11-26T12:00:00.000Z',
          status: null,
        });
        expect(marked.get('r000003')?.retryAt).toBeUndefined();
        const from = marked.get('r000000') as BatchItem;
        const retryBatch = uid('retry');
        const to = { ...from, batchId: retryBatch, attempts: 2 };
        expect(await members.moveToRetryBatch(from, to, '2026-11-26T13:00:00.000Z')).toBe(true);
        expect(await members.moveToRetryBatch(from, to, '2026-11-26T13:00:00.000Z')).toBe(false);
        // A member never marked moves all the same; the ledger follows it.
        const unmarked = found.get('r000010') as BatchItem;
        const toUnmarked = {
          ...unmarked,
          batchId: retryBatch,
          providerCustomId: 'r000001',
          attempts: 2,
        };
        expect(
          await members.moveToRetryBatch(unmarked, toUnmarked, '2026-11-26T13:00:00.000Z'),
        ).toBe(true);
        expect(
          await ledger.registerRequest({
            producer: '',
            customId: unmarked.customId,
            requestHash: `h-${unmarked.customId}`,
            state: 'pending',
            acceptedAt: ACCEPTED,
            expiresAt: EXPIRES,
          }),
        ).toMatchObject({ kind: 'duplicate', existing: { state: 'claimed', batchId: retryBatch } });
        // A member whose ledger entry is not this batch's (here: still pending), or that has
        // none, is not moved: nothing of the move is written.
        const stray = found.get('r000011') as BatchItem;
        const pendingElsewhere = uid('pending');
        await register(pendingElsewhere);
        for (const customId of [pendingElsewhere, uid('not-in-ledger')]) {
          expect(
            await members.moveToRetryBatch(
              { ...stray, customId },
              { ...stray, customId, batchId: retryBatch, providerCustomId: 'r000002' },
              '2026-11-26T13:00:00.000Z',
            ),
          ).toBe(false);
        }
        expect((await members.getItems(retryBatch, ['r000002'])).size).toBe(0);
        expect(await members.exceptionsOf(batchId, ['r000011'])).toEqual(new Map());
        expect((await register(pendingElsewhere)).kind).toBe('pending');

        const listed = new Map((await listAll(batchId)).map((m) => [m.providerCustomId, m]));
        expect(listed.size).toBe(250);
        expect(listed.get('r000000')).toMatchObject({
          status: 'retried',
          deliveredAt: '2026-11-26T13:00:00.000Z',
          customId: `${batchId}-c0`,
          destination: { type: 'sqs' },
        });
        expect(listed.get('r000010')).toMatchObject({
          status: 'retried',
          customId: `${batchId}-c10`,
        });
        expect([...listed.values()].filter((m) => m.status === null)).toHaveLength(248);
        // The retry batch's members are whole items of their own, listed after any sidecar.
        expect((await listAll(retryBatch)).map((m) => [m.providerCustomId, m.customId])).toEqual([
          ['r000000', `${batchId}-c0`],
          ['r000001', `${batchId}-c10`],
        ]);
        expect((await members.getItems(retryBatch, ['r000001'])).get('r000001')).toEqual(
          toUnmarked,
        );
      } finally {
        await subject.close?.();
      }
    });
    it('keeps exceptions: undelivered results, late deliveries, escalations', async () => {
      const { subject, records, filling, members, register, openPart } = await open();
      try {
        const batchId = uid('b');
        await records.createBatch(batchOf(batchId, { state: 'ended' }));
        const lines = Array.from({ length: 4 }, (_, k) => lineOf(batchId, k, uid('m')));
        for (const l of lines) await register(l.item.customId);
        await openPart(batchId, 1, lines);
        await filling.claimPartMembers(batchId, 1, lines, CLAIM_AT);
        await filling.commitPart(batchId, 1, 4, []);

        await members.markUndelivered(batchId, ['r000001', 'r000001'], '2026-11-26T15:00:00.000Z');
        await members.markUndelivered(batchId, ['r000001'], '2026-11-26T15:30:00.000Z');
        const owed = await members.exceptionsOf(batchId, ['r000001', 'r000002', 'r000001']);
        expect([...owed.keys()]).toEqual(['r000001']);
        expect(owed.get('r000001')).toEqual({
          status: null,
          deliveredAt: null,
          escalatedAt: null,
          cost: null,
          undeliveredAt: '2026-11-26T15:00:00.000Z',
        });
        await members.recordDeliveries(batchId, [
          {
            providerCustomId: 'r000001',
            status: 'errored',
            deliveredAt: '2026-11-26T15:59:00.000Z',
          },
          {
            providerCustomId: 'r000001',
            status: 'succeeded',
            deliveredAt: '2026-11-26T16:00:00.000Z',
            cost: COST,
          },
          {
            providerCustomId: 'r000002',
            status: 'expired',
            deliveredAt: '2026-11-26T16:00:00.000Z',
          },
        ]);
        const got = await members.getItems(batchId, ['r000001', 'r000002']);
        expect(got.get('r000001')).toEqual({
          ...lines[1]?.item,
          status: 'succeeded',
          deliveredAt: '2026-11-26T16:00:00.000Z',
          undeliveredAt: '2026-11-26T15:00:00.000Z',
          cost: COST,
        });
        expect(got.get('r000002')).toMatchObject({ status: 'expired', cost: null });

        // Escalation only while the batch runs; once per member, never after delivery.
        expect(await members.escalateMember(batchId, 'r000000', '2026-11-26T14:00:00.000Z')).toBe(
          false,
        );
        expect(
          await members.escalateMember(uid('none'), 'r000000', '2026-11-26T14:00:00.000Z'),
        ).toBe(false);
        const running = (await records.getBatch(batchId)) as BatchRecord;
        await records.updateBatch(batchId, running.version, { state: 'submitted' });
        expect(await members.escalateMember(batchId, 'r000000', '2026-11-26T14:00:00.000Z')).toBe(
          true,
        );
        expect(await members.escalateMember(batchId, 'r000000', '2026-11-26T14:05:00.000Z')).toBe(
          false,
        );
        expect(await members.escalateMember(batchId, 'r000002', '2026-11-26T14:00:00.000Z')).toBe(
          false,
        );
        expect((await members.getItems(batchId, ['r000000'])).get('r000000')).toEqual({
          ...lines[0]?.item,
          escalatedAt: '2026-11-26T14:00:00.000Z',
        });
      } finally {
        await subject.close?.();
      }
    });
    it('escalates only a member the batch holds: any other id is refused and writes nothing', async () => {
      const { subject, members, records, filling, register, openPart, listAll } = await open();
      try {
        const at = '2026-11-26T14:00:00.000Z';
        const batchId = uid('b');
        await records.createBatch(batchOf(batchId, { state: 'submitted' }));
        const lines = Array.from({ length: 3 }, (_, k) => lineOf(batchId, k, uid('m')));
        for (const l of lines) await register(l.item.customId);
        await openPart(batchId, 1, lines);
        await filling.claimPartMembers(batchId, 1, lines, CLAIM_AT);
        // Index 1 held no member (its claim lost, say): a void, as are ids past every part.
        await filling.commitPart(batchId, 1, 2, ['r000001']);
        const strangers = ['r000001', 'r000003', 'r999999', 'x000000', 'r0000001', 'r00000', ''];
        for (const id of strangers)
          expect(await members.escalateMember(batchId, id, at)).toBe(false);
        expect(await members.exceptionsOf(batchId, strangers)).toEqual(new Map());
        expect((await listAll(batchId)).map((m) => [m.providerCustomId, m.escalatedAt])).toEqual([
          ['r000000', null],
          ['r000002', null],
        ]);
        expect(await members.escalateMember(batchId, 'r000002', at)).toBe(true);

        // A retry batch's members are whole items: one is escalated, an id it lacks is not.
        const retryBatch = uid('retry');
        await records.createBatch(batchOf(retryBatch, { state: 'submitted' }));
        const from = (await members.getItems(batchId, ['r000000'])).get('r000000') as BatchItem;
        const to = { ...from, batchId: retryBatch, attempts: 2 };
        expect(await members.moveToRetryBatch(from, to, at)).toBe(true);
        expect(await members.escalateMember(retryBatch, 'r000001', at)).toBe(false);
        expect(await members.exceptionsOf(retryBatch, ['r000001'])).toEqual(new Map());
        expect(await members.escalateMember(retryBatch, 'r000000', at)).toBe(true);
        expect((await members.getItems(retryBatch, ['r000000'])).get('r000000')).toEqual({
          ...to,
          escalatedAt: at,
        });
      } finally {
        await subject.close?.();
      }
    });
  });
};

export { type BatchMembersSubject, describeBatchMembersContract };
