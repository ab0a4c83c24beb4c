import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { encodePartMember, partMembersKeyOf } from '../../../shared/domain/partMembers.js';
import type { BatchItem } from '../../../shared/domain/records.js';
import {
  CLAIM_AT,
  fillingBatch,
  lineOf,
  partOf,
  reservationOf,
  uid,
} from '../../contract/stateFixtures.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';
import { emulatorClients, uniqueName } from './awsTestKit.js';

// What filling does is held to the `BatchFilling` contract (`test/contract/`); here is what
// only the table shows: a member the table could not hold as an item is claimed all the same.
describe('DynamoDbBatchFilling on DynamoDB Local', () => {
  let clients: AwsClients;
  let store: DynamoDbStateStore;
  const blobs = new InMemoryBlobStore();

  beforeAll(async () => {
    clients = emulatorClients();
    const tableName = uniqueName('filling');
    await ensureStateTable(clients.dynamodb, tableName);
    store = new DynamoDbStateStore({ client: clients.documentClient, tableName, blobs });
  });

  afterAll(() => clients.destroy());

  it('keeps what the ledger entry would not hold in the sidecar: metadata of any size', async () => {
    const batchId = uid('b');
    await store.createBatch(fillingBatch(batchId));
    await store.reservePart(batchId, reservationOf(3, 30));
    // Metadata past DynamoDB's 400 KB item limit: only the sidecar holds it.
    const huge = lineOf(batchId, 1, uid('h'));
    const oversized = {
      ...huge,
      item: { ...huge.item, metadata: { blob: 'x'.repeat(420_000) } } satisfies BatchItem,
    };
    const lines = [lineOf(batchId, 0, uid('a')), oversized, lineOf(batchId, 2, uid('z'))];
    await blobs.put(partMembersKeyOf(batchId, 1), lines.map(encodePartMember).join(''));
    expect(await store.openPart(partOf(batchId, 1, 0, 3))).toBe(true);
    expect(await store.claimPartMembers(batchId, 1, lines, CLAIM_AT)).toEqual([
      'claimed',
      'claimed',
      'claimed',
    ]);
    await store.commitPart(batchId, 1, 3, []);
    const held: BatchItem[] = [];
    for await (const page of store.listItems(batchId)) held.push(...page);
    expect(held.map((m) => m.providerCustomId)).toEqual(['r000000', 'r000001', 'r000002']);
    expect(JSON.stringify(held[1]?.metadata).length).toBeGreaterThan(420_000);
  });
});
