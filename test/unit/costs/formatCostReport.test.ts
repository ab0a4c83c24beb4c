import { describe, expect, it } from 'vitest';
import type { CostEntry } from '../../../shared/domain/costs/CostEntry.js';
import {
  costReportJson,
  formatCostReport,
  formatUsd,
  savedPercent,
} from '../../../shared/domain/costs/formatCostReport.js';
import { summarizeCosts } from '../../../shared/domain/costs/summarizeCosts.js';

const entry = (overrides: Partial<CostEntry> = {}): CostEntry => ({
  day: '2026-11-20',
  source: 'bl_1',
  provider: 'anthropic',
  model: 'claude-sonnet-4-6',
  lane: 'batch',
  tag: '',
  requests: 1,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  nanoUsd: 0,
  realtimeNanoUsd: 0,
  ...overrides,
});

const ENTRIES: readonly CostEntry[] = [
  entry({
    tag: 'nightly',
    requests: 1_200,
    inputTokens: 1_234_567,
    outputTokens: 89_012,
    cacheReadTokens: 5_000,
    cacheWriteTokens: 700,
    nanoUsd: 2_345_678_901,
    realtimeNanoUsd: 4_691_357_802,
  }),
  entry({
    tag: '',
    requests: 3,
    inputTokens: 120,
    outputTokens: 30,
    nanoUsd: 1_800_000,
    realtimeNanoUsd: 3_600_000,
  }),
];

describe('Function: formatUsd()', () => {
  it('prints a dollar or more with 2 decimals and thousands separators', () => {
    expect(formatUsd(1_000_000_000)).toBe('1.00');
    expect(formatUsd(2_345_678_901)).toBe('2.35');
    expect(formatUsd(1_234_567_890_000)).toBe('1,234.57');
    expect(formatUsd(1_004_999_999)).toBe('1.00');
    expect(formatUsd(1_005_000_000)).toBe('1.01');
  });

  it('prints amounts under a dollar with at least 4 decimals', () => {
    expect(formatUsd(500_000_000)).toBe('0.5000');
    expect(formatUsd(123_456_789)).toBe('0.1235');
    expect(formatUsd(1_800_000)).toBe('0.0018');
    expect(formatUsd(1_234_567)).toBe('0.0012');
  });

  it('adds decimals until two significant digits show, down to the nano-dollar', () => {
    expect(formatUsd(180_000)).toBe('0.00018');
    expect(formatUsd(12_345)).toBe('0.000012');
    expect(formatUsd(15)).toBe('0.000000015');
    expect(formatUsd(1)).toBe('0.000000001');
  });

  it('prints zero as 0.00, negatives with a sign, and rounds up to the dollar rule', () => {
    expect(formatUsd(0)).toBe('0.00');
    expect(formatUsd(-1_800_000)).toBe('-0.0018');
    expect(formatUsd(-3_000_000_000)).toBe('-3.00');
    expect(formatUsd(999_940_000)).toBe('0.9999');
    expect(formatUsd(999_950_000)).toBe('1.00');
    expect(formatUsd(999_999_999)).toBe('1.00');
  });
});

describe('Function: savedPercent()', () => {
  const row = (savedNanoUsd: number, realtimeNanoUsd: number) => ({
    ...summarizeCosts([], 'model').total,
    savedNanoUsd,
    realtimeNanoUsd,
  });

  it('rounds to one decimal, half away from zero, and exactly for large amounts', () => {
    expect(savedPercent(row(1, 3))).toBe(33.3);
    expect(savedPercent(row(2, 3))).toBe(66.7);
    expect(savedPercent(row(-1, 3))).toBe(-33.3);
    expect(savedPercent(row(1, 2_000))).toBe(0.1);
    expect(savedPercent(row(-1, 2_000))).toBe(-0.1);
    expect(savedPercent(row(-1, 2_001))).toBe(0);
    expect(savedPercent(row(4_500_000_000_000_001, 9_000_000_000_000_000))).toBe(50);
    expect(savedPercent(row(-998_997_350_000_000, 5_300_000_000))).toBe(-18_849_006.6);
  });

  it('is null when there is no realtime price to compare with', () => {
    expect(savedPercent(row(0, 0))).toBeNull();
  });
});

