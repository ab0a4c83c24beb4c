import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { DynamoDbBatchFilling } from '../../../shared/adapters/aws/state/DynamoDbBatchFilling.js';
import { DynamoDbBatchMembers } from '../../../shared/adapters/aws/state/DynamoDbBatchMembers.js';
import { DynamoDbBatchRecords } from '../../../shared/adapters/aws/state/DynamoDbBatchRecords.js';
import { DynamoDbRealtimeLeases } from '../../../shared/adapters/aws/state/DynamoDbRealtimeLeases.js';
import { DynamoDbRequestLedger } from '../../../shared/adapters/aws/state/DynamoDbRequestLedger.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { STATE_TABLE } from '../../../shared/config/stateTableSchema.js';
import { NotFoundError } from '../../../shared/domain/errors.js';
import { encodePartMember, partMembersKeyOf } from '../../../shared/domain/partMembers.js';
import { ledgerIdOf } from '../../../shared/domain/producer.js';
import { batchOf, CLAIM_AT, lineOf, partOf, uid } from '../../contract/stateFixtures.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';
import { emulatorClients, uniqueName } from './awsTestKit.js';

// What the state ports do is held to their contracts (`test/contract/*`, run in
// `test/integration/contract/`); here is what only the table shows: how it is made, the raw
// items the adapters write, and adapters built apart sharing it.
describe('the state table on DynamoDB Local', () => {
  let clients: AwsClients;
  let tableName: string;
  const blobs = new InMemoryBlobStore();

  beforeAll(async () => {
    clients = emulatorClients();
    tableName = uniqueName('state');
    await ensureStateTable(clients.dynamodb, tableName);
  });

  afterAll(() => clients.destroy());

  const rawItem = async (pk: string, sk: string) =>
    (
      await clients.documentClient.send(
        new GetCommand({
          TableName: tableName,
          Key: { [STATE_TABLE.partitionKey]: pk, [STATE_TABLE.sortKey]: sk },
          ConsistentRead: true,
        }),
      )
    ).Item;

  const rawPartition = async (pk: string) =>
    (
      await clients.documentClient.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': STATE_TABLE.partitionKey },
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];

  it('creates the table with its index and TTL, and is idempotent', async () => {
    await ensureStateTable(clients.dynamodb, tableName);
    const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    expect(table.Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe(
      STATE_TABLE.activeBatchesIndex,
    );
    expect(table.Table?.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe(
      'PAY_PER_REQUEST',
    );
    const ttl = await clients.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: tableName }),
    );
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: STATE_TABLE.ttlAttribute,
    });
  });

  it('writes one ledger entry per member and no member item; a completed batch leaves the index', async () => {
    const store = new DynamoDbStateStore({
      client: clients.documentClient,
      tableName,
      blobs,
    });
    const batchId = uid('b');
    await store.createBatch(batchOf(batchId, { requestCount: 40 }));
    const lines = Array.from({ length: 40 }, (_, k) => lineOf(batchId, k, uid(`m${k}`)));
    await blobs.put(partMembersKeyOf(batchId, 1), lines.map(encodePartMember).join(''));
    expect(await store.openPart(partOf(batchId, 1, 0, 40))).toBe(true);
    // More members than are claimed at once (16): each is one put of its ledger entry.
    expect(await store.claimPartMembers(batchId, 1, lines, CLAIM_AT)).toEqual(
      Array(40).fill('claimed'),
    );
    await store.commitPart(batchId, 1, 40, []);
    const member = lines[7]?.item;
    expect(await rawItem(`REQ#${ledgerIdOf('', member?.customId ?? '')}`, 'REQ')).toEqual({
      [STATE_TABLE.partitionKey]: `REQ#${member?.customId}`,
      [STATE_TABLE.sortKey]: 'REQ',
      producer: '',
      custom_id: member?.customId,
      request_hash: `h-${member?.customId}`,
      state: 'claimed',
      batch_id: batchId,
      member_id: 'r000007',
      accepted_at: member?.acceptedAt,
      [STATE_TABLE.ttlAttribute]: 1_900_000_000,
    });
    // The batch's partition holds the batch and its part; members are the sidecar's.
    const partition = await rawPartition(`BATCH#${batchId}`);
    expect(partition.map((item) => item[STATE_TABLE.sortKey])).toEqual(['BATCH', 'PART#000001']);
    expect(partition[1]).toMatchObject({ state: 'open', claimed: 40, voids: [], first_index: 0 });
    expect(partition[0]).toMatchObject({
      [STATE_TABLE.indexPartitionKey]: 'ACTIVE',
      [STATE_TABLE.indexSortKey]: '2026-11-26T10:05:00.000Z',
    });
    // An exception is the only member that gets an item.
    await store.markUndelivered(batchId, ['r000003'], '2026-11-26T15:00:00.000Z');
    expect(await rawItem(`BATCH#${batchId}`, 'ITEM#r000003')).toEqual({
      [STATE_TABLE.partitionKey]: `BATCH#${batchId}`,
      [STATE_TABLE.sortKey]: 'ITEM#r000003',
      undelivered_at: '2026-11-26T15:00:00.000Z',
    });
    const completed = await store.updateBatch(batchId, 1, {
      state: 'completed',
      completedAt: '2026-11-26T12:00:00.000Z',
      nextPollAt: null,
    });
    expect(completed.version).toBe(2);
    const raw = await rawItem(`BATCH#${batchId}`, 'BATCH');
    expect(raw).not.toHaveProperty(STATE_TABLE.indexPartitionKey);
    expect(raw).not.toHaveProperty(STATE_TABLE.indexSortKey);
    // The group pointer is an item of its own.
    const group = uid('anthropic|/v1/messages');
    expect(await store.setFillingBatch(group, batchId, null)).toBe(true);
    expect(await rawItem(`FILL#${group}`, 'FILL')).toMatchObject({ batch_id: batchId });
  });

  it('shares one table between adapters built apart, on clients of their own', async () => {
    // Each port's adapter as a function would build it alone, with clients of its own.
    const own = Array.from({ length: 5 }, () => emulatorClients());
    const client = (n: number) => (own[n] as AwsClients).documentClient;
    const ledger = new DynamoDbRequestLedger({ client: client(0), tableName });
    const records = new DynamoDbBatchRecords({ client: client(1), tableName });
    const filling = new DynamoDbBatchFilling({ client: client(2), tableName, blobs });
    const members = new DynamoDbBatchMembers({ client: client(3), tableName, blobs });
    const leases = new DynamoDbRealtimeLeases({ client: client(4), tableName });
    try {
      const batchId = uid('b');
      await records.createBatch(batchOf(batchId, { state: 'submitted' }));
      const line = lineOf(batchId, 0, uid('shared'));
      await blobs.put(partMembersKeyOf(batchId, 1), encodePartMember(line));
      expect(await filling.openPart(partOf(batchId, 1, 0, 1))).toBe(true);
      expect(await filling.claimPartMembers(batchId, 1, [line], CLAIM_AT)).toEqual(['claimed']);
      await filling.commitPart(batchId, 1, 1, []);
      // The filling adapter's claim is the ledger's entry...
      const again = await ledger.registerRequest({
        producer: '',
        customId: line.item.customId,
        requestHash: line.requestHash,
        state: 'pending',
        acceptedAt: line.item.acceptedAt,
        expiresAt: line.expiresAt,
      });
      expect(again).toMatchObject({ kind: 'duplicate', existing: { state: 'claimed', batchId } });
      // ...the members adapter's escalation is the leases adapter's target.
      expect(await members.escalateMember(batchId, 'r000000', '2026-11-26T14:00:00.000Z')).toBe(
        true,
      );
      const target = { kind: 'member', batchId, providerCustomId: 'r000000' } as const;
      expect(
        await leases.leaseRealtime(target, '2026-11-26T14:05:00.000Z', '2026-11-26T14:00:00.000Z'),
      ).toBe('leased');
      const request = { kind: 'request', producer: '', customId: line.item.customId } as const;
      expect(
        await leases.leaseRealtime(request, '2026-11-26T14:05:00.000Z', '2026-11-26T14:00:00.000Z'),
      ).toBe('missing');
    } finally {
      for (const clients of own) clients.destroy();
    }
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
