import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  backoffDelayMs,
  FULL_JITTER,
  parseRetryAfterMs,
  SDK_BACKOFF,
} from '../../../shared/domain/backoff.js';

describe('Function: backoffDelayMs()', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('doubles from the base per retry and stops at the cap, without jitter', () => {
    const policy = { baseMs: 100, maxMs: 1000, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, policy))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('treats a negative retry as the first', () => {
    expect(backoffDelayMs(-1, { baseMs: 100, maxMs: 1000, jitter: 0 })).toBe(100);
  });

  it('takes at most the jitter share off the wait', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    expect(backoffDelayMs(0, SDK_BACKOFF)).toBe(375);
    expect(backoffDelayMs(10, SDK_BACKOFF)).toBe(6000);
    expect(backoffDelayMs(2, { baseMs: 100, maxMs: 1000, jitter: FULL_JITTER })).toBe(0);
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(backoffDelayMs(2, { baseMs: 100, maxMs: 1000, jitter: FULL_JITTER })).toBe(400);
  });

  it('stays within the policy over many draws', () => {
    for (let retry = 0; retry < 8; retry += 1) {
      const cap = Math.min(8000, 500 * 2 ** retry);
      const delay = backoffDelayMs(retry, SDK_BACKOFF);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(cap * 0.75));
      expect(delay).toBeLessThanOrEqual(cap);
    }
  });
});

describe('Function: parseRetryAfterMs()', () => {
  const at = Date.parse('2026-11-26T12:00:00Z');
  const from =
    (headers: Record<string, string>) =>
    (name: string): string | undefined =>
      headers[name];

  it.each([
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after-ms': '1200' }, 1200],
    [{ 'retry-after-ms': '250.5', 'retry-after': '30' }, 251],
    [{ 'retry-after': 'Thu, 26 Nov 2026 12:00:10 GMT' }, 10_000],
    [{ 'retry-after': 'Thu, 26 Nov 2026 11:59:00 GMT' }, null],
    [{ 'retry-after': '0' }, null],
    [{ 'retry-after': '-3' }, null],
    [{ 'retry-after': '99999999999' }, null],
    [{ 'retry-after': 'soon' }, null],
    [{ 'retry-after': ' ' }, null],
    [{ 'retry-after-ms': 'x', 'retry-after': '3' }, 3000],
    [{}, null],
  ])('%j → %s', (headers, expected) => {
    expect(parseRetryAfterMs(from(headers), at)).toBe(expected);
  });

  it('reads fetch Headers the same way', () => {
    const headers = new Headers({ 'Retry-After': '4' });
    expect(parseRetryAfterMs((name) => headers.get(name), at)).toBe(4000);
  });
});
