import { describe, expect, it } from 'vitest';
import {
  batchItemToItem,
  batchToItem,
  itemToBatch,
  itemToBatchItem,
} from '../../../shared/adapters/aws/stateItemCodec.js';
import type { BatchItem, BatchRecord } from '../../../shared/domain/records.js';

const batch: BatchRecord = {
  batchId: 'bl_1',
  provider: 'anthropic',
  endpoint: '/v1/messages',
  models: ['claude-haiku-4-5'],
  state: 'submitting',
  version: 3,
  inputKey: 'batches/bl_1/input.jsonl',
  inputBytes: 120,
  requestCount: 2,
  providerBatchId: null,
  providerStatus: null,
  providerExpiresAt: null,
  createdAt: '2026-11-26T12:00:00.000Z',
  submittedAt: null,
  endedAt: null,
  completedAt: null,
  nextPollAt: '2026-11-26T12:05:00.000Z',
  pollCount: 0,
  counts: null,
  resultKeys: [],
  lastError: null,
  completionLeaseUntil: null,
  checkpoint: null,
  submitStartedAt: '2026-11-26T12:00:01.000Z',
  escalateAt: null,
  estimate: { byModel: { 'claude-haiku-4-5': { requests: 2, tokens: 40 } }, nanoUsd: 1200 },
};

describe('Function: batchToItem() / itemToBatch()', () => {
  it('round-trips when a submission started', () => {
    expect(itemToBatch(batchToItem(batch))).toEqual(batch);
  });

  it('round-trips the progress marks, and clears one set back to null', () => {
    const marked: BatchRecord = {
      ...batch,
      state: 'submitted',
      inProgressAt: '2026-11-26T12:01:00.000Z',
      progressAt: '2026-11-26T12:01:00.000Z',
      stuckAt: '2026-11-26T18:01:00.000Z',
      escalationHeldAt: '2026-11-26T19:01:00.000Z',
    };
    expect(itemToBatch(batchToItem(marked))).toEqual(marked);
    expect(batchToItem({ ...marked, escalationHeldAt: null })).not.toHaveProperty(
      'escalation_held_at',
    );
    const cleared = itemToBatch(batchToItem({ ...marked, stuckAt: null }));
    expect(cleared.stuckAt ?? null).toBeNull();
    expect(batchToItem({ ...marked, stuckAt: null })).not.toHaveProperty('stuck_at');
    // Records written before the marks existed have none.
    expect(itemToBatch(batchToItem(batch))).not.toHaveProperty('stuckAt');
  });

  it('reads a record written before submitStartedAt existed as null', () => {
    const { submit_started_at: _dropped, ...older } = batchToItem(batch);
    expect(itemToBatch(older).submitStartedAt).toBeNull();
  });
});

describe('Function: batchItemToItem() / itemToBatchItem()', () => {
  const member = (metadata: BatchItem['metadata']): BatchItem => ({
    batchId: 'bl_1',
    providerCustomId: 'r0',
    producer: '',
    customId: 'c-1',
    model: 'claude-haiku-4-5',
    destination: { type: 'sqs', queue_url: 'https://sqs.eu-west-1.amazonaws.com/1/q' },
    metadata,
    attempts: 1,
    acceptedAt: '2026-11-26T10:00:00.000Z',
    deadline: null,
    status: null,
    deliveredAt: null,
    escalatedAt: null,
    lane: { requested: 'batch', reason: 'tier batch' },
    cost: null,
  });

  it('keeps metadata as a JSON string DynamoDB can always store, and reads it back as sent', () => {
    const odd = JSON.parse('{"": 1, "a": {"": null}, "constructor": 2, "s": "\\ud800"}');
    const item = batchItemToItem(member(odd));

    expect(typeof item['metadata_json']).toBe('string');
    expect(item['metadata']).toBeUndefined();
    expect(itemToBatchItem(item).metadata).toEqual(odd);
    expect(itemToBatchItem(batchItemToItem(member(null))).metadata).toBeNull();
  });

  it('reads the metadata of members stored as a map before', () => {
    const { metadata_json: _json, ...legacy } = batchItemToItem(member(null));
    expect(itemToBatchItem({ ...legacy, metadata: { run: 7 } }).metadata).toEqual({ run: 7 });
  });
});
