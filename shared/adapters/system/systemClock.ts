import { randomBytes } from 'node:crypto';
import type { Clock, IdGenerator } from '../../ports/Clock.js';

const systemClock: Clock = { now: () => new Date() };

/** The system clock, `offsetMs` ahead: a local stack's functions share its simulator's time. */
const offsetClock = (offsetMs: number): Clock =>
  offsetMs === 0 ? systemClock : { now: () => new Date(Date.now() + offsetMs) };

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * ULID-style ids (48-bit millisecond time, 80 random bits, lower-case Crockford base32):
 * sortable by creation time, so batch ids list in the order they were made.
 */
const ulidIds = (clock: Clock = systemClock): IdGenerator => ({
  next(prefix: string): string {
    let time = clock.now().getTime();
    let timePart = '';
    for (let i = 0; i < 10; i += 1) {
      timePart = (CROCKFORD[time % 32] ?? '0') + timePart;
      time = Math.floor(time / 32);
    }
    const random = randomBytes(16);
    let randomPart = '';
    for (let i = 0; i < 16; i += 1) randomPart += CROCKFORD[(random[i] ?? 0) % 32];
    return `${prefix}_${timePart}${randomPart}`;
  },
});

export { offsetClock, systemClock, ulidIds };
