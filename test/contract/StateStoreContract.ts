import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '../../shared/domain/errors.js';
import { newBatchRecord } from '../../shared/domain/newBatchRecord.js';
import {
  encodePartMember,
  type PartMemberLine,
  partMembersKeyOf,
} from '../../shared/domain/partMembers.js';
import { providerCustomIdOf } from '../../shared/domain/providerCustomIdOf.js';
import type { BatchItem, BatchPart, BatchRecord, ItemCost } from '../../shared/domain/records.js';
import type { BlobStore } from '../../shared/ports/BlobStore.js';
import type {
  PartReservation,
  RegisterRequestInput,
  StateStore,
} from '../../shared/ports/StateStore.js';
import type { Subject } from './subject.js';

/**
 * A fresh, empty store (its due batches are its own) with `listItems` pages of 100, and the
 * bucket its parts' sidecars are read from.
 */
interface StateStoreSubject extends Subject<StateStore> {
  readonly blobs: BlobStore;
}

const EXPIRES = 1_900_000_000;
const ACCEPTED = '2026-11-26T10:00:00.000Z';

const uid = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

const batchOf = (batchId: string, overrides: Partial<BatchRecord> = {}): BatchRecord => ({
  batchId,
  provider: 'anthropic',
  endpoint: '/v1/messages',
  models: ['claude-test'],
  state: 'open',
  version: 1,
  inputKey: `inputs/${batchId}.jsonl`,
  inputBytes: 1234,
  requestCount: 2,
  providerBatchId: null,
  providerStatus: null,
  providerExpiresAt: null,
  createdAt: '2026-11-26T10:00:00.000Z',
  submittedAt: null,
  endedAt: null,
  completedAt: null,
  nextPollAt: '2026-11-26T10:05:00.000Z',
  pollCount: 0,
  counts: null,
  resultKeys: [],
  lastError: null,
  completionLeaseUntil: null,
  checkpoint: null,
  ...overrides,
});

const fillingBatch = (batchId: string): BatchRecord =>
  newBatchRecord({
    batchId,
    provider: 'anthropic',
    endpoint: '/v1/messages',
    models: [],
    state: 'filling',
    createdAt: '2026-11-27T10:00:00.000Z',
    nextPollAt: '2026-11-27T10:01:00.000Z',
    partCount: 0,
    estimate: { byModel: {}, nanoUsd: 0 },
  });

