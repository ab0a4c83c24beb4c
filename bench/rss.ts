/** Peak and mean RSS seen while a phase ran, plus the kernel's own lifetime peak. */
interface RssReport {
  /** Highest `process.memoryUsage().rss` sample (every ~50 ms), MB. */
  readonly peakMb: number;
  /** RSS when the phase started, MB (the process, its modules and clients). */
  readonly startMb: number;
  /** `getrusage` max RSS of this process so far, MB: catches peaks between samples. */
  readonly maxRssMb: number;
  readonly samples: number;
}

const MB = 1024 * 1024;

/**
 * Samples RSS every `intervalMs` until stopped. A timer cannot fire while the event loop is
 * blocked, so `maxRssMb` (from the kernel) is reported beside the sampled peak.
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
        // ru_maxrss is in kilobytes on Linux.
        maxRssMb: process.resourceUsage().maxRSS / 1024,
        samples: samples + 1,
      };
    },
  };
};

export { type RssReport, startRssSampler };
