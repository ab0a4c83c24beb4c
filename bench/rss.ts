/** Peak RSS seen while a phase ran. */
interface RssReport {
  /** Highest `process.memoryUsage().rss` sample (every ~50 ms), MB. */
  readonly peakMb: number;
  /** RSS when the phase started, MB (the process, its modules and clients). */
  readonly startMb: number;
  readonly samples: number;
}

const MB = 1024 * 1024;

/**
 * Samples RSS every `intervalMs` until stopped. The kernel's `ru_maxrss` is not used: a
 * spawned child inherits its parent's high-water mark through fork and exec, and the parent
 * here holds fauxqs's objects, so it reports the parent's peak rather than the child's.
 */
const startRssSampler = (intervalMs = 50): { stop(): RssReport } => {
  const start = process.memoryUsage().rss;
  let peak = start;
  let samples = 1;
  const timer = setInterval(() => {
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
    samples += 1;
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      const rss = process.memoryUsage().rss;
      if (rss > peak) peak = rss;
      return {
        peakMb: peak / MB,
        startMb: start / MB,
        samples: samples + 1,
      };
    },
  };
};

export { type RssReport, startRssSampler };