const memberOf = (batchId: string, index: number, customId: string): BatchItem => ({
  batchId,
  providerCustomId: providerCustomIdOf(index),
  producer: '',
  customId,
  model: 'claude-test',
  destination: { type: 'sqs', queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/q' },
  metadata: { n: index, tags: ['a', 'b'], nested: { ok: true, none: null } },
  attempts: 1,
  acceptedAt: ACCEPTED,
  deadline: null,
  status: null,
  deliveredAt: null,
  escalatedAt: null,
  lane: { requested: 'batch', reason: 'tier batch' },
  cost: null,
});

/** A sidecar line: the request's hash is `h-<customId>` unless told. */
const lineOf = (
  batchId: string,
  index: number,
  customId: string,
  requestHash = `h-${customId}`,
): PartMemberLine => ({
  item: memberOf(batchId, index, customId),
  requestHash,
  expiresAt: EXPIRES,
});

const partOf = (batchId: string, partNo: number, firstIndex: number, count: number): BatchPart => ({
  batchId,
  partNo,
  state: 'open',
  firstIndex,
  requestCount: count,
  models: ['claude-test'],
  escalateAt: null,
  claimed: null,
});

const reservationOf = (
  requests: number,
  bytes: number,
  model = 'claude-test',
): PartReservation => ({
  requests,
  bytes,
  estimate: { byModel: { [model]: { requests, tokens: requests * 10 } }, nanoUsd: requests * 7 },
  maxRequests: 100,
  maxBytes: 10_000,
});

const COST: ItemCost = {
  day: '2026-11-26',
  model: 'claude-test',
  tag: '',
  nanoUsd: 5,
  realtimeNanoUsd: 10,
  inputTokens: 1,
  outputTokens: 2,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
};

/** What every `StateStore` must do, through the port alone; run against the fake and DynamoDB. */
const describeStateStoreContract = (
  name: string,
  make: () => Promise<StateStoreSubject> | StateStoreSubject,
): void => {
  describe(`StateStore contract: ${name}`, () => {
    /** A subject, and what a collector does with it. */
    const open = async () => {
      const subject = await make();
      const store = subject.port;
      const register = (
        customId: string,
        requestHash = `h-${customId}`,
        state: RegisterRequestInput['state'] = 'pending',
      ) =>
        store.registerRequest({
          producer: '',
          customId,
          requestHash,
          state,
          acceptedAt: ACCEPTED,
          expiresAt: EXPIRES,
        });
      /** Writes a part's sidecar and opens the part, as a collector does. */
      const openPart = async (batchId: string, partNo: number, lines: PartMemberLine[]) => {
        await subject.blobs.put(
          partMembersKeyOf(batchId, partNo),
          lines.map(encodePartMember).join(''),
        );
        const first = Number.parseInt(lines[0]?.item.providerCustomId.slice(1) ?? '0', 10);
        return store.openPart(partOf(batchId, partNo, first, lines.length));
      };
      /** Claims one member alone through part 1 of its batch and commits the part. */
      const claimAlone = async (line: PartMemberLine): Promise<boolean> => {
        await openPart(line.item.batchId, 1, [line]);
        const [claim] = await store.claimPartMembers(line.item.batchId, 1, [line]);
        const won = claim === 'claimed';
        await store.commitPart(
          line.item.batchId,
          1,
          won ? 1 : 0,
          won ? [] : [line.item.providerCustomId],
        );
        return won;
      };
      const listAll = async (batchId: string) => {
        const members: BatchItem[] = [];
        for await (const page of store.listItems(batchId)) members.push(...page);
        return members;
      };
      return { subject, store, register, openPart, claimAlone, listAll };
    };

    it('tells new, pending, duplicate and conflicting registrations apart', async () => {
      const { subject, store, register, claimAlone } = await open();
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
        await store.createBatch(batchOf(batchId));
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
        await store.markRefused('', refused);
        await store.markRefused('', refused);
        const after = await register(refused, 'h9', 'rejecting');
        expect(after.kind === 'duplicate' && after.existing.state).toBe('rejected');
        // ...and a valid request of the same id takes it over.
        expect(await register(refused, 'h-valid')).toEqual({ kind: 'new' });
        expect((await register(refused, 'h-valid')).kind).toBe('pending');
        // Marking a pending entry refused changes nothing.
        await store.markRefused('', refused);
        expect((await register(refused, 'h-valid')).kind).toBe('pending');
        // Producers' ids are their own.
        expect(
          await store.registerRequest({
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
      const { subject, store, register, claimAlone } = await open();
      try {
        const fresh = Array.from({ length: 30 }, () => uid('many'));
        const [pendingId, claimedId, conflictId] = [uid('p'), uid('c'), uid('x')];
        await register(pendingId, 'h1');
        await register(claimedId, 'h1');
        await register(conflictId, 'h1');
        const batchId = uid('b');
        await store.createBatch(batchOf(batchId));
        await claimAlone(lineOf(batchId, 1, claimedId, 'h1'));
        const ids = [...fresh.slice(0, 10), pendingId, claimedId, conflictId, ...fresh.slice(10)];
        const outcomes = await store.registerRequests(
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
        expect(await store.registerRequests([])).toEqual([]);
      } finally {
        await subject.close?.();
      }
    });

    it('claims a request once: its own claim again, held elsewhere, conflict on another hash', async () => {
      const { subject, store, register, openPart, claimAlone } = await open();
      try {
        const id = uid('req');
        await register(id);
        const [a, b] = [uid('ba'), uid('bb')];
        await store.createBatch(batchOf(a));
        await store.createBatch(batchOf(b));
        expect(await claimAlone(lineOf(a, 1, id))).toBe(true);
        expect(await claimAlone(lineOf(a, 1, id))).toBe(true);
        expect(await claimAlone(lineOf(b, 1, id))).toBe(false);
        expect((await store.getItems(a, ['r000001'])).get('r000001')).toMatchObject({
          customId: id,
        });
        expect((await store.getItems(b, ['r000001'])).size).toBe(0);

        const c = uid('bc');
        await store.createBatch(batchOf(c));
        const [other, ghost, refused] = [uid('o'), uid('ghost'), uid('refused')];
        await register(other, 'h1');
        await register(refused, 'h-bad', 'rejecting');
        const lines = [lineOf(c, 1, other, 'h-else'), lineOf(c, 2, ghost), lineOf(c, 3, refused)];
        expect(await openPart(c, 1, lines)).toBe(true);
        // The part is recorded once.
        expect(await store.openPart(partOf(c, 1, 1, 3))).toBe(false);
        expect(await store.claimPartMembers(c, 1, lines)).toEqual([
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
        expect((await store.getItems(c, ['r000001'])).size).toBe(1);
        await store.commitPart(c, 1, 2, ['r000001']);
        expect((await store.getItems(c, ['r000001'])).size).toBe(0);
        expect((await store.getItems(c, ['r000002', 'r000003'])).size).toBe(2);
      } finally {
        await subject.close?.();
      }
    });

    it('surfaces an opened part whose sidecar is missing, never an empty part', async () => {
      const { subject, store, listAll } = await open();
      try {
        const batchId = uid('b');
        await store.createBatch(fillingBatch(batchId));
        await store.reservePart(batchId, reservationOf(2, 20));
        expect(await store.openPart(partOf(batchId, 1, 0, 2))).toBe(true);
        await expect(listAll(batchId)).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.getItems(batchId, ['r000000'])).rejects.toBeInstanceOf(NotFoundError);
        await store.stopFilling(batchId, '2026-11-27T10:30:00.000Z');
        await expect(store.sealParts(batchId, 1)).rejects.toBeInstanceOf(NotFoundError);
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
      const { subject, store, openPart } = await open();
      try {
        const huge = 'x'.repeat(3000);
        await expect(
          store.registerRequest({
            producer: '',
            customId: huge,
            requestHash: 'h',
            state: 'pending',
            acceptedAt: ACCEPTED,
            expiresAt: EXPIRES,
          }),
        ).rejects.toBeInstanceOf(InvalidInputError);
        const batchId = uid('b');
        await store.createBatch(batchOf(batchId));
        const [before, after] = [uid('a'), uid('z')];
        const lines = [
          lineOf(batchId, 0, before),
          lineOf(batchId, 1, huge),
          lineOf(batchId, 2, after),
        ];
        await openPart(batchId, 1, lines);
        expect(await store.claimPartMembers(batchId, 1, lines)).toEqual([
          'claimed',
          'unstorable',
          'claimed',
        ]);
      } finally {
        await subject.close?.();
      }
    });

    it('creates a batch once and updates it only at the expected version', async () => {
      const { subject, store } = await open();
      try {
        const id = uid('b');
        expect(await store.getBatch(id)).toBeNull();
        await store.createBatch(batchOf(id));
        await expect(store.createBatch(batchOf(id))).rejects.toBeInstanceOf(ConflictError);
        const updated = await store.updateBatch(id, 1, {
          state: 'submitted',
          providerBatchId: 'msgbatch_9',
          counts: { succeeded: 1, errored: 0, expired: 0, canceled: 0, rejected: 0, retried: 0 },
          resultKeys: ['r/1.jsonl'],
          // Undefined fields of a patch change nothing.
          lastError: undefined,
        });
        expect(updated).toMatchObject({
          version: 2,
          state: 'submitted',
          providerBatchId: 'msgbatch_9',
        });
        expect(await store.getBatch(id)).toEqual(updated);

        const stale = store.updateBatch(id, 1, { pollCount: 5 });
        await expect(stale).rejects.toBeInstanceOf(ConflictError);
        await expect(stale).rejects.toMatchObject({ code: 'version_conflict' });
        const concurrent = await Promise.allSettled([
          store.updateBatch(id, 2, { pollCount: 1 }),
          store.updateBatch(id, 2, { pollCount: 2 }),
        ]);
        expect(concurrent.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = concurrent.find((r) => r.status === 'rejected');
        expect(lost?.status === 'rejected' && lost.reason).toBeInstanceOf(ConflictError);
        const current = (await store.getBatch(id)) as BatchRecord;
        expect(current.version).toBe(3);
        // A running batch's progress marks are kept once set.
        const progressed = await store.updateBatch(id, 3, {
          inProgressAt: '2026-11-26T10:10:00.000Z',
          progressAt: '2026-11-26T10:20:00.000Z',
        });
        expect(await store.getBatch(id)).toEqual(progressed);
        expect(progressed).toMatchObject({ version: 4, inProgressAt: '2026-11-26T10:10:00.000Z' });

        const missing = store.updateBatch(uid('missing'), 1, {});
        await expect(missing).rejects.toBeInstanceOf(NotFoundError);
        await expect(missing).rejects.toMatchObject({ code: 'not_found' });
      } finally {
        await subject.close?.();
      }
    });

    it('lists due, not completed batches oldest first, up to the limit', async () => {
      const { subject, store } = await open();
      try {
        await store.createBatch(batchOf('b3', { nextPollAt: '2026-11-26T10:03:00.000Z' }));
        await store.createBatch(batchOf('b1', { nextPollAt: '2026-11-26T10:01:00.000Z' }));
        await store.createBatch(batchOf('b2', { nextPollAt: '2026-11-26T10:02:00.000Z' }));
        await store.createBatch(batchOf('later', { nextPollAt: '2026-11-26T11:00:00.000Z' }));
        await store.createBatch(batchOf('done', { state: 'completed', nextPollAt: null }));
        await store.createBatch(
          batchOf('b0', { state: 'submitted', nextPollAt: '2026-11-26T10:00:00.000Z' }),
        );
        await store.updateBatch('b0', 1, { state: 'completed', nextPollAt: null });
        const now = '2026-11-26T10:30:00.000Z';
        const ids = async (limit: number) =>
          (await store.listDueBatches(now, limit)).map((b) => b.batchId);
        expect(await ids(10)).toEqual(['b1', 'b2', 'b3']);
        expect(await ids(2)).toEqual(['b1', 'b2']);
        expect(await ids(0)).toEqual([]);
        await store.updateBatch('b1', 1, { nextPollAt: '2026-11-26T12:00:00.000Z' });
        expect(await ids(10)).toEqual(['b2', 'b3']);
        // An active batch left without a poll time is still found, by its creation time.
        await store.createBatch(
          batchOf('orphan', { nextPollAt: null, createdAt: '2026-11-26T09:00:00.000Z' }),
        );
        expect(await ids(10)).toEqual(['orphan', 'b2', 'b3']);
        expect((await store.listDueBatches(now, 1))[0]).toEqual(await store.getBatch('orphan'));
      } finally {
        await subject.close?.();
      }
    });

    it('reads members from the sidecars in pages and overlays their exceptions', async () => {
      const { subject, store, register, openPart, listAll } = await open();
      try {
        const batchId = uid('big');
        await store.createBatch(batchOf(batchId, { requestCount: 250 }));
        const lines = Array.from({ length: 250 }, (_, k) => lineOf(batchId, k, `${batchId}-c${k}`));
        await openPart(batchId, 1, lines);
        for (let n = 0; n < 250; n += 50) {
          const group = lines.slice(n, n + 50);
          await Promise.all(group.map((l) => register(l.item.customId)));
          expect(await store.claimPartMembers(batchId, 1, group)).toEqual(
            Array(50).fill('claimed'),
          );
        }
        await store.commitPart(batchId, 1, 250, []);
        const wanted = lines.map((l) => l.item.providerCustomId);
        const found = await store.getItems(batchId, [...wanted, 'r000001', 'r999999']);
        expect(found.size).toBe(250);
        expect(found.get('r000042')).toEqual(lines[42]?.item);

        const pages: number[] = [];
        for await (const page of store.listItems(batchId)) pages.push(page.length);
        expect(pages).toEqual([100, 100, 50]);
        expect(await listAll(uid('empty'))).toEqual([]);

        // Marked for a retry (the first time stands), then moved once.
        await store.markForRetry(batchId, wanted.slice(0, 3), '2026-11-26T12:00:00.000Z');
        await store.markForRetry(batchId, wanted.slice(0, 3), '2026-11-26T12:30:00.000Z');
        const marked = await store.getItems(batchId, wanted.slice(0, 4));
        expect(marked.get('r000002')).toMatchObject({
          customId: `${batchId}-c2`,
          retryAt: '2026-11-26T12:00:00.000Z',
          status: null,
        });
        expect(marked.get('r000003')?.retryAt).toBeUndefined();
        const from = marked.get('r000000') as BatchItem;
        const retryBatch = uid('retry');
        const to = { ...from, batchId: retryBatch, attempts: 2 };
        expect(await store.moveToRetryBatch(from, to, '2026-11-26T13:00:00.000Z')).toBe(true);
        expect(await store.moveToRetryBatch(from, to, '2026-11-26T13:00:00.000Z')).toBe(false);
        // A member never marked moves all the same; the ledger follows it.
        const unmarked = found.get('r000010') as BatchItem;
        const toUnmarked = {
          ...unmarked,
          batchId: retryBatch,
          providerCustomId: 'r000001',
          attempts: 2,
        };
        expect(await store.moveToRetryBatch(unmarked, toUnmarked, '2026-11-26T13:00:00.000Z')).toBe(
          true,
        );
        expect(
          await store.registerRequest({
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
            await store.moveToRetryBatch(
              { ...stray, customId },
              { ...stray, customId, batchId: retryBatch, providerCustomId: 'r000002' },
              '2026-11-26T13:00:00.000Z',
            ),
          ).toBe(false);
        }
        expect((await store.getItems(retryBatch, ['r000002'])).size).toBe(0);
        expect(await store.exceptionsOf(batchId, ['r000011'])).toEqual(new Map());
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
        expect((await store.getItems(retryBatch, ['r000001'])).get('r000001')).toEqual(toUnmarked);
      } finally {
        await subject.close?.();
      }
    });

    it('keeps exceptions: undelivered results, late deliveries, escalations', async () => {
      const { subject, store, register, openPart } = await open();
      try {
        const batchId = uid('b');
        await store.createBatch(batchOf(batchId, { state: 'ended' }));
        const lines = Array.from({ length: 4 }, (_, k) => lineOf(batchId, k, uid('m')));
        for (const l of lines) await register(l.item.customId);
        await openPart(batchId, 1, lines);
        await store.claimPartMembers(batchId, 1, lines);
        await store.commitPart(batchId, 1, 4, []);

        await store.markUndelivered(batchId, ['r000001', 'r000001'], '2026-11-26T15:00:00.000Z');
        await store.markUndelivered(batchId, ['r000001'], '2026-11-26T15:30:00.000Z');
        const owed = await store.exceptionsOf(batchId, ['r000001', 'r000002', 'r000001']);
        expect([...owed.keys()]).toEqual(['r000001']);
        expect(owed.get('r000001')).toEqual({
          status: null,
          deliveredAt: null,
          escalatedAt: null,
          cost: null,
          undeliveredAt: '2026-11-26T15:00:00.000Z',
        });
        await store.recordDeliveries(batchId, [
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
        const got = await store.getItems(batchId, ['r000001', 'r000002']);
        expect(got.get('r000001')).toEqual({
          ...lines[1]?.item,
          status: 'succeeded',
          deliveredAt: '2026-11-26T16:00:00.000Z',
          undeliveredAt: '2026-11-26T15:00:00.000Z',
          cost: COST,
        });
        expect(got.get('r000002')).toMatchObject({ status: 'expired', cost: null });

        // Escalation only while the batch runs; once per member, never after delivery.
        expect(await store.escalateMember(batchId, 'r000000', '2026-11-26T14:00:00.000Z')).toBe(
          false,
        );
        expect(await store.escalateMember(uid('none'), 'r000000', '2026-11-26T14:00:00.000Z')).toBe(
          false,
        );
        const running = (await store.getBatch(batchId)) as BatchRecord;
        await store.updateBatch(batchId, running.version, { state: 'submitted' });
        expect(await store.escalateMember(batchId, 'r000000', '2026-11-26T14:00:00.000Z')).toBe(
          true,
        );
        expect(await store.escalateMember(batchId, 'r000000', '2026-11-26T14:05:00.000Z')).toBe(
          false,
        );
        expect(await store.escalateMember(batchId, 'r000002', '2026-11-26T14:00:00.000Z')).toBe(
          false,
        );
        expect((await store.getItems(batchId, ['r000000'])).get('r000000')).toEqual({
          ...lines[0]?.item,
          escalatedAt: '2026-11-26T14:00:00.000Z',
        });
      } finally {
        await subject.close?.();
      }
    });

    it('leases realtime targets to one worker at a time until delivered', async () => {
      const { subject, store, register, openPart } = await open();
      try {
        const id = uid('rt');
        await register(id, 'h1');
        expect(await store.markRealtime('', id, 'other')).toBe(false);
        expect(await store.markRealtime('', id, 'h1')).toBe(true);
        expect(await store.markRealtime('', id, 'h1')).toBe(false);
        expect(await register(id, 'h1')).toMatchObject({
          kind: 'duplicate',
          existing: { state: 'realtime' },
        });
        expect(await store.markRealtime('', uid('never'), 'h1')).toBe(false);

        const request = { kind: 'request', producer: '', customId: id } as const;
        const t = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, '0')}:00.000Z`;
        expect(await store.leaseRealtime(request, t(5), t(0))).toBe('leased');
        expect(await store.leaseRealtime(request, t(6), t(1))).toBe('busy');
        // A lease that ran out is taken over; one handed back is free at once.
        expect(await store.leaseRealtime(request, t(10), t(6))).toBe('leased');
        await store.releaseRealtime(request);
        expect(await store.leaseRealtime(request, t(12), t(7))).toBe('leased');
        await store.finishRealtime(request, {
          status: 'succeeded',
          deliveredAt: t(8),
          cost: COST,
        });
        expect(await store.leaseRealtime(request, t(30), t(20))).toBe('done');
        const missing = { kind: 'request', producer: '', customId: uid('nope') } as const;
        expect(await store.leaseRealtime(missing, t(5), t(0))).toBe('missing');
        await store.releaseRealtime(missing);
        await expect(
          store.finishRealtime(missing, { status: 'succeeded', deliveredAt: t(8) }),
        ).rejects.toBeInstanceOf(NotFoundError);

        // An escalated member is leased on its exception item; one not escalated is missing.
        const batchId = uid('b');
        await store.createBatch(batchOf(batchId, { state: 'submitted' }));
        const lines = [lineOf(batchId, 0, uid('m')), lineOf(batchId, 1, uid('m'))];
        for (const l of lines) await register(l.item.customId);
        await openPart(batchId, 1, lines);
        await store.claimPartMembers(batchId, 1, lines);
        await store.commitPart(batchId, 1, 2, []);
        const escalated = { kind: 'member', batchId, providerCustomId: 'r000000' } as const;
        const plain = { kind: 'member', batchId, providerCustomId: 'r000001' } as const;
        expect(await store.leaseRealtime(escalated, t(5), t(0))).toBe('missing');
        expect(await store.escalateMember(batchId, 'r000000', t(1))).toBe(true);
        expect(await store.leaseRealtime(escalated, t(5), t(1))).toBe('leased');
        expect(await store.leaseRealtime(escalated, t(6), t(2))).toBe('busy');
        await store.finishRealtime(escalated, { status: 'succeeded', deliveredAt: t(3) });
        expect(await store.leaseRealtime(escalated, t(9), t(8))).toBe('done');
        expect(await store.leaseRealtime(plain, t(5), t(0))).toBe('missing');
        await expect(
          store.finishRealtime(plain, { status: 'succeeded', deliveredAt: t(3) }),
        ).rejects.toBeInstanceOf(NotFoundError);
        expect((await store.getItems(batchId, ['r000000'])).get('r000000')).toMatchObject({
          status: 'succeeded',
          deliveredAt: t(3),
          escalatedAt: t(1),
          cost: null,
          customId: lines[0]?.item.customId,
        });
        // Delivered: it cannot be escalated again.
        expect(await store.escalateMember(batchId, 'r000000', t(9))).toBe(false);
      } finally {
        await subject.close?.();
      }
    });

    it('moves a group pointer only from the batch the caller saw', async () => {
      const { subject, store } = await open();
      try {
        const group = uid('anthropic|/v1/messages');
        expect(await store.currentFillingBatch(group)).toBeNull();
        expect(await store.setFillingBatch(group, 'b1', null)).toBe(true);
        expect(await store.setFillingBatch(group, 'b2', null)).toBe(false);
        expect(await store.setFillingBatch(group, 'b2', 'b0')).toBe(false);
        expect(await store.currentFillingBatch(group)).toBe('b1');
        expect(await store.setFillingBatch(group, 'b2', 'b1')).toBe(true);
        expect(await store.currentFillingBatch(group)).toBe('b2');
      } finally {
        await subject.close?.();
      }
    });

    it('reserves parts atomically within the limits, adding estimates, until it stops filling', async () => {
      const { subject, store } = await open();
      try {
        const batchId = uid('b');
        await store.createBatch(fillingBatch(batchId));
        const results = await Promise.all(
          Array.from({ length: 12 }, () => store.reservePart(batchId, reservationOf(10, 500))),
        );
        const won = results.filter((r) => r !== null);
        expect(won).toHaveLength(10);
        expect(won.map((r) => r.firstIndex).sort((a, b) => a - b)).toEqual([
          0, 10, 20, 30, 40, 50, 60, 70, 80, 90,
        ]);
        expect(new Set(won.map((r) => r.partNo)).size).toBe(10);
        expect(Math.max(...won.map((r) => r.batchRequests))).toBe(100);
        expect(await store.getBatch(batchId)).toMatchObject({
          requestCount: 100,
          inputBytes: 5000,
          partCount: 10,
          version: 10,
          estimate: { byModel: { 'claude-test': { requests: 100, tokens: 1000 } }, nanoUsd: 700 },
        });
        // Bytes bind as well as the count; a part larger than the limit alone never fits.
        const other = uid('b');
        await store.createBatch(fillingBatch(other));
        expect(await store.reservePart(other, reservationOf(1, 9_999))).toEqual({
          partNo: 1,
          firstIndex: 0,
          batchRequests: 1,
          batchBytes: 9_999,
        });
        expect(await store.reservePart(other, reservationOf(1, 2))).toBeNull();
        expect(await store.reservePart(other, reservationOf(101, 1))).toBeNull();
        await store.reservePart(other, reservationOf(2, 1, 'claude-b.v1:0'));
        expect((await store.getBatch(other))?.estimate).toEqual({
          byModel: {
            'claude-test': { requests: 1, tokens: 10 },
            'claude-b.v1:0': { requests: 2, tokens: 20 },
          },
          nanoUsd: 21,
        });
        expect(await store.reservePart(uid('none'), reservationOf(1, 1))).toBeNull();

        const sealing = await store.stopFilling(other, '2026-11-27T10:30:00.000Z');
        expect(sealing).toMatchObject({
          state: 'sealing',
          nextPollAt: '2026-11-27T10:30:00.000Z',
          version: 3,
        });
        expect(await store.getBatch(other)).toEqual(sealing);
        expect(await store.reservePart(other, reservationOf(1, 1))).toBeNull();
        expect(await store.stopFilling(other, '2026-11-27T10:31:00.000Z')).toBeNull();
        const updated = await store.updateBatch(other, sealing?.version ?? -1, { state: 'open' });
        expect(updated.estimate?.nanoUsd).toBe(21);
        const due = await store.listDueBatches('2026-11-27T10:30:00.000Z', 1000);
        expect(due.map((b) => b.batchId)).toContain(other);
      } finally {
        await subject.close?.();
      }
    });

    it('lets a request be held once per batch, even when two parts carry it', async () => {
      const { subject, store, register, openPart, listAll } = await open();
      try {
        const batchId = uid('b');
        await store.createBatch(fillingBatch(batchId));
        const id = uid('dup');
        await register(id);
        for (const partNo of [1, 2]) {
          await store.reservePart(batchId, reservationOf(1, 10));
          await openPart(batchId, partNo, [lineOf(batchId, partNo - 1, id)]);
        }
        const [first, second] = [lineOf(batchId, 0, id), lineOf(batchId, 1, id)];
        expect(await store.claimPartMembers(batchId, 1, [first])).toEqual(['claimed']);
        expect(await store.claimPartMembers(batchId, 2, [second])).toEqual(['held']);
        expect(await store.claimPartMembers(batchId, 1, [first])).toEqual(['claimed']);
        await store.commitPart(batchId, 1, 1, []);
        await store.commitPart(batchId, 2, 0, ['r000001']);
        expect((await listAll(batchId)).map((m) => m.providerCustomId)).toEqual(['r000000']);
      } finally {
        await subject.close?.();
      }
    });

    it('seals parts: a bare one refuses its collector, a half-claimed one is settled', async () => {
      const { subject, store, register, openPart, listAll } = await open();
      try {
        const [batchId, rival] = [uid('b'), uid('r')];
        await store.createBatch(fillingBatch(batchId));
        await store.createBatch(fillingBatch(rival));
        const [whole, unclaimed, elsewhere, late, after] = ['w', 'u', 'e', 'n', 'a'].map(uid) as [
          string,
          string,
          string,
          string,
          string,
        ];
        for (const id of [whole, unclaimed, elsewhere, late, after]) await register(id);
        await store.reservePart(batchId, reservationOf(4, 40));
        const lines = [whole, unclaimed, elsewhere, late].map((id, i) => lineOf(batchId, i, id));
        expect(await openPart(batchId, 1, lines)).toBe(true);
        // The collector claimed the first member and died; the third went to the rival.
        expect(await store.claimPartMembers(batchId, 1, [lines[0] as PartMemberLine])).toEqual([
          'claimed',
        ]);
        await store.reservePart(rival, reservationOf(1, 10));
        await openPart(rival, 1, [lineOf(rival, 0, elsewhere)]);
        expect(await store.claimPartMembers(rival, 1, [lineOf(rival, 0, elsewhere)])).toEqual([
          'claimed',
        ]);
        // Part 2 is reserved but its collector has not recorded it when sealing starts.
        await store.reservePart(batchId, reservationOf(1, 10));

        await store.stopFilling(batchId, '2026-11-27T10:30:00.000Z');
        const sealed = await store.sealParts(batchId, 2);
        expect(sealed).toEqual([
          { ...partOf(batchId, 1, 0, 4), state: 'sealed', claimed: 3, voids: ['r000002'] },
        ]);
        expect((await listAll(batchId)).map((m) => [m.providerCustomId, m.customId])).toEqual([
          ['r000000', whole],
          ['r000001', unclaimed],
          ['r000003', late],
        ]);
        expect((await store.getItems(batchId, ['r000002'])).size).toBe(0);
        // Sealing claimed the unclaimed members itself: their redeliveries fold.
        for (const id of [unclaimed, late]) {
          expect(await register(id)).toMatchObject({
            kind: 'duplicate',
            existing: { state: 'claimed', batchId },
          });
        }
        // The collectors are refused from here on; a late commit changes nothing.
        await expect(
          store.claimPartMembers(batchId, 1, [lines[3] as PartMemberLine]),
        ).rejects.toMatchObject({ code: 'part_sealed' });
        await store.commitPart(batchId, 1, 4, []);
        const bare = lineOf(batchId, 4, after);
        expect(await openPart(batchId, 2, [bare])).toBe(false);
        const refused = store.claimPartMembers(batchId, 2, [bare]);
        await expect(refused).rejects.toBeInstanceOf(ConflictError);
        await expect(refused).rejects.toMatchObject({ code: 'part_sealed' });
        expect((await register(after)).kind).toBe('pending');
        // Sealing again gives the same answer.
        expect(await store.sealParts(batchId, 2)).toEqual(sealed);
        // The rival's member stays its own.
        expect(await store.claimPartMembers(rival, 1, [lineOf(rival, 0, elsewhere)])).toEqual([
          'claimed',
        ]);
      } finally {
        await subject.close?.();
      }
    });
  });
};

export { describeStateStoreContract, type StateStoreSubject };
