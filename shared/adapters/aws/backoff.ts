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

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order.
 * Every call settles before the first failure is rethrown, so no write is left running.
 */
const mapWithConcurrency = async <T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const results = new Array<R>(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length > 0) throw errors[0];
  return results;
};

export { backoffDelayMs, mapWithConcurrency, type Sleep, sleep };
