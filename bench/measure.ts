import { type RssReport, startRssSampler } from './rss.js';

/** Collects the busy time and CPU of the measured parts of a phase, and its RSS all along. */
const createMeter = () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Start from a collected heap so the peak reflects the phase, not leftovers of start-up.
  gc?.();
  const sampler = startRssSampler(50);
  let busyMs = 0;
  let cpuMicros = 0;
  return {
    /** Runs `work`, adding its wall and CPU time to the totals. */
    async time<T>(work: () => Promise<T>): Promise<T> {
      const cpu = process.cpuUsage();
      const start = performance.now();
      try {
        return await work();
      } finally {
        busyMs += performance.now() - start;
        const used = process.cpuUsage(cpu);
        cpuMicros += used.user + used.system;
      }
    },
    finish(): { busyMs: number; cpuMs: number; rss: RssReport } {
      return { busyMs, cpuMs: cpuMicros / 1000, rss: sampler.stop() };
    },
  };
};

export { createMeter };
