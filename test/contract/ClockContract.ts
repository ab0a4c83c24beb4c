import { describe, expect, it } from 'vitest';
import type { Clock, IdGenerator } from '../../shared/ports/Clock.js';

interface ClockSubject {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Lets time pass on `clock` (a fake moves; the system clock is waited for). */
  elapse(ms: number): Promise<void>;
}

/**
 * What every {@link Clock} and {@link IdGenerator} pair does: `now` never goes back and
 * returns a fresh Date each time (a caller may change it), and ids carry their prefix, are
 * unique, and made at later times sort later.
 */
const describeClockContract = (name: string, makeSubject: () => ClockSubject) => {
  describe(`Clock contract: ${name}`, () => {
    it('never goes back, and hands out a Date of its own each time', async () => {
      const { clock, elapse } = makeSubject();
      const first = clock.now();
      first.setFullYear(1999);
      const second = clock.now();
      expect(second.getFullYear()).not.toBe(1999);
      await elapse(5);
      expect(clock.now().getTime()).toBeGreaterThanOrEqual(second.getTime() + 5);
    });

    it('makes unique ids that carry their prefix', () => {
      const { ids } = makeSubject();
      const made = Array.from({ length: 2000 }, () => ids.next('b'));
      expect(new Set(made).size).toBe(2000);
      for (const id of made) expect(id).toMatch(/^b_[0-9a-z]+$/);
      expect(ids.next('rt').startsWith('rt_')).toBe(true);
    });

    it('sorts ids made at later times after earlier ones', async () => {
      const { ids, elapse } = makeSubject();
      const made: string[] = [];
      for (let i = 0; i < 5; i++) {
        made.push(ids.next('b'));
        await elapse(2);
      }
      expect([...made].sort()).toEqual(made);
    });
  });
};

export { type ClockSubject, describeClockContract };
