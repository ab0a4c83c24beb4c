import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms` milliseconds; injectable so tests need not wait for real. */
type Sleep = (ms: number) => Promise<void>;

const sleep: Sleep = async (ms) => {
  await delay(ms);
};

/**
 * Exponential backoff with full jitter (attempt 1 → up to `baseMs`, doubling, capped at
 * `maxMs`): spreads retries of many concurrent callers instead of synchronising them.
 */
const backoffDelayMs = (attempt: number, baseMs: number, maxMs: number): number =>
  Math.round(Math.random() * Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1)));

export { backoffDelayMs, type Sleep, sleep };
