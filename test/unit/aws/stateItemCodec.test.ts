import { describe, expect, it } from 'vitest';
import { batchToItem, itemToBatch } from '../../../shared/adapters/aws/stateItemCodec.js';
import type { BatchRecord } from '../../../shared/domain/records.js';

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

  it('reads a record written before submitStartedAt existed as null', () => {
    const { submit_started_at: _dropped, ...older } = batchToItem(batch);
    expect(itemToBatch(older).submitStartedAt).toBeNull();
  });
});
