/** How much less often a batch whose end the provider pushes is polled (the safety net). */
const PUSHED_FACTOR = 5;

/**
 * How long to wait before polling a provider batch again. Young batches are polled at the
 * base interval (many finish in minutes); older ones less often, up to 15 minutes, since
 * most finish within an hour and the rest may take the full 24 h window. Where the provider
 * pushes the end (a webhook or an EventBridge event), polling only catches a lost push: five
 * times less often, up to an hour.
 */
const nextPollDelayMs = (input: {
  readonly ageMs: number;
  readonly baseIntervalMs: number;
  readonly retryAfterMs?: number | null;
  readonly pushExpected?: boolean;
}): number => {
  const { ageMs, baseIntervalMs } = input;
  const pushed = input.pushExpected === true;
  const maxMs = Math.max(baseIntervalMs, (pushed ? 60 : 15) * 60 * 1000);
  const hour = 60 * 60 * 1000;
  const factor =
    (ageMs < hour / 4 ? 1 : ageMs < hour ? 2 : ageMs < 4 * hour ? 5 : 15) *
    (pushed ? PUSHED_FACTOR : 1);
  const delay = Math.min(baseIntervalMs * factor, maxMs);
  return Math.max(delay, input.retryAfterMs ?? 0);
};

export { nextPollDelayMs };
