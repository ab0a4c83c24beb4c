import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { ConflictError } from '../../../shared/domain/errors.js';
import { newBatchRecord } from '../../../shared/domain/newBatchRecord.js';
import {
  encodePartMember,
  type PartMemberLine,
  partMembersKeyOf,
} from '../../../shared/domain/partMembers.js';
import type { BatchItem, BatchPart, BatchRecord } from '../../../shared/domain/records.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';
import { emulatorClients, uniqueName } from './awsTestKit.js';

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

const member = (batchId: string, index: number, customId: string): BatchItem => ({
  batchId,
  providerCustomId: `r${String(index).padStart(6, '0')}`,
  producer: '',
  customId,
  model: 'claude-test',
  destination: { type: 's3', bucket: 'results', prefix: 'out/' },
  metadata: null,
  attempts: 1,
  acceptedAt: '2026-11-27T10:00:00.000Z',
  deadline: null,
  status: null,
  deliveredAt: null,
  escalatedAt: null,
  lane: { requested: 'batch', reason: 'tier batch' },
  cost: null,
});

const part = (batchId: string, partNo: number, firstIndex: number, count: number): BatchPart => ({
  batchId,
  partNo,
  state: 'open',
  firstIndex,
  requestCount: count,
  models: ['claude-test'],
  escalateAt: null,
  claimed: null,
});

const reservation = (requests: number, bytes: number, model = 'claude-test') => ({
  requests,
  bytes,
  estimate: { byModel: { [model]: { requests, tokens: requests * 10 } }, nanoUsd: requests * 7 },
  maxRequests: 100,
  maxBytes: 10_000,
});

