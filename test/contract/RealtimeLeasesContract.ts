import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../shared/domain/errors.js';
import { batchOf, COST, lineOf, openState, type StateSubject, uid } from './stateFixtures.js';

/** Its port, and the other ports of the same fresh, empty table it needs. */
type RealtimeLeasesSubject = StateSubject<
  'leases',
  'ledger' | 'records' | 'filling' | 'members' | 'blobs'
>;

/**
 * What every `RealtimeLeases` must do; its targets are made through the same table's ledger,
 * batches and members. Run against the fake and DynamoDB.
 */
const describeRealtimeLeasesContract = (
  name: string,
  make: () => Promise<RealtimeLeasesSubject> | RealtimeLeasesSubject,
): void => {
  describe(`RealtimeLeases contract: ${name}`, () => {
    const open = async () => openState('leases', await make());

    it('leases realtime targets to one worker at a time until delivered', async () => {
      const { subject, ledger, records, filling, members, leases, register, openPart } =
        await open();
      try {
        const id = uid('rt');
        await register(id, 'h1');
        expect(await ledger.markRealtime('', id, 'h1')).toBe(true);
        const request = { kind: 'request', producer: '', customId: id } as const;
        const t = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, '0')}:00.000Z`;
        expect(await leases.leaseRealtime(request, t(5), t(0))).toBe('leased');
        expect(await leases.leaseRealtime(request, t(6), t(1))).toBe('busy');
        // A lease that ran out is taken over; one handed back is free at once.
        expect(await leases.leaseRealtime(request, t(10), t(6))).toBe('leased');
        await leases.releaseRealtime(request);
        expect(await leases.leaseRealtime(request, t(12), t(7))).toBe('leased');
        await leases.finishRealtime(request, {
          status: 'succeeded',
          deliveredAt: t(8),
          cost: COST,
        });
        expect(await leases.leaseRealtime(request, t(30), t(20))).toBe('done');
        const missing = { kind: 'request', producer: '', customId: uid('nope') } as const;
        expect(await leases.leaseRealtime(missing, t(5), t(0))).toBe('missing');
        await leases.releaseRealtime(missing);
        await expect(
          leases.finishRealtime(missing, { status: 'succeeded', deliveredAt: t(8) }),
        ).rejects.toBeInstanceOf(NotFoundError);

        // An escalated member is leased on its exception item; one not escalated is missing.
        const batchId = uid('b');
        await records.createBatch(batchOf(batchId, { state: 'submitted' }));
        const lines = [lineOf(batchId, 0, uid('m')), lineOf(batchId, 1, uid('m'))];
        for (const l of lines) await register(l.item.customId);
        await openPart(batchId, 1, lines);
        await filling.claimPartMembers(batchId, 1, lines);
        await filling.commitPart(batchId, 1, 2, []);
        const escalated = { kind: 'member', batchId, providerCustomId: 'r000000' } as const;
        const plain = { kind: 'member', batchId, providerCustomId: 'r000001' } as const;
        expect(await leases.leaseRealtime(escalated, t(5), t(0))).toBe('missing');
        expect(await members.escalateMember(batchId, 'r000000', t(1))).toBe(true);
        expect(await leases.leaseRealtime(escalated, t(5), t(1))).toBe('leased');
        expect(await leases.leaseRealtime(escalated, t(6), t(2))).toBe('busy');
        await leases.finishRealtime(escalated, { status: 'succeeded', deliveredAt: t(3) });
        expect(await leases.leaseRealtime(escalated, t(9), t(8))).toBe('done');
        expect(await leases.leaseRealtime(plain, t(5), t(0))).toBe('missing');
        await expect(
          leases.finishRealtime(plain, { status: 'succeeded', deliveredAt: t(3) }),
        ).rejects.toBeInstanceOf(NotFoundError);
        expect((await members.getItems(batchId, ['r000000'])).get('r000000')).toMatchObject({
          status: 'succeeded',
          deliveredAt: t(3),
          escalatedAt: t(1),
          cost: null,
          customId: lines[0]?.item.customId,
        });
        // Delivered: it cannot be escalated again.
        expect(await members.escalateMember(batchId, 'r000000', t(9))).toBe(false);
      } finally {
        await subject.close?.();
      }
    });
    it("leases a request only while its ledger entry is the realtime lane's", async () => {
      const { subject, ledger, records, leases, register, claimAlone } = await open();
      try {
        const t = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, '0')}:00.000Z`;
        const target = (customId: string) => ({ kind: 'request', producer: '', customId }) as const;
        // Still `pending`: its collector sent the job and has not marked it yet. It is the
        // lane's all the same, and the mark that follows keeps the lease.
        const sent = uid('sent');
        await register(sent);
        expect(await leases.leaseRealtime(target(sent), t(5), t(0))).toBe('leased');
        expect(await ledger.markRealtime('', sent, `h-${sent}`)).toBe(true);
        expect(await leases.leaseRealtime(target(sent), t(6), t(1))).toBe('busy');

        // Claimed by a batch: the batch delivers it; a left-over job finds nothing to serve.
        const batched = uid('batched');
        await register(batched);
        const batchId = uid('b');
        await records.createBatch(batchOf(batchId));
        expect(await claimAlone(lineOf(batchId, 0, batched))).toBe(true);
        expect(await leases.leaseRealtime(target(batched), t(5), t(0))).toBe('missing');
        // Refused, before and after its refusal is out.
        const refused = uid('refused');
        await register(refused, 'h-bad', 'rejecting');
        expect(await leases.leaseRealtime(target(refused), t(5), t(0))).toBe('missing');
        await ledger.markRefused('', refused);
        expect(await leases.leaseRealtime(target(refused), t(5), t(0))).toBe('missing');
        // None of these answers wrote anything: the entries stand as they were.
        expect(await register(batched)).toMatchObject({
          kind: 'duplicate',
          existing: { state: 'claimed', batchId },
        });
        const after = await register(refused, 'h-bad', 'rejecting');
        expect(after.kind === 'duplicate' && after.existing.state).toBe('rejected');
      } finally {
        await subject.close?.();
      }
    });
  });
};

export { describeRealtimeLeasesContract, type RealtimeLeasesSubject };
