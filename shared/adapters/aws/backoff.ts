import { setTimeout as delay } from 'node:timers/promises';
import { backoffDelayMs, FULL_JITTER } from '../../domain/backoff.js';

/** Waits `ms` milliseconds; injectable so tests need not wait for real. */
type Sleep = (ms: number) => Promise<void>;

const sleep: Sleep = async (ms) => {
  await delay(ms);
};

/** The AWS retry loops' backoff: full jitter, `baseMs` before the first retry, doubling. */
const awsBackoffMs = (attempt: number, baseMs: number, maxMs: number): number =>
  backoffDelayMs(attempt - 1, { baseMs, maxMs, jitter: FULL_JITTER });

export { awsBackoffMs, type Sleep, sleep };
