import { describe, expect, it } from 'vitest';
import type { DeliveryCheckpoint } from '../../../shared/domain/records.js';
import { sameCheckpoint } from '../../../shared/domain/sameCheckpoint.js';

const row = {
  day: '2026-11-26',
  model: 'm',
  tag: '',
  nanoUsd: 5,
  realtimeNanoUsd: 10,
  inputTokens: 1,
  outputTokens: 2,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  requests: 1,
};
const counts = { succeeded: 1, errored: 0, canceled: 0, expired: 0, rejected: 0, retried: 0 };
const base: DeliveryCheckpoint = { fileIndex: 1, offset: 10, counts, costs: [row] };

describe('sameCheckpoint', () => {
  it('is the same checkpoint whatever the order of its keys', () => {
    const reordered: DeliveryCheckpoint = {
      costs: [{ ...row, model: 'm', day: '2026-11-26' }].map((r) =>
        Object.fromEntries(Object.entries(r).reverse()),
      ) as unknown as DeliveryCheckpoint['costs'],
      counts: { retried: 0, rejected: 0, expired: 0, canceled: 0, errored: 0, succeeded: 1 },
      offset: 10,
      fileIndex: 1,
    };
    expect(sameCheckpoint(base, reordered)).toBe(true);
    expect(sameCheckpoint(null, null)).toBe(true);
    expect(sameCheckpoint(undefined, null)).toBe(true);
    expect(sameCheckpoint({ fileIndex: 0, offset: 0 }, { offset: 0, fileIndex: 0 })).toBe(true);
  });

  it('tells apart checkpoints that differ in any field', () => {
    expect(sameCheckpoint(base, null)).toBe(false);
    expect(sameCheckpoint(null, base)).toBe(false);
    expect(sameCheckpoint(base, { ...base, fileIndex: 2 })).toBe(false);
    expect(sameCheckpoint(base, { ...base, offset: 11 })).toBe(false);
    expect(sameCheckpoint(base, { ...base, counts: { ...counts, errored: 1 } })).toBe(false);
    expect(sameCheckpoint(base, { fileIndex: 1, offset: 10, costs: [row] })).toBe(false);
    expect(sameCheckpoint(base, { ...base, costs: [{ ...row, tag: 'x' }] })).toBe(false);
    expect(sameCheckpoint(base, { ...base, costs: [row, row] })).toBe(false);
    expect(sameCheckpoint(base, { ...base, costs: [] })).toBe(false);
    expect(sameCheckpoint(base, { fileIndex: 1, offset: 10, counts })).toBe(false);
    expect(sameCheckpoint(base, { ...base, costs: [{ ...row, requests: 2 }] })).toBe(false);
  });
});
