/**
 * Simulated time. Batches are scheduled in simulated milliseconds; `timeScale` makes simulated
 * time run faster than wall time so a "24 h" expiry can be observed in seconds.
 */
interface SimClock {
  /** Current simulated time, epoch milliseconds. */
  now(): number;
  readonly timeScale: number;
}

/**
 * @param timeScale simulated ms per real ms (1 = real time).
 * @param startAt simulated time at start; a restarted simulator passes the last time it saw so
 *   simulated time never runs backwards across restarts.
 */
const createSimClock = (timeScale = 1, startAt?: number): SimClock => {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new Error(`timeScale must be a positive finite number, got ${timeScale}`);
  }
  const realStart = Date.now();
  const simStart = Math.max(realStart, startAt ?? 0);
  return {
    timeScale,
    now: () => simStart + (Date.now() - realStart) * timeScale,
  };
};

export { createSimClock, type SimClock };
