/**
 * How long to wait before polling a provider batch again. Young batches are polled at the
 * base interval (many finish in minutes); older ones less often, up to 15 minutes, since
 * most finish within an hour and the rest may take the full 24 h window.
 */
const nextPollDelayMs = (input: {
  readonly ageMs: number;
  readonly baseIntervalMs: number;
  readonly retryAfterMs?: number | null;
}): number => {
  const { ageMs, baseIntervalMs } = input;
  const maxMs = Math.max(baseIntervalMs, 15 * 60 * 1000);
  const hour = 60 * 60 * 1000;
  const factor = ageMs < hour / 4 ? 1 : ageMs < hour ? 2 : ageMs < 4 * hour ? 5 : 15;
  const delay = Math.min(baseIntervalMs * factor, maxMs);
  return Math.max(delay, input.retryAfterMs ?? 0);
};

export { nextPollDelayMs };
