import { describe, expect, it } from 'vitest';
import {
  ACCEPTED,
  batchOf,
  EXPIRES,
  lineOf,
  openState,
  type StateSubject,
  uid,
} from './stateFixtures.js';

/** Its port, and the other ports of the same fresh, empty table it needs. */
type RequestLedgerSubject = StateSubject<'ledger', 'records' | 'filling' | 'blobs'>;

/**
 * What every `RequestLedger` must do; members are claimed into batches through the same table's
 * `BatchFilling`, as collectors do. Run against the fake and DynamoDB.
 */
const describeRequestLedgerContract = (
  name: string,
  make: () => Promise<RequestLedgerSubject> | RequestLedgerSubject,
): void => {
  describe(`RequestLedger contract: ${name}`, () => {
    const open = async () => openState('ledger', await make());

    it('tells new, pending, duplicate and conflicting registrations apart', async () => {
      const { subject, ledger, records, register, claimAlone } = await open();
      try {
        const id = uid('req');
        expect(await register(id, 'h1')).toEqual({ kind: 'new' });
        expect(await register(id, 'h1')).toEqual({
          kind: 'pending',
          existing: {
            producer: '',
            customId: id,
            requestHash: 'h1',
            state: 'pending',
            batchId: null,
            acceptedAt: ACCEPTED,
            expiresAt: EXPIRES,
          },
        });
        expect((await register(id, 'h2')).kind).toBe('conflict');

        const batchId = uid('b');
        await records.createBatch(batchOf(batchId));
        expect(await claimAlone(lineOf(batchId, 1, id, 'h1'))).toBe(true);
        expect(await register(id, 'h1')).toMatchObject({
          kind: 'duplicate',
          existing: { state: 'claimed', batchId },
        });
        expect(await register(id, 'h2')).toMatchObject({ kind: 'conflict' });

        // A refusal holds its id only against its own resends until it is marked out.
        const refused = uid('rej');
        expect(await register(refused, 'h9', 'rejecting')).toEqual({ kind: 'new' });
        const unsent = await register(refused, 'h9', 'rejecting');
        expect(unsent.kind === 'duplicate' && unsent.existing.state).toBe('rejecting');
        await ledger.markRefused('', refused);
        await ledger.markRefused('', refused);
        const after = await register(refused, 'h9', 'rejecting');
        expect(after.kind === 'duplicate' && after.existing.state).toBe('rejected');
        // ...and a valid request of the same id takes it over.
        expect(await register(refused, 'h-valid')).toEqual({ kind: 'new' });
        expect((await register(refused, 'h-valid')).kind).toBe('pending');
        // Marking a pending entry refused changes nothing.
        await ledger.markRefused('', refused);
        expect((await register(refused, 'h-valid')).kind).toBe('pending');
        // Producers' ids are their own.
        expect(
          await ledger.registerRequest({
            producer: 'team-a',
            customId: id,
            requestHash: 'other',
            state: 'pending',
            acceptedAt: ACCEPTED,
            expiresAt: EXPIRES,
          }),
        ).toEqual({ kind: 'new' });
      } finally {
        await subject.close?.();
      }
    });
    it('registers many ids at once and tells each outcome apart, in order', async () => {
      const { subject, ledger, records, register, claimAlone } = await open();
      try {
        const fresh = Array.from({ length: 30 }, () => uid('many'));
        const [pendingId, claimedId, conflictId] = [uid('p'), uid('c'), uid('x')];
        await register(pendingId, 'h1');
        await register(claimedId, 'h1');
        await register(conflictId, 'h1');
        const batchId = uid('b');
        await records.createBatch(batchOf(batchId));
        await claimAlone(lineOf(batchId, 1, claimedId, 'h1'));
        const ids = [...fresh.slice(0, 10), pendingId, claimedId, conflictId, ...fresh.slice(10)];
        const outcomes = await ledger.registerRequests(
          ids.map((customId) => ({
            producer: '',
            customId,
            requestHash: customId === conflictId ? 'other' : 'h1',
            state: 'pending' as const,
            acceptedAt: ACCEPTED,
            expiresAt: EXPIRES,
          })),
        );
        expect(outcomes.map((o) => o.kind)).toEqual([
          ...Array(10).fill('new'),
          'pending',
          'duplicate',
          'conflict',
          ...Array(20).fill('new'),
        ]);
        expect((await register(fresh[29] ?? '', 'h1')).kind).toBe('pending');
        expect(await ledger.registerRequests([])).toEqual([]);
      } finally {
        await subject.close?.();
      }
    });
    it('marks a pending request realtime once, and only with its own hash', async () => {
      const { subject, ledger, register } = await open();
      try {
        const id = uid('rt');
        await register(id, 'h1');
        expect(await ledger.markRealtime('', id, 'other')).toBe(false);
        expect(await ledger.markRealtime('', id, 'h1')).toBe(true);
        expect(await ledger.markRealtime('', id, 'h1')).toBe(false);
        expect(await register(id, 'h1')).toMatchObject({
          kind: 'duplicate',
          existing: { state: 'realtime' },
        });
        expect(await ledger.markRealtime('', uid('never'), 'h1')).toBe(false);
      } finally {
        await subject.close?.();
      }
    });
  });
};

export { describeRequestLedgerContract, type RequestLedgerSubject };
