import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../shared/domain/errors.js';
import {
  batchOf,
  CLAIM_AT,
  COST,
  lineOf,
  openState,
  type StateSubject,
  uid,
} from './stateFixtures.js';

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
        await filling.claimPartMembers(batchId, 1, lines, CLAIM_AT);
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

    it('keeps a batch from claiming a pending request a worker holds or has delivered', async () => {
      const { subject, ledger, records, filling, leases, register, openPart } = await open();
      try {
        const t = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, '0')}:00.000Z`;
        const target = (customId: string) => ({ kind: 'request', producer: '', customId }) as const;
        const batchId = uid('b');
        await records.createBatch(batchOf(batchId));
        // Sent to the realtime lane, its collector died before marking the entry `realtime`,
        // and a retry packed it for a batch: under a live lease (up to its last instant), a
        // delivery, or both, the claim finds it held; once a lease ran out undelivered, the
        // batch takes it and the worker's next try finds nothing to serve.
        const [leased, delivered, sealedOver, lapsed] = [
          uid('leased'),
          uid('delivered'),
          uid('sealed'),
          uid('lapsed'),
        ];
        for (const id of [leased, delivered, sealedOver, lapsed]) {
          await register(id);
          expect(await leases.leaseRealtime(target(id), t(5), t(0))).toBe('leased');
        }
        await leases.finishRealtime(target(delivered), {
          status: 'succeeded',
          deliveredAt: t(1),
          cost: COST,
        });
        const lines = [lineOf(batchId, 0, leased), lineOf(batchId, 1, delivered)];
        expect(await openPart(batchId, 1, lines)).toBe(true);
        expect(await filling.claimPartMembers(batchId, 1, lines, t(5))).toEqual(['held', 'held']);
        await filling.commitPart(batchId, 1, 0, ['r000000', 'r000001']);
        // Sealing settles a part its collector never claimed with the same claim, the lease
        // judged as it seals.
        expect(await openPart(batchId, 2, [lineOf(batchId, 2, sealedOver)])).toBe(true);
        const sealed = await filling.sealParts(batchId, 2, t(3));
        expect(sealed.map((part) => [part.claimed, part.voids])).toEqual([
          [0, ['r000000', 'r000001']],
          [0, ['r000002']],
        ]);
        // Nothing was written: the entries are the lane's as they were.
        expect(await leases.leaseRealtime(target(leased), t(7), t(4))).toBe('busy');
        expect(await leases.leaseRealtime(target(sealedOver), t(7), t(4))).toBe('busy');
        expect(await leases.leaseRealtime(target(delivered), t(7), t(4))).toBe('done');
        expect(await ledger.markRealtime('', leased, `h-${leased}`)).toBe(true);

        const later = uid('b');
        await records.createBatch(batchOf(later));
        const late = lineOf(later, 0, lapsed);
        expect(await openPart(later, 1, [late])).toBe(true);
        expect(await filling.claimPartMembers(later, 1, [late], t(6))).toEqual(['claimed']);
        expect(await leases.leaseRealtime(target(lapsed), t(12), t(7))).toBe('missing');
      } finally {
        await subject.close?.();
      }
    });
  });
};

export { describeRealtimeLeasesContract, type RealtimeLeasesSubject };
