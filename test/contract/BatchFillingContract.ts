import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError } from '../../shared/domain/errors.js';
import type { PartMemberLine } from '../../shared/domain/partMembers.js';
import {
  ACCEPTED,
  batchOf,
  CLAIM_AT,
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
type BatchFillingSubject = StateSubject<'filling', 'ledger' | 'records' | 'members' | 'blobs'>;

/**
 * What every `BatchFilling` must do; claims are read back through the same table's ledger and
 * members. Run against the fake and DynamoDB.
 */
const describeBatchFillingContract = (
  name: string,
  make: () => Promise<BatchFillingSubject> | BatchFillingSubject,
): void => {
  describe(`BatchFilling contract: ${name}`, () => {
    const open = async () => openState('filling', await make());

    it('claims a request once: its own claim again, held elsewhere, conflict on another hash', async () => {
      const { subject, records, filling, members, register, openPart, claimAlone } = await open();
      try {
        const id = uid('req');
        await register(id);
        const [a, b] = [uid('ba'), uid('bb')];
        await records.createBatch(batchOf(a));
        await records.createBatch(batchOf(b));
        expect(await claimAlone(lineOf(a, 1, id))).toBe(true);
        expect(await claimAlone(lineOf(a, 1, id))).toBe(true);
        expect(await claimAlone(lineOf(b, 1, id))).toBe(false);
        expect((await members.getItems(a, ['r000001'])).get('r000001')).toMatchObject({
          customId: id,
        });
        expect((await members.getItems(b, ['r000001'])).size).toBe(0);

        const c = uid('bc');
        await records.createBatch(batchOf(c));
        const [other, ghost, refused] = [uid('o'), uid('ghost'), uid('refused')];
        await register(other, 'h1');
        await register(refused, 'h-bad', 'rejecting');
        const lines = [lineOf(c, 1, other, 'h-else'), lineOf(c, 2, ghost), lineOf(c, 3, refused)];
        expect(await openPart(c, 1, lines)).toBe(true);
        // The part is recorded once.
        expect(await filling.openPart(partOf(c, 1, 1, 3))).toBe(false);
        expect(await filling.claimPartMembers(c, 1, lines, CLAIM_AT)).toEqual([
          'conflict',
          'claimed',
          'claimed',
        ]);
        // Claimed: the entry written by the claim itself folds a resend.
        expect(await register(ghost)).toMatchObject({
          kind: 'duplicate',
          existing: { state: 'claimed', batchId: c },
        });
        // While the part is uncommitted, every member it may hold is listed.
        expect((await members.getItems(c, ['r000001'])).size).toBe(1);
        await filling.commitPart(c, 1, 2, ['r000001']);
        expect((await members.getItems(c, ['r000001'])).size).toBe(0);
        expect((await members.getItems(c, ['r000002', 'r000003'])).size).toBe(2);
      } finally {
        await subject.close?.();
      }
    });
    it('lets exactly one of two concurrent batches claim the same request', async () => {
      const { subject, register, claimAlone } = await open();
      try {
        for (let round = 0; round < 5; round++) {
          const id = uid('race');
          await register(id);
          const [a, b] = [uid('ra'), uid('rb')];
          const outcomes = await Promise.all([
            claimAlone(lineOf(a, 1, id)),
            claimAlone(lineOf(b, 1, id)),
          ]);
          expect(outcomes.filter(Boolean)).toHaveLength(1);
          const winner = outcomes[0] === true ? a : b;
          expect(await register(id)).toMatchObject({
            kind: 'duplicate',
            existing: { state: 'claimed', batchId: winner },
          });
        }
      } finally {
        await subject.close?.();
      }
    });
    it('refuses a request it cannot store alone, and claims its neighbours', async () => {
      const { subject, ledger, records, filling, openPart } = await open();
      try {
        const huge = 'x'.repeat(3000);
        await expect(
          ledger.registerRequest({
            producer: '',
            customId: huge,
            requestHash: 'h',
            state: 'pending',
            acceptedAt: ACCEPTED,
            expiresAt: EXPIRES,
          }),
        ).rejects.toBeInstanceOf(InvalidInputError);
        const batchId = uid('b');
        await records.createBatch(batchOf(batchId));
        const [before, after] = [uid('a'), uid('z')];
        const lines = [
          lineOf(batchId, 0, before),
          lineOf(batchId, 1, huge),
          lineOf(batchId, 2, after),
        ];
        await openPart(batchId, 1, lines);
        expect(await filling.claimPartMembers(batchId, 1, lines, CLAIM_AT)).toEqual([
          'claimed',
          'unstorable',
          'claimed',
        ]);
      } finally {
        await subject.close?.();
      }
    });
    it('moves a group pointer only from the batch the caller saw', async () => {
      const { subject, filling } = await open();
      try {
        const group = uid('anthropic|/v1/messages');
        expect(await filling.currentFillingBatch(group)).toBeNull();
        expect(await filling.setFillingBatch(group, 'b1', null)).toBe(true);
        expect(await filling.setFillingBatch(group, 'b2', null)).toBe(false);
        expect(await filling.setFillingBatch(group, 'b2', 'b0')).toBe(false);
        expect(await filling.currentFillingBatch(group)).toBe('b1');
        expect(await filling.setFillingBatch(group, 'b2', 'b1')).toBe(true);
        expect(await filling.currentFillingBatch(group)).toBe('b2');
      } finally {
        await subject.close?.();
      }
    });
    it('reserves parts atomically within the limits, adding estimates, until it stops filling', async () => {
      const { subject, records, filling } = await open();
      try {
        const batchId = uid('b');
        await records.createBatch(fillingBatch(batchId));
        const results = await Promise.all(
          Array.from({ length: 12 }, () => filling.reservePart(batchId, reservationOf(10, 500))),
        );
        const won = results.filter((r) => r !== null);
        expect(won).toHaveLength(10);
        expect(won.map((r) => r.firstIndex).sort((a, b) => a - b)).toEqual([
          0, 10, 20, 30, 40, 50, 60, 70, 80, 90,
        ]);
        expect(new Set(won.map((r) => r.partNo)).size).toBe(10);
        expect(Math.max(...won.map((r) => r.batchRequests))).toBe(100);
        expect(await records.getBatch(batchId)).toMatchObject({
          requestCount: 100,
          inputBytes: 5000,
          partCount: 10,
          version: 10,
          estimate: { byModel: { 'claude-test': { requests: 100, tokens: 1000 } }, nanoUsd: 700 },
        });
        // Bytes bind as well as the count; a part larger than the limit alone never fits.
        const other = uid('b');
        await records.createBatch(fillingBatch(other));
        expect(await filling.reservePart(other, reservationOf(1, 9_999))).toEqual({
          partNo: 1,
          firstIndex: 0,
          batchRequests: 1,
          batchBytes: 9_999,
        });
        expect(await filling.reservePart(other, reservationOf(1, 2))).toBeNull();
        expect(await filling.reservePart(other, reservationOf(101, 1))).toBeNull();
        await filling.reservePart(other, reservationOf(2, 1, 'claude-b.v1:0'));
        expect((await records.getBatch(other))?.estimate).toEqual({
          byModel: {
            'claude-test': { requests: 1, tokens: 10 },
            'claude-b.v1:0': { requests: 2, tokens: 20 },
          },
          nanoUsd: 21,
        });
        expect(await filling.reservePart(uid('none'), reservationOf(1, 1))).toBeNull();

        const sealing = await filling.stopFilling(other, '2026-11-27T10:30:00.000Z');
        expect(sealing).toMatchObject({
          state: 'sealing',
          nextPollAt: '2026-11-27T10:30:00.000Z',
          version: 3,
        });
        expect(await records.getBatch(other)).toEqual(sealing);
        expect(await filling.reservePart(other, reservationOf(1, 1))).toBeNull();
        expect(await filling.stopFilling(other, '2026-11-27T10:31:00.000Z')).toBeNull();
        const updated = await records.updateBatch(other, sealing?.version ?? -1, { state: 'open' });
        expect(updated.estimate?.nanoUsd).toBe(21);
        const due = await records.listDueBatches('2026-11-27T10:30:00.000Z', 1000);
        expect(due.map((b) => b.batchId)).toContain(other);
      } finally {
        await subject.close?.();
      }
    });
    it('lets a request be held once per batch, even when two parts carry it', async () => {
      const { subject, records, filling, register, openPart, listAll } = await open();
      try {
        const batchId = uid('b');
        await records.createBatch(fillingBatch(batchId));
        const id = uid('dup');
        await register(id);
        for (const partNo of [1, 2]) {
          await filling.reservePart(batchId, reservationOf(1, 10));
          await openPart(batchId, partNo, [lineOf(batchId, partNo - 1, id)]);
        }
        const [first, second] = [lineOf(batchId, 0, id), lineOf(batchId, 1, id)];
        expect(await filling.claimPartMembers(batchId, 1, [first], CLAIM_AT)).toEqual(['claimed']);
        expect(await filling.claimPartMembers(batchId, 2, [second], CLAIM_AT)).toEqual(['held']);
        expect(await filling.claimPartMembers(batchId, 1, [first], CLAIM_AT)).toEqual(['claimed']);
        await filling.commitPart(batchId, 1, 1, []);
        await filling.commitPart(batchId, 2, 0, ['r000001']);
        expect((await listAll(batchId)).map((m) => m.providerCustomId)).toEqual(['r000000']);
      } finally {
        await subject.close?.();
      }
    });
    it('seals parts: a bare one refuses its collector, a half-claimed one is settled', async () => {
      const { subject, records, filling, members, register, openPart, listAll } = await open();
      try {
        const [batchId, rival] = [uid('b'), uid('r')];
        await records.createBatch(fillingBatch(batchId));
        await records.createBatch(fillingBatch(rival));
        const [whole, unclaimed, elsewhere, late, after] = ['w', 'u', 'e', 'n', 'a'].map(uid) as [
          string,
          string,
          string,
          string,
          string,
        ];
        for (const id of [whole, unclaimed, elsewhere, late, after]) await register(id);
        await filling.reservePart(batchId, reservationOf(4, 40));
        const lines = [whole, unclaimed, elsewhere, late].map((id, i) => lineOf(batchId, i, id));
        expect(await openPart(batchId, 1, lines)).toBe(true);
        // The collector claimed the first member and died; the third went to the rival.
        expect(
          await filling.claimPartMembers(batchId, 1, [lines[0] as PartMemberLine], CLAIM_AT),
        ).toEqual(['claimed']);
        await filling.reservePart(rival, reservationOf(1, 10));
        await openPart(rival, 1, [lineOf(rival, 0, elsewhere)]);
        expect(
          await filling.claimPartMembers(rival, 1, [lineOf(rival, 0, elsewhere)], CLAIM_AT),
        ).toEqual(['claimed']);
        // Part 2 is reserved but its collector has not recorded it when sealing starts.
        await filling.reservePart(batchId, reservationOf(1, 10));

        await filling.stopFilling(batchId, '2026-11-27T10:30:00.000Z');
        const sealed = await filling.sealParts(batchId, 2, CLAIM_AT);
        expect(sealed).toEqual([
          { ...partOf(batchId, 1, 0, 4), state: 'sealed', claimed: 3, voids: ['r000002'] },
        ]);
        expect((await listAll(batchId)).map((m) => [m.providerCustomId, m.customId])).toEqual([
          ['r000000', whole],
          ['r000001', unclaimed],
          ['r000003', late],
        ]);
        expect((await members.getItems(batchId, ['r000002'])).size).toBe(0);
        // Sealing claimed the unclaimed members itself: their redeliveries fold.
        for (const id of [unclaimed, late]) {
          expect(await register(id)).toMatchObject({
            kind: 'duplicate',
            existing: { state: 'claimed', batchId },
          });
        }
        // The collectors are refused from here on; a late commit changes nothing.
        await expect(
          filling.claimPartMembers(batchId, 1, [lines[3] as PartMemberLine], CLAIM_AT),
        ).rejects.toMatchObject({ code: 'part_sealed' });
        await filling.commitPart(batchId, 1, 4, []);
        const bare = lineOf(batchId, 4, after);
        expect(await openPart(batchId, 2, [bare])).toBe(false);
        const refused = filling.claimPartMembers(batchId, 2, [bare], CLAIM_AT);
        await expect(refused).rejects.toBeInstanceOf(ConflictError);
        await expect(refused).rejects.toMatchObject({ code: 'part_sealed' });
        expect((await register(after)).kind).toBe('pending');
        // Sealing again gives the same answer.
        expect(await filling.sealParts(batchId, 2, CLAIM_AT)).toEqual(sealed);
        // The rival's member stays its own.
        expect(
          await filling.claimPartMembers(rival, 1, [lineOf(rival, 0, elsewhere)], CLAIM_AT),
        ).toEqual(['claimed']);
      } finally {
        await subject.close?.();
      }
    });
  });
};

export { type BatchFillingSubject, describeBatchFillingContract };
