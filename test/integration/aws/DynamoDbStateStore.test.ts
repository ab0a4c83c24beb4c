import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { ConflictError, NotFoundError } from '../../../shared/domain/errors.js';
import { encodePartMember, partMembersKeyOf } from '../../../shared/domain/partMembers.js';
import { providerCustomIdOf } from '../../../shared/domain/providerCustomIdOf.js';
import type { BatchItem, BatchPart, BatchRecord } from '../../../shared/domain/records.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';
import { emulatorClients, uniqueName } from './awsTestKit.js';

const batch = (batchId: string, overrides: Partial<BatchRecord> = {}): BatchRecord => ({
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

const item = (batchId: string, n: number, customId = `c-${n}`): BatchItem => ({
  batchId,
  providerCustomId: providerCustomIdOf(n),
  producer: '',
  customId,
  model: 'claude-test',
  destination: { type: 'sqs', queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/q' },
  metadata: { n, tags: ['a', 'b'], nested: { ok: true, none: null } },
  attempts: 1,
  acceptedAt: '2026-11-26T10:00:00.000Z',
  deadline: null,
  status: null,
  deliveredAt: null,
  escalatedAt: null,
  lane: { requested: 'batch', reason: 'tier batch' },
  cost: null,
});

const partOf = (batchId: string, firstIndex = 0, requestCount = 1): BatchPart => ({
  batchId,
  partNo: 1,
  state: 'open',
  firstIndex,
  requestCount,
  models: ['claude-test'],
  escalateAt: null,
  claimed: null,
});

describe('DynamoDbStateStore on DynamoDB Local', () => {
  let clients: AwsClients;
  let store: DynamoDbStateStore;
  let tableName: string;
  const blobs = new InMemoryBlobStore();

  /** Writes part 1's sidecar with these members and opens it, as a collector does. */
  const openWith = async (members: readonly BatchItem[], requestHash = 'h1') => {
    const [first] = members;
    if (first === undefined) return;
    await blobs.put(
      partMembersKeyOf(first.batchId, 1),
      members
        .map((item) => encodePartMember({ item, requestHash, expiresAt: 1_900_000_000 }))
        .join(''),
    );
    const firstIndex = Number.parseInt(first.providerCustomId.slice(1), 10);
    await store.openPart(partOf(first.batchId, firstIndex, members.length));
  };

  const register = (
    customId: string,
    requestHash = 'h1',
    state: 'pending' | 'rejecting' = 'pending',
  ) =>
    store.registerRequest({
      producer: '',
      customId,
      requestHash,
      state,
      acceptedAt: '2026-11-26T10:00:00.000Z',
      expiresAt: 1_800_000_000,
    });

  beforeAll(async () => {
    clients = emulatorClients();
    tableName = uniqueName('state');
    await ensureStateTable(clients.dynamodb, tableName);
    store = new DynamoDbStateStore({
      client: clients.documentClient,
      tableName,
      blobs,
      itemPageSize: 100,
    });
  });

  /** Claims one member through part 1 of its batch, and commits the part with its outcome. */
  const claim = async (member: BatchItem, requestHash: string): Promise<boolean> => {
    await openWith([member], requestHash);
    const [won] = await store.claimPartMembers(member.batchId, 1, [
      { item: member, requestHash, expiresAt: 1_900_000_000 },
    ]);
    await store.commitPart(
      member.batchId,
      1,
      won === 'claimed' ? 1 : 0,
      won === 'claimed' ? [] : [member.providerCustomId],
    );
    return won === 'claimed';
  };

  afterAll(() => clients.destroy());

  it('creates the table with its index and TTL, and is idempotent', async () => {
    await ensureStateTable(clients.dynamodb, tableName);
    const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    expect(table.Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe('active-batches');
    expect(table.Table?.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe(
      'PAY_PER_REQUEST',
    );
    const ttl = await clients.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: tableName }),
    );
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: 'expires_at',
    });
  });

  it('tells new, pending, duplicate and conflicting registrations apart', async () => {
    const id = uniqueName('req');
    expect(await register(id)).toEqual({ kind: 'new' });
    const again = await register(id);
    expect(again.kind).toBe('pending');
    expect(again.kind === 'pending' && again.existing).toMatchObject({
      customId: id,
      requestHash: 'h1',
      state: 'pending',
      batchId: null,
      expiresAt: 1_800_000_000,
    });
    const different = await register(id, 'h2');
    expect(different.kind).toBe('conflict');

    const batchId = uniqueName('b');
    await store.createBatch(batch(batchId));
    expect(await claim(item(batchId, 1, id), 'h1')).toBe(true);
    const dup = await register(id);
    expect(dup.kind).toBe('duplicate');
    expect(dup.kind === 'duplicate' && dup.existing).toMatchObject({ state: 'claimed', batchId });

    const rejectedId = uniqueName('rej');
    expect(await register(rejectedId, 'h9', 'rejecting')).toEqual({ kind: 'new' });
    const unsent = await register(rejectedId, 'h9', 'rejecting');
    expect(unsent.kind === 'duplicate' && unsent.existing.state).toBe('rejecting');
    await store.markRefused('', rejectedId);
    await store.markRefused('', rejectedId);
    const after = await register(rejectedId, 'h9', 'rejecting');
    expect(after.kind === 'duplicate' && after.existing.state).toBe('rejected');
  });

  it('registers many ids at once and tells each outcome apart, in order', async () => {
    const fresh = Array.from({ length: 140 }, () => uniqueName('many'));
    const pendingId = uniqueName('p');
    const claimedId = uniqueName('c');
    const conflictId = uniqueName('x');
    await register(pendingId);
    await register(claimedId);
    await register(conflictId);
    const batchId = uniqueName('b');
    await store.createBatch(batch(batchId));
    await claim(item(batchId, 1, claimedId), 'h1');
    const ids = [...fresh.slice(0, 50), pendingId, claimedId, conflictId, ...fresh.slice(50)];
    const outcomes = await store.registerRequests(
      ids.map((customId) => ({
        producer: '',
        customId,
        requestHash: customId === conflictId ? 'other' : 'h1',
        state: 'pending' as const,
        acceptedAt: '2026-11-26T10:00:00.000Z',
        expiresAt: 1_800_000_000,
      })),
    );
    expect(outcomes.map((o) => o.kind)).toEqual([
      ...Array.from({ length: 50 }, () => 'new'),
      'pending',
      'duplicate',
      'conflict',
      ...Array.from({ length: 90 }, () => 'new'),
    ]);
    // The new ones are really there: registering again finds them pending.
    expect((await register(fresh[139] ?? '')).kind).toBe('pending');
    expect(await store.registerRequests([])).toEqual([]);
  });

  it('claims a request once: idempotent for the same batch, refused for another', async () => {
    const id = uniqueName('req');
    await register(id);
    const a = uniqueName('ba');
    const b = uniqueName('bb');
    await store.createBatch(batch(a));
    await store.createBatch(batch(b));
    expect(await claim(item(a, 1, id), 'h1')).toBe(true);
    expect(await claim(item(a, 1, id), 'h1')).toBe(true);
    expect(await claim(item(b, 1, id), 'h1')).toBe(false);
    expect((await store.getItems(a, ['r000001'])).get('r000001')).toMatchObject({ customId: id });
    expect((await store.getItems(b, ['r000001'])).size).toBe(0);
  });

  it('refuses a claim with a different request hash; a request never seen gets its entry', async () => {
    const id = uniqueName('req');
    await register(id, 'h1');
    const a = uniqueName('b');
    await store.createBatch(batch(a));
    const ghost = uniqueName('ghost');
    const refused = uniqueName('refused');
    await openWith([item(a, 1, id), item(a, 2, ghost), item(a, 3, refused)]);
    const claimOf = (member: BatchItem, requestHash: string) =>
      store.claimPartMembers(a, 1, [{ item: member, requestHash, expiresAt: 1_900_000_000 }]);
    expect(await claimOf(item(a, 1, id), 'other-hash')).toEqual(['conflict']);
    await store.commitPart(a, 1, 2, ['r000001']);
    // The refused index holds no member.
    expect((await store.getItems(a, ['r000001'])).size).toBe(0);
    expect((await store.getItems(a, ['r000002'])).get('r000002')?.customId).toBe(ghost);
    // The ledger entry is written by the claim itself, already `claimed`, and folds a resend.
    expect(await claimOf(item(a, 2, ghost), 'h1')).toEqual(['claimed']);
    expect(await register(ghost)).toMatchObject({
      kind: 'duplicate',
      existing: { state: 'claimed', batchId: a },
    });
    // A refusal entry does not hold its id against a valid request.
    await register(refused, 'h-bad', 'rejecting');
    expect(await claimOf(item(a, 3, refused), 'h1')).toEqual(['claimed']);
  });

  it('lets exactly one of two concurrent batches claim the same request', async () => {
    for (let round = 0; round < 10; round++) {
      const id = uniqueName('race');
      await register(id);
      const [a, b] = [uniqueName('ra'), uniqueName('rb')];
      const outcomes = await Promise.all([
        claim(item(a, 1, id), 'h1'),
        claim(item(b, 1, id), 'h1'),
      ]);
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      const winner = outcomes[0] === true ? a : b;
      const ledger = await clients.documentClient.send(
        new GetCommand({ TableName: tableName, Key: { pk: `REQ#${id}`, sk: 'REQ' } }),
      );
      expect(ledger.Item).toMatchObject({ state: 'claimed', batch_id: winner });
    }
  });

  it('refuses to create a batch twice', async () => {
    const id = uniqueName('b');
    await store.createBatch(batch(id));
    await expect(store.createBatch(batch(id))).rejects.toBeInstanceOf(ConflictError);
  });

  it('updates a batch only at the expected version and keeps the index in step', async () => {
    const id = uniqueName('b');
    await store.createBatch(batch(id));
    const updated = await store.updateBatch(id, 1, {
      state: 'submitted',
      providerBatchId: 'msgbatch_9',
      counts: { succeeded: 1, errored: 0, expired: 0, canceled: 0, rejected: 0, retried: 0 },
      resultKeys: ['r/1.jsonl'],
    });
    expect(updated).toMatchObject({
      version: 2,
      state: 'submitted',
      providerBatchId: 'msgbatch_9',
    });
    expect(await store.getBatch(id)).toEqual(updated);

    await expect(store.updateBatch(id, 1, { pollCount: 5 })).rejects.toBeInstanceOf(ConflictError);
    const concurrent = await Promise.allSettled([
      store.updateBatch(id, 2, { pollCount: 1 }),
      store.updateBatch(id, 2, { pollCount: 2 }),
    ]);
    expect(concurrent.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = concurrent.find((r) => r.status === 'rejected');
    expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(ConflictError);

    const completed = await store.updateBatch(id, 3, {
      state: 'completed',
      completedAt: '2026-11-26T12:00:00.000Z',
      nextPollAt: null,
    });
    expect(completed.version).toBe(4);
    const raw = await clients.documentClient.send(
      new GetCommand({ TableName: tableName, Key: { pk: `BATCH#${id}`, sk: 'BATCH' } }),
    );
    expect(raw.Item).not.toHaveProperty('gsi1pk');
    expect(raw.Item).not.toHaveProperty('gsi1sk');
    await expect(store.updateBatch(uniqueName('missing'), 1, {})).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('lists due, not completed batches oldest first, up to the limit', async () => {
    // A table of its own, so batches of other tests do not show up in the index.
    const table = uniqueName('due');
    await ensureStateTable(clients.dynamodb, table);
    const due = new DynamoDbStateStore({ client: clients.documentClient, tableName: table, blobs });
    await due.createBatch(batch('b3', { nextPollAt: '2026-11-26T10:03:00.000Z' }));
    await due.createBatch(batch('b1', { nextPollAt: '2026-11-26T10:01:00.000Z' }));
    await due.createBatch(batch('b2', { nextPollAt: '2026-11-26T10:02:00.000Z' }));
    await due.createBatch(batch('later', { nextPollAt: '2026-11-26T11:00:00.000Z' }));
    await due.createBatch(batch('done', { state: 'completed', nextPollAt: null }));
    await due.createBatch(
      batch('b0', { state: 'submitted', nextPollAt: '2026-11-26T10:00:00.000Z' }),
    );
    await due.updateBatch('b0', 1, { state: 'completed', nextPollAt: null });

    const now = '2026-11-26T10:30:00.000Z';
    expect((await due.listDueBatches(now, 10)).map((b) => b.batchId)).toEqual(['b1', 'b2', 'b3']);
    expect((await due.listDueBatches(now, 2)).map((b) => b.batchId)).toEqual(['b1', 'b2']);
    await due.updateBatch('b1', 1, { nextPollAt: '2026-11-26T12:00:00.000Z' });
    expect((await due.listDueBatches(now, 10)).map((b) => b.batchId)).toEqual(['b2', 'b3']);
    expect(await due.listDueBatches(now, 0)).toEqual([]);
    // An active batch left without a poll time is still found, keyed by its creation time.
    await due.createBatch(
      batch('orphan', { nextPollAt: null, createdAt: '2026-11-26T09:00:00.000Z' }),
    );
    expect((await due.listDueBatches(now, 10)).map((b) => b.batchId)).toEqual([
      'orphan',
      'b2',
      'b3',
    ]);
  });

  it('reads members from the sidecars, lists them in pages, and overlays exceptions', async () => {
    const batchId = uniqueName('big');
    await store.createBatch(batch(batchId, { requestCount: 250 }));
    const members = Array.from({ length: 250 }, (_, k) => item(batchId, k, `${batchId}-c${k}`));
    await openWith(members);
    // In parallel groups: registrations and claims of different ids are independent.
    for (let n = 0; n < 250; n += 50) {
      const ids = Array.from({ length: 50 }, (_, k) => n + k);
      await Promise.all(ids.map((k) => register(`${batchId}-c${k}`)));
      const claims = await store.claimPartMembers(
        batchId,
        1,
        ids.map((k) => ({
          item: members[k] as BatchItem,
          requestHash: 'h1',
          expiresAt: 1_900_000_000,
        })),
      );
      expect(claims).toEqual(Array(50).fill('claimed'));
    }
    await store.commitPart(batchId, 1, 250, []);
    const wanted = members.map((m) => m.providerCustomId);
    const found = await store.getItems(batchId, [...wanted, 'r000001', 'r999999']);
    expect(found.size).toBe(250);
    expect(found.get('r000042')).toMatchObject({
      customId: `${batchId}-c42`,
      metadata: { n: 42, tags: ['a', 'b'], nested: { ok: true, none: null } },
      destination: { type: 'sqs' },
      status: null,
    });

    const pages: number[] = [];
    const seen = new Set<string>();
    for await (const page of store.listItems(batchId)) {
      pages.push(page.length);
      for (const member of page) seen.add(member.providerCustomId);
    }
    expect(pages).toEqual([100, 100, 50]);
    expect(seen.size).toBe(250);

    // Exceptions only get items: marked for a retry (idempotently), then moved; escalated.
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
    const to = { ...from, batchId: uniqueName('retry'), providerCustomId: 'r000000', attempts: 2 };
    expect(await store.moveToRetryBatch(from, to, '2026-11-26T13:00:00.000Z')).toBe(true);
    expect(await store.moveToRetryBatch(from, to, '2026-11-26T13:00:00.000Z')).toBe(false);
    // A member never marked is moved all the same (its item is made by the move).
    const unmarked = found.get('r000010') as BatchItem;
    expect(
      await store.moveToRetryBatch(
        unmarked,
        { ...unmarked, batchId: to.batchId, providerCustomId: 'r000001', attempts: 2 },
        '2026-11-26T13:00:00.000Z',
      ),
    ).toBe(true);
    await store.updateBatch(batchId, 1, { state: 'submitted' });
    expect(await store.escalateMember(batchId, 'r000020', '2026-11-26T14:00:00.000Z')).toBe(true);
    expect(await store.escalateMember(batchId, 'r000020', '2026-11-26T14:00:00.000Z')).toBe(false);
    const listed = new Map<string, BatchItem>();
    for await (const page of store.listItems(batchId)) {
      for (const member of page) listed.set(member.providerCustomId, member);
    }
    expect(listed.size).toBe(250);
    expect(listed.get('r000000')).toMatchObject({ status: 'retried', customId: `${batchId}-c0` });
    expect(listed.get('r000010')).toMatchObject({ status: 'retried', customId: `${batchId}-c10` });
    expect(listed.get('r000020')).toMatchObject({
      escalatedAt: '2026-11-26T14:00:00.000Z',
      customId: `${batchId}-c20`,
      destination: { type: 'sqs' },
    });
    expect([...listed.values()].filter((m) => m.status === null)).toHaveLength(248);
    // A result a destination did not take: marked, then its late delivery recorded on it.
    await store.markUndelivered(batchId, ['r000030'], '2026-11-26T15:00:00.000Z');
    const owed = await store.exceptionsOf(batchId, ['r000030', 'r000031', 'r000000']);
    expect(owed.get('r000030')).toMatchObject({
      undeliveredAt: '2026-11-26T15:00:00.000Z',
      status: null,
    });
    expect(owed.has('r000031')).toBe(false);
    expect(owed.get('r000000')?.status).toBe('retried');
    const cost = {
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
    await store.recordDeliveries(batchId, [
      {
        providerCustomId: 'r000030',
        status: 'succeeded',
        deliveredAt: '2026-11-26T16:00:00.000Z',
        cost,
      },
    ]);
    expect((await store.getItems(batchId, ['r000030'])).get('r000030')).toMatchObject({
      customId: `${batchId}-c30`,
      status: 'succeeded',
      deliveredAt: '2026-11-26T16:00:00.000Z',
      undeliveredAt: '2026-11-26T15:00:00.000Z',
      cost,
    });
    // The retry batch's members are items of their own, whole.
    const moved = await store.getItems(to.batchId, ['r000000', 'r000001']);
    expect(moved.get('r000001')).toMatchObject({ customId: `${batchId}-c10`, attempts: 2 });
  });

  it('surfaces a missing table as NotFoundError', async () => {
    const missing = new DynamoDbStateStore({
      client: clients.documentClient,
      tableName: uniqueName('absent'),
      blobs,
    });
    await expect(missing.getBatch('x')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('finds the table from other credentials (shared database) without recreating it', async () => {
    const env = inject('awsEnv');
    const client = new DynamoDBClient({
      endpoint: env.AWS_ENDPOINT_URL_DYNAMODB,
      region: env.AWS_REGION,
      credentials: { accessKeyId: 'other', secretAccessKey: 'other' },
    });
    await ensureStateTable(client, tableName);
    client.destroy();
  });
});
