import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { systemClock, ulidIds } from '../../../shared/adapters/system/systemClock.js';
import { describeClockContract } from '../../contract/ClockContract.js';
import { FakeClock, SequentialIds } from '../../support/fakes/FakeClock.js';

describeClockContract('FakeClock and SequentialIds', () => {
  const clock = new FakeClock();
  return { clock, ids: new SequentialIds(), elapse: async (ms) => clock.advance(ms) };
});

describeClockContract('systemClock and ulidIds', () => ({
  clock: systemClock,
  ids: ulidIds(systemClock),
  elapse: (ms) => sleep(ms + 1),
}));

describe('FakeClock beyond the contract', () => {
  it('moves only when told to, and never back', () => {
    const clock = new FakeClock('2026-11-26T10:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2026-11-26T10:00:00.000Z');
    clock.advanceSeconds(90);
    expect(clock.now().toISOString()).toBe('2026-11-26T10:01:30.000Z');
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