describe('Function: formatCostReport()', () => {
  it('prints a fixed-width table with a TOTAL line', () => {
    // Prepare
    const report = {
      since: '2026-11-20',
      until: '2026-11-26',
      summary: summarizeCosts(ENTRIES, 'tag'),
    };
    // Act
    const text = formatCostReport(report);
    // Assess
    expect(text.split('\n')).toEqual([
      'batchlane costs by tag, 2026-11-20 to 2026-11-26 (UTC days)',
      'tag      requests  input tok  output tok  cache read  cache write  cost $  realtime $  saved $  saved %',
      '-------  --------  ---------  ----------  ----------  -----------  ------  ----------  -------  -------',
      'nightly     1,200  1,234,567      89,012       5,000          700    2.35        4.69     2.35     50.0',
      '(none)          3        120          30           0            0  0.0018      0.0036   0.0018     50.0',
      '-------  --------  ---------  ----------  ----------  -----------  ------  ----------  -------  -------',
      'TOTAL       1,203  1,234,687      89,042       5,000          700    2.35        4.69     2.35     50.0',
    ]);
  });

  it('shows a dash for the saved share when nothing had a realtime price', () => {
    const text = formatCostReport({
      since: '2026-11-26',
      until: '2026-11-26',
      summary: summarizeCosts([], 'day'),
    });
    expect(text.split('\n')).toEqual([
      'batchlane costs by day, 2026-11-26 to 2026-11-26 (UTC days)',
      'day    requests  input tok  output tok  cache read  cache write  cost $  realtime $  saved $  saved %',
      '-----  --------  ---------  ----------  ----------  -----------  ------  ----------  -------  -------',
      '-----  --------  ---------  ----------  ----------  -----------  ------  ----------  -------  -------',
      'TOTAL         0          0           0           0            0    0.00        0.00     0.00        -',
    ]);
  });
});

describe('Function: costReportJson()', () => {
  it('gives USD as numbers, nano-USD as integers and the saved share per row', () => {
    // Act
    const json = costReportJson({
      since: '2026-11-20',
      until: '2026-11-26',
      summary: summarizeCosts(ENTRIES, 'tag'),
    });
    // Assess
    expect(json).toEqual({
      since: '2026-11-20',
      until: '2026-11-26',
      by: 'tag',
      rows: [
        {
          key: 'nightly',
          requests: 1_200,
          input_tokens: 1_234_567,
          output_tokens: 89_012,
          cache_read_tokens: 5_000,
          cache_write_tokens: 700,
          cost_usd: 2.345678901,
          realtime_usd: 4.691357802,
          saved_usd: 2.345678901,
          saved_percent: 50,
          cost_nano_usd: 2_345_678_901,
          realtime_nano_usd: 4_691_357_802,
          saved_nano_usd: 2_345_678_901,
        },
        {
          key: '',
          requests: 3,
          input_tokens: 120,
          output_tokens: 30,
          cache_read_tokens: 0,
          cache_write_tokens: 0,
          cost_usd: 0.0018,
          realtime_usd: 0.0036,
          saved_usd: 0.0018,
          saved_percent: 50,
          cost_nano_usd: 1_800_000,
          realtime_nano_usd: 3_600_000,
          saved_nano_usd: 1_800_000,
        },
      ],
      total: {
        key: 'TOTAL',
        requests: 1_203,
        input_tokens: 1_234_687,
        output_tokens: 89_042,
        cache_read_tokens: 5_000,
        cache_write_tokens: 700,
        cost_usd: 2.347478901,
        realtime_usd: 4.694957802,
        saved_usd: 2.347478901,
        saved_percent: 50,
        cost_nano_usd: 2_347_478_901,
        realtime_nano_usd: 4_694_957_802,
        saved_nano_usd: 2_347_478_901,
      },
    });
  });

  it('survives a JSON round trip with the same numbers', () => {
    const json = costReportJson({
      since: '2026-11-20',
      until: '2026-11-20',
      summary: summarizeCosts([entry({ nanoUsd: 1_800_000, realtimeNanoUsd: 2_700_000 })], 'model'),
    });
    const text = JSON.stringify(json);
    expect(text).toContain('"cost_usd":0.0018');
    expect(text).toContain('"cost_nano_usd":1800000');
    expect(JSON.parse(text)).toEqual(json);
    expect(json.total.saved_percent).toBe(33.3);
  });
});
