import type { Clock, IdGenerator } from '../../../shared/ports/Clock.js';

/** A {@link Clock} that moves only when told to, so time-dependent code is deterministic. */
class FakeClock implements Clock {
  #ms: number;

  constructor(start: Date | string = '2026-11-26T10:00:00.000Z') {
    this.#ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock does not go back');
    this.#ms += ms;
  }

  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }
}

/**
 * An {@link IdGenerator} of readable ids, `<prefix>_000001`, `<prefix>_000002`...: unique, and
 * sorted in the order they were made (one counter for every prefix).
 */
class SequentialIds implements IdGenerator {
  #count = 0;

  next(prefix: string): string {
    this.#count += 1;
    return `${prefix}_${String(this.#count).padStart(6, '0')}`;
  }
}

export { FakeClock, SequentialIds };
