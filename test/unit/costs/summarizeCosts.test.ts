import { describe, expect, it } from 'vitest';
import type { CostEntry } from '../../../shared/domain/costs/CostEntry.js';
import {
  spendNanoUsd,
  summarizeCostStream,
  summarizeCosts,
} from '../../../shared/domain/costs/summarizeCosts.js';

const entry = (overrides: Partial<CostEntry> = {}): CostEntry => ({
  day: '2026-11-20',
  source: 'bl_1',
  provider: 'anthropic',
  model: 'claude-sonnet-4-6',
  lane: 'batch',
  tag: '',
  requests: 1,
  inputTokens: 100,
  outputTokens: 10,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  nanoUsd: 1_000,
  realtimeNanoUsd: 2_000,
  ...overrides,
});

const ENTRIES: readonly CostEntry[] = [
  entry({ day: '2026-11-21', model: 'small', tag: 'eval', nanoUsd: 300, realtimeNanoUsd: 600 }),
  entry({ day: '2026-11-20', model: 'big', tag: 'eval', requests: 4, nanoUsd: 9_000 }),
  entry({ day: '2026-11-22', model: 'small', tag: '', nanoUsd: 700, realtimeNanoUsd: 1_400 }),
  entry({
    day: '2026-11-20',
    model: 'mid',
    lane: 'realtime',
    inputTokens: 50,
    cacheReadTokens: 7,
    cacheWriteTokens: 3,
    nanoUsd: 1_000,
    realtimeNanoUsd: 1_000,
  }),
];

describe('Function: summarizeCosts()', () => {
  it('sums every count per group and sorts by cost descending', () => {
    // Act
    const summary = summarizeCosts(ENTRIES, 'model');
    // Assess
    expect(summary.by).toBe('model');
    expect(summary.rows).toEqual([
      {
        key: 'big',
        requests: 4,
        inputTokens: 100,
        outputTokens: 10,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        nanoUsd: 9_000,
        realtimeNanoUsd: 2_000,
        savedNanoUsd: -7_000,
      },
      {
        key: 'mid',
        requests: 1,
        inputTokens: 50,
        outputTokens: 10,
        cacheReadTokens: 7,
        cacheWriteTokens: 3,
        nanoUsd: 1_000,
        realtimeNanoUsd: 1_000,
        savedNanoUsd: 0,
      },
      {
        key: 'small',
        requests: 2,
        inputTokens: 200,
        outputTokens: 20,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        nanoUsd: 1_000,
        realtimeNanoUsd: 2_000,
        savedNanoUsd: 1_000,
      },
    ]);
  });

  it('adds a TOTAL row over every entry', () => {
    const { total } = summarizeCosts(ENTRIES, 'tag');
    expect(total).toEqual({
      key: 'TOTAL',
      requests: 7,
      inputTokens: 350,
      outputTokens: 40,
      cacheReadTokens: 7,
      cacheWriteTokens: 3,
      nanoUsd: 11_000,
      realtimeNanoUsd: 5_000,
      savedNanoUsd: -6_000,
    });
  });

  it('sorts days ascending whatever they cost', () => {
    const rows = summarizeCosts(ENTRIES, 'day').rows;
    expect(rows.map((r) => [r.key, r.nanoUsd])).toEqual([
      ['2026-11-20', 10_000],
      ['2026-11-21', 300],
      ['2026-11-22', 700],
    ]);
  });

  it('breaks cost ties by key, and keeps the empty tag as its own group', () => {
    const rows = summarizeCosts(
      [
        entry({ tag: 'b', nanoUsd: 5 }),
        entry({ tag: '', nanoUsd: 5 }),
        entry({ tag: 'a', nanoUsd: 5 }),
      ],
      'tag',
    ).rows;
    expect(rows.map((r) => r.key)).toEqual(['', 'a', 'b']);
  });

  it('groups by lane, provider and source', () => {
    expect(summarizeCosts(ENTRIES, 'lane').rows.map((r) => [r.key, r.requests])).toEqual([
      ['batch', 6],
      ['realtime', 1],
    ]);
    const mixed = [entry({ provider: 'openai', source: 'req:a' }), entry({ source: 'bl_2' })];
    expect(summarizeCosts(mixed, 'provider').rows.map((r) => r.key)).toEqual([
      'anthropic',
      'openai',
    ]);
    expect(summarizeCosts(mixed, 'source').rows.map((r) => r.key)).toEqual(['bl_2', 'req:a']);
  });

  it('returns no rows and a zero total for no entries', () => {
    const summary = summarizeCosts([], 'day');
    expect(summary.rows).toEqual([]);
    expect(summary.total).toMatchObject({ key: 'TOTAL', requests: 0, nanoUsd: 0, savedNanoUsd: 0 });
  });
});

describe('Function: summarizeCostStream()', () => {
  it('gives the same summary from a stream as from an array', async () => {
    const stream = async function* () {
      yield* ENTRIES;
    };
    expect(await summarizeCostStream(stream(), 'model')).toEqual(summarizeCosts(ENTRIES, 'model'));
  });
});

describe('Function: spendNanoUsd()', () => {
  it('sums what the entries cost, exactly', () => {
    expect(spendNanoUsd(ENTRIES)).toBe(11_000);
    expect(spendNanoUsd([entry({ nanoUsd: 1 }), entry({ nanoUsd: 2 })])).toBe(3);
    expect(spendNanoUsd([])).toBe(0);
  });
});
