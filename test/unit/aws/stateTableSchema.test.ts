import { describe, expect, it } from 'vitest';
import { costItemKey } from '../../../shared/adapters/aws/DynamoDbCostLedger.js';
import {
  batchKey,
  batchToItem,
  fillKey,
  itemKey,
  partKey,
  requestKey,
  requestToItem,
} from '../../../shared/adapters/aws/stateItemCodec.js';
import { stateTableDefinition } from '../../../shared/adapters/aws/stateTable.js';
import { STATE_TABLE } from '../../../shared/config/stateTableSchema.js';
import { newBatchRecord } from '../../../shared/domain/newBatchRecord.js';

const primaryKeyNames = [STATE_TABLE.partitionKey, STATE_TABLE.sortKey];

describe('the state table schema', () => {
  it('is the table the local stack and the tests create', () => {
    const definition = stateTableDefinition('t');
    expect(definition.KeySchema).toEqual([
      { AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: STATE_TABLE.sortKey, KeyType: 'RANGE' },
    ]);
    expect(definition.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      STATE_TABLE.activeBatchesIndex,
    ]);
    expect(definition.GlobalSecondaryIndexes?.[0]?.KeySchema).toEqual([
      { AttributeName: STATE_TABLE.indexPartitionKey, KeyType: 'HASH' },
      { AttributeName: STATE_TABLE.indexSortKey, KeyType: 'RANGE' },
    ]);
  });

  it('names the keys of every kind of item the adapters write', () => {
    const keys = [
      requestKey('AROATEAMA', 'c1'),
      batchKey('bl_1'),
      itemKey('bl_1', 'r0'),
      fillKey('anthropic#/v1/messages'),
      partKey('bl_1', 3),
      costItemKey({
        day: '2026-11-26',
        source: 'bl_1',
        provider: 'openai',
        model: 'm',
        lane: 'batch',
        tag: '',
      }),
    ];
    for (const key of keys) expect(Object.keys(key)).toEqual(primaryKeyNames);
  });

  it('puts ledger entries under the TTL attribute and active batches in the index', () => {
    const request = requestToItem({
      producer: 'AROATEAMA',
      customId: 'c1',
      requestHash: 'h',
      state: 'pending',
      batchId: null,
      acceptedAt: '2026-11-26T12:00:00.000Z',
      expiresAt: 1_800_000_000,
    });
    expect(request[STATE_TABLE.ttlAttribute]).toBe(1_800_000_000);
    const batch = newBatchRecord({
      batchId: 'bl_1',
      provider: 'anthropic',
      endpoint: '/v1/messages',
      models: ['claude-haiku-4-5'],
      state: 'submitted',
      createdAt: '2026-11-26T12:00:00.000Z',
      nextPollAt: '2026-11-26T12:05:00.000Z',
    });
    const item = batchToItem(batch);
    expect(item[STATE_TABLE.indexPartitionKey]).toBeTypeOf('string');
    expect(item[STATE_TABLE.indexSortKey]).toBe('2026-11-26T12:05:00.000Z');
    const done = batchToItem({ ...batch, state: 'completed' });
    expect(done).not.toHaveProperty(STATE_TABLE.indexPartitionKey);
  });
});
