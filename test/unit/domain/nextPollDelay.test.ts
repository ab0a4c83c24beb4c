import { describe, expect, it } from 'vitest';
import { nextPollDelayMs } from '../../../shared/domain/nextPollDelay.js';

const minute = 60_000;

describe('Function: nextPollDelayMs()', () => {
  it('polls young batches at the base interval and old ones less often, up to 15 minutes', () => {
    expect(nextPollDelayMs({ ageMs: 0, baseIntervalMs: minute })).toBe(minute);
    expect(nextPollDelayMs({ ageMs: 30 * minute, baseIntervalMs: minute })).toBe(2 * minute);
    expect(nextPollDelayMs({ ageMs: 2 * 60 * minute, baseIntervalMs: minute })).toBe(5 * minute);
    expect(nextPollDelayMs({ ageMs: 20 * 60 * minute, baseIntervalMs: minute })).toBe(15 * minute);
  });

  it('honours a longer retry-after from the provider', () => {
    expect(nextPollDelayMs({ ageMs: 0, baseIntervalMs: minute, retryAfterMs: 5 * minute })).toBe(
      5 * minute,
    );
  });
});
