import { describe, expect, it } from 'vitest';
import { costTagOf } from '../../../shared/domain/costOutcome.js';
import type { ItemCost } from '../../../shared/domain/records.js';
import { sumItemCosts } from '../../../shared/domain/sumItemCosts.js';

const cost = (overrides: Partial<ItemCost>): ItemCost => ({
  day: '2026-11-26',
  model: 'claude-haiku-4-5',
  tag: '',
  nanoUsd: 0,
  realtimeNanoUsd: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  ...overrides,
});

describe('sumItemCosts', () => {
  it('sums exactly per day, model and tag, and totals the batch', () => {
    const { total, groups } = sumItemCosts([
      cost({ tag: 'a', nanoUsd: 1, realtimeNanoUsd: 2, inputTokens: 10, outputTokens: 1 }),
      cost({ tag: 'a', nanoUsd: 2, realtimeNanoUsd: 4, cacheReadTokens: 5 }),
      cost({ tag: 'b', nanoUsd: 100_000_000, realtimeNanoUsd: 200_000_000, cacheWriteTokens: 7 }),
      cost({ model: 'claude-sonnet-4-6', nanoUsd: 3, realtimeNanoUsd: 3 }),
    ]);
    expect(groups.map((g) => [g.model, g.tag, g.requests, g.nanoUsd])).toEqual([
      ['claude-haiku-4-5', 'a', 2, 3],
      ['claude-haiku-4-5', 'b', 1, 100_000_000],
      ['claude-sonnet-4-6', '', 1, 3],
    ]);
    // 0.1 + 0.000000003 + 0.000000003 dollars, summed in nano-dollars, not floats.
    expect(total.usd).toBe(0.100000006);
    expect(total.realtime_usd).toBe(0.200000009);
    expect(total.saved_usd).toBe(0.100000003);
    expect(total).toMatchObject({
      input_tokens: 10,
      output_tokens: 1,
      cache_read_input_tokens: 5,
      cache_creation_input_tokens: 7,
    });
    expect(total.by_model['claude-haiku-4-5']).toEqual({
      requests: 3,
      usd: 0.100000003,
      realtime_usd: 0.200000006,
    });
  });

  it('is all zeros for a batch with nothing costed', () => {
    const { total, groups } = sumItemCosts([]);
    expect(groups).toEqual([]);
    expect(total).toMatchObject({ usd: 0, realtime_usd: 0, saved_usd: 0, by_model: {} });
  });
});

describe('costTagOf', () => {
  it('reads the tag key of object metadata, as text, cut to 128 characters', () => {
    expect(costTagOf({ tag: 'nightly' }, 'tag')).toBe('nightly');
    expect(costTagOf({ team: 7 }, 'team')).toBe('7');
    expect(costTagOf({ tag: 'x'.repeat(300) }, 'tag')).toHaveLength(128);
  });

  it('is empty when metadata names no usable tag', () => {
    expect(costTagOf(null, 'tag')).toBe('');
    expect(costTagOf(['tag'], 'tag')).toBe('');
    expect(costTagOf({ tag: { nested: true } }, 'tag')).toBe('');
    expect(costTagOf({ other: 'x' }, 'tag')).toBe('');
  });
});