describe('filling batches on DynamoDB Local', () => {
  let clients: AwsClients;
  let store: DynamoDbStateStore;
  let tableName: string;
  const blobs = new InMemoryBlobStore();

  /** Writes a part's sidecar, as its collector does before opening the part. */
  const writeSidecar = async (batchId: string, partNo: number, members: PartMemberLine[]) => {
    await blobs.put(partMembersKeyOf(batchId, partNo), members.map(encodePartMember).join(''));
  };
  const line = (batchId: string, index: number, customId: string): PartMemberLine => ({
    item: member(batchId, index, customId),
    requestHash: `h-${customId}`,
    expiresAt: 1_900_000_000,
  });

  const registerAll = async (ids: readonly string[]) => {
    for (const customId of ids) {
      await store.registerRequest({
        producer: '',
        customId,
        requestHash: `h-${customId}`,
        state: 'pending',
        acceptedAt: '2026-11-27T10:00:00.000Z',
        expiresAt: 1_900_000_000,
      });
    }
  };

  beforeAll(async () => {
    clients = emulatorClients();
    tableName = uniqueName('filling');
    await ensureStateTable(clients.dynamodb, tableName);
    store = new DynamoDbStateStore({ client: clients.documentClient, tableName, blobs });
  });

  afterAll(() => clients.destroy());

  it('moves a group pointer only from the batch the caller saw', async () => {
    const group = uniqueName('anthropic|/v1/messages');
    expect(await store.currentFillingBatch(group)).toBeNull();
    expect(await store.setFillingBatch(group, 'b1', null)).toBe(true);
    expect(await store.setFillingBatch(group, 'b2', null)).toBe(false);
    expect(await store.setFillingBatch(group, 'b2', 'b0')).toBe(false);
    expect(await store.currentFillingBatch(group)).toBe('b1');
    expect(await store.setFillingBatch(group, 'b2', 'b1')).toBe(true);
    expect(await store.currentFillingBatch(group)).toBe('b2');
  });

  it('reserves parts atomically: distinct indexes under concurrency, never past the limits', async () => {
    const batchId = uniqueName('b');
    await store.createBatch(fillingBatch(batchId));
    // 12 concurrent reservations of 10 requests against a limit of 100: exactly 10 fit.
    const results = await Promise.all(
      Array.from({ length: 12 }, () => store.reservePart(batchId, reservation(10, 500))),
    );
    const won = results.filter((r) => r !== null);
    expect(won).toHaveLength(10);
    expect(won.map((r) => r?.firstIndex).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([
      0, 10, 20, 30, 40, 50, 60, 70, 80, 90,
    ]);
    expect(new Set(won.map((r) => r?.partNo)).size).toBe(10);
    const stored = await store.getBatch(batchId);
    expect(stored).toMatchObject({ requestCount: 100, inputBytes: 5000, partCount: 10 });
    expect(stored?.estimate).toEqual({
      byModel: { 'claude-test': { requests: 100, tokens: 1000 } },
      nanoUsd: 700,
    });
    expect(stored?.version).toBe(10);
    // The byte limit binds as well as the count.
    const other = uniqueName('b');
    await store.createBatch(fillingBatch(other));
    expect(await store.reservePart(other, reservation(1, 9_999))).not.toBeNull();
    expect(await store.reservePart(other, reservation(1, 2))).toBeNull();
    expect(await store.reservePart(other, reservation(1, 1))).not.toBeNull();
  });

  it('adds estimates per model and keeps them through versioned updates', async () => {
    const batchId = uniqueName('b');
    await store.createBatch(fillingBatch(batchId));
    await store.reservePart(batchId, reservation(2, 100, 'claude-a'));
    await store.reservePart(batchId, reservation(3, 100, 'claude-b.v1:0'));
    const read = await store.getBatch(batchId);
    expect(read?.estimate).toEqual({
      byModel: {
        'claude-a': { requests: 2, tokens: 20 },
        'claude-b.v1:0': { requests: 3, tokens: 30 },
      },
      nanoUsd: 35,
    });
    const sealing = await store.stopFilling(batchId, '2026-11-27T10:30:00.000Z');
    expect(sealing).toMatchObject({ state: 'sealing', nextPollAt: '2026-11-27T10:30:00.000Z' });
    const updated = await store.updateBatch(batchId, sealing?.version ?? -1, { state: 'open' });
    expect((await store.getBatch(batchId))?.estimate).toEqual(updated.estimate);
    expect(updated.estimate?.nanoUsd).toBe(35);
    // Once it stopped filling, nothing more is reserved and it cannot be stopped twice.
    expect(await store.reservePart(batchId, reservation(1, 1))).toBeNull();
    expect(await store.stopFilling(batchId, '2026-11-27T10:31:00.000Z')).toBeNull();
    // A sealing batch is due to the poller at the time it was given.
    const due = await store.listDueBatches('2026-11-27T10:30:00.000Z', 1000);
    expect(due.some((b) => b.batchId === batchId)).toBe(true);
  });

  it('lets a request be claimed once per batch, even when two parts of it carry it', async () => {
    // The same request sent twice at once: both invocations find it pending and put it in
    // parts of the same batch, under different members. Only the first member may hold it.
    const batchId = uniqueName('b');
    await store.createBatch(fillingBatch(batchId));
    const id = uniqueName('dup');
    await registerAll([id]);
    for (const partNo of [1, 2]) {
      await store.reservePart(batchId, reservation(1, 10));
      await writeSidecar(batchId, partNo, [line(batchId, partNo - 1, id)]);
      await store.openPart(part(batchId, partNo, partNo - 1, 1));
    }
    const first = {
      item: member(batchId, 0, id),
      requestHash: `h-${id}`,
      expiresAt: 1_900_000_000,
    };
    const second = {
      item: member(batchId, 1, id),
      requestHash: `h-${id}`,
      expiresAt: 1_900_000_000,
    };
    expect(await store.claimPartMembers(batchId, 1, [first])).toEqual(['claimed']);
    expect(await store.claimPartMembers(batchId, 2, [second])).toEqual(['held']);
    // The first part's retry still finds its own claim.
    expect(await store.claimPartMembers(batchId, 1, [first])).toEqual(['claimed']);
    await store.commitPart(batchId, 1, 1, []);
    await store.commitPart(batchId, 2, 0, ['r000001']);
    // The second part's sidecar names the request too: its void index keeps it out.
    const items = [];
    for await (const page of store.listItems(batchId)) items.push(...page);
    expect(items.map((i) => i.providerCustomId)).toEqual(['r000000']);
  });

  it('claims members through an open part, and refuses once the part is sealed', async () => {
    const batchId = uniqueName('b');
    await store.createBatch(fillingBatch(batchId));
    const ids = Array.from({ length: 120 }, () => uniqueName('c'));
    await registerAll(ids);
    const first = await store.reservePart(batchId, { ...reservation(60, 600), maxRequests: 1000 });
    expect(first).not.toBeNull();
    expect(await store.openPart(part(batchId, 1, 0, 60))).toBe(true);
    // More members than are claimed at once (16).
    const claimed = await store.claimPartMembers(
      batchId,
      1,
      ids.slice(0, 60).map((id, i) => ({
        item: member(batchId, i, id),
        requestHash: `h-${id}`,
        expiresAt: 1_900_000_000,
      })),
    );
    expect(claimed).toEqual(Array.from({ length: 60 }, () => 'claimed'));
    // A retry after a crash finds its own claims.
    const again = await store.claimPartMembers(batchId, 1, [
      {
        item: member(batchId, 0, ids[0] ?? ''),
        requestHash: `h-${ids[0]}`,
        expiresAt: 1_900_000_000,
      },
    ]);
    expect(again).toEqual(['claimed']);
    await store.commitPart(batchId, 1, 60);

    // Another batch cannot take a member this one holds: a lost claim, the rest go through.
    const rival = uniqueName('b');
    await store.createBatch(fillingBatch(rival));
    await store.reservePart(rival, reservation(3, 30));
    await store.openPart(part(rival, 1, 0, 3));
    const contested = await store.claimPartMembers(rival, 1, [
      {
        item: member(rival, 0, ids[60] ?? ''),
        requestHash: `h-${ids[60]}`,
        expiresAt: 1_900_000_000,
      },
      {
        item: member(rival, 1, ids[1] ?? ''),
        requestHash: `h-${ids[1]}`,
        expiresAt: 1_900_000_000,
      },
      {
        item: member(rival, 2, ids[61] ?? ''),
        requestHash: `h-${ids[61]}`,
        expiresAt: 1_900_000_000,
      },
    ]);
    expect(contested).toEqual(['claimed', 'held', 'claimed']);

    // Part 2 is reserved but not yet recorded when sealing starts: it is sealed bare, its
    // collector cannot open it, and claims into it are refused.
    await store.reservePart(batchId, { ...reservation(5, 50), maxRequests: 1000 });
    await store.stopFilling(batchId, '2026-11-27T10:30:00.000Z');
    const parts = await store.sealParts(batchId, 2);
    expect(parts.map((p) => [p.partNo, p.state, p.firstIndex, p.requestCount, p.claimed])).toEqual([
      [1, 'sealed', 0, 60, 60],
    ]);
    // A count recorded after the seal is not taken: the batch is then checked instead.
    await store.commitPart(batchId, 2, 5);
    expect(await store.openPart(part(batchId, 2, 60, 5))).toBe(false);
    const refused = store.claimPartMembers(batchId, 2, [
      {
        item: member(batchId, 60, ids[100] ?? ''),
        requestHash: `h-${ids[100]}`,
        expiresAt: 1_900_000_000,
      },
    ]);
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toMatchObject({ code: 'part_sealed' });
    // Sealing again gives the same parts.
    expect((await store.sealParts(batchId, 2)).map((p) => p.partNo)).toEqual([1]);
    // The refused request is still pending, free for a later batch.
    expect(
      (
        await store.registerRequest({
          producer: '',
          customId: ids[100] ?? '',
          requestHash: `h-${ids[100]}`,
          state: 'pending',
          acceptedAt: '2026-11-27T10:00:00.000Z',
          expiresAt: 1_900_000_000,
        })
      ).kind,
    ).toBe('pending');
  });

  it('settles a part its collector left half-claimed: the sidecar and the ledger decide', async () => {
    const batchId = uniqueName('b');
    const rival = uniqueName('b');
    await store.createBatch(fillingBatch(batchId));
    await store.createBatch(fillingBatch(rival));
    const [whole, unclaimed, elsewhere, late] = ['w', 'u', 'e', 'n'].map(uniqueName) as [
      string,
      string,
      string,
      string,
    ];
    await registerAll([whole, unclaimed, elsewhere, late]);
    await store.reservePart(batchId, reservation(4, 40));
    await writeSidecar(batchId, 1, [
      line(batchId, 0, whole),
      line(batchId, 1, unclaimed),
      line(batchId, 2, elsewhere),
      line(batchId, 3, late),
    ]);
    expect(await store.openPart(part(batchId, 1, 0, 4))).toBe(true);
    // The collector claimed the first member and died; the third's request went to another
    // batch meanwhile.
    expect(await store.claimPartMembers(batchId, 1, [line(batchId, 0, whole)])).toEqual([
      'claimed',
    ]);
    await store.reservePart(rival, reservation(1, 10));
    await writeSidecar(rival, 1, [line(rival, 0, elsewhere)]);
    await store.openPart(part(rival, 1, 0, 1));
    expect(await store.claimPartMembers(rival, 1, [line(rival, 0, elsewhere)])).toEqual([
      'claimed',
    ]);

    await store.stopFilling(batchId, '2026-11-27T10:30:00.000Z');
    const [sealed] = await store.sealParts(batchId, 1);
    expect(sealed).toMatchObject({
      partNo: 1,
      state: 'sealed',
      requestCount: 4,
      claimed: 3,
      voids: ['r000002'],
    });
    const held = [];
    for await (const page of store.listItems(batchId)) held.push(...page);
    expect(held.map((m) => [m.providerCustomId, m.customId])).toEqual([
      ['r000000', whole],
      ['r000001', unclaimed],
      ['r000003', late],
    ]);
    expect((await store.getItems(batchId, ['r000002'])).size).toBe(0);
    expect((await store.getItems(batchId, ['r000003'])).get('r000003')?.customId).toBe(late);
    // Sealing claimed the unclaimed members itself: their messages' redelivery folds.
    for (const id of [unclaimed, late]) {
      const again = await store.registerRequest({
        producer: '',
        customId: id,
        requestHash: `h-${id}`,
        state: 'pending',
        acceptedAt: '2026-11-27T10:00:00.000Z',
        expiresAt: 1_900_000_000,
      });
      expect(again).toMatchObject({ kind: 'duplicate', existing: { state: 'claimed', batchId } });
    }
    // The collector, had it lived, is refused from here on; a put it had in flight reaches
    // the same answer as sealing did.
    await expect(
      store.claimPartMembers(batchId, 1, [line(batchId, 3, late)]),
    ).rejects.toMatchObject({ code: 'part_sealed' });
    // The rival's member is not this batch's: a rival's later claim of it stays its own.
    expect(await store.claimPartMembers(rival, 1, [line(rival, 0, elsewhere)])).toEqual([
      'claimed',
    ]);
    // Sealing again settles to the same answer.
    expect((await store.sealParts(batchId, 1))[0]).toMatchObject({
      claimed: 3,
      voids: ['r000002'],
    });
  });

  it('keeps what the ledger entry would not hold in the sidecar: metadata of any size', async () => {
    const batchId = uniqueName('b');
    await store.createBatch(fillingBatch(batchId));
    const [before, huge, after] = ['a', 'h', 'z'].map(uniqueName) as [string, string, string];
    await store.reservePart(batchId, reservation(3, 30));
    // Metadata past DynamoDB's 400 KB item limit: only the sidecar holds it.
    const oversized = {
      ...line(batchId, 1, huge),
      item: { ...member(batchId, 1, huge), metadata: { blob: 'x'.repeat(420_000) } },
    };
    const members = [line(batchId, 0, before), oversized, line(batchId, 2, after)];
    await writeSidecar(batchId, 1, members);
    await store.openPart(part(batchId, 1, 0, 3));
    const claims = await store.claimPartMembers(batchId, 1, members);
    expect(claims).toEqual(['claimed', 'claimed', 'claimed']);
    await store.commitPart(batchId, 1, 3, []);
    const held = [];
    for await (const page of store.listItems(batchId)) held.push(...page);
    expect(held.map((m) => m.providerCustomId)).toEqual(['r000000', 'r000001', 'r000002']);
    expect(JSON.stringify(held[1]?.metadata).length).toBeGreaterThan(420_000);
  });
});
