import { describe, expect, it } from 'vitest';
import { parseReportRange } from '../../../shared/domain/costs/parseReportRange.js';
import { InvalidInputError } from '../../../shared/domain/errors.js';

/** Late in the day, so a local-time mistake would shift the dates. */
const NOW = new Date('2026-11-26T23:30:00.000Z');

const refusal = (input: { since?: string; until?: string }): InvalidInputError => {
  try {
    parseReportRange({ ...input, now: NOW });
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
};

describe('Function: parseReportRange()', () => {
  it('defaults to the last 7 days, today included', () => {
    expect(parseReportRange({ now: NOW })).toEqual({
      since: '2026-11-20',
      until: '2026-11-26',
      days: 7,
    });
  });

  it('reads Nd as the last N days including today', () => {
    expect(parseReportRange({ since: '1d', now: NOW })).toEqual({
      since: '2026-11-26',
      until: '2026-11-26',
      days: 1,
    });
    expect(parseReportRange({ since: '30d', now: NOW })).toMatchObject({
      since: '2026-10-28',
      days: 30,
    });
  });

  it('reads explicit days, across a month and a leap day', () => {
    expect(parseReportRange({ since: '2024-02-28', until: '2024-03-01', now: NOW })).toEqual({
      since: '2024-02-28',
      until: '2024-03-01',
      days: 3,
    });
  });

  it('accepts exactly 400 days and refuses 401', () => {
    expect(parseReportRange({ since: '400d', now: NOW })).toMatchObject({
      since: '2025-10-23',
      days: 400,
    });
    const error = refusal({ since: '401d' });
    expect(error.message).toBe('2025-10-22 to 2026-11-26 is 401 days; a report covers at most 400');
    expect(error.retryable).toBe(false);
    expect(refusal({ since: '2020-01-01', until: '2021-12-31' }).details).toMatchObject({
      days: 731,
    });
  });

  it('refuses a since after until', () => {
    const error = refusal({ since: '2026-11-10', until: '2026-11-09' });
    expect(error.message).toBe('--since 2026-11-10 is after --until 2026-11-09');
    expect(error.code).toBe('invalid_range');
    expect(refusal({ since: '7d', until: '2026-11-01' }).message).toBe(
      '--since 2026-11-20 is after --until 2026-11-01',
    );
  });

  it.each([
    ['last-week'],
    ['7'],
    ['7D'],
    ['-3d'],
    ['2026-13-01'],
    ['2026-02-30'],
    ['2026-1-5'],
    [''],
  ])('refuses --since %j with a clear message', (since) => {
    expect(refusal({ since }).message).toBe(
      `--since must be a date as YYYY-MM-DD or a number of days as Nd (7d), not "${since}"`,
    );
  });

  it('refuses 0d and a malformed --until', () => {
    expect(refusal({ since: '0d' }).message).toBe('--since 0d covers no day; use 1d for today');
    expect(refusal({ until: '26/11/2026' }).message).toBe(
      '--until must be a date as YYYY-MM-DD, not "26/11/2026"',
    );
    expect(refusal({ until: '2026-11-31' }).code).toBe('invalid_range');
  });
});
