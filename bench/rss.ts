import { GCProfiler } from 'node:v8';

/** Peak RSS seen while a phase ran. */
interface RssReport {
  /** Highest `process.memoryUsage().rss` sample (every ~50 ms), MB. */
  readonly peakMb: number;
  /** RSS when the phase started, MB (the process, its modules and clients). */
  readonly startMb: number;
  /** At the peak sample: the V8 heap (`heapTotal`) and memory outside it (`external`), MB. */
  readonly atPeak?: { readonly heapMb: number; readonly externalMb: number };
  /**
   * The most the process held right after a full garbage collection during the phase (V8 heap
   * in use plus external memory), MB: what the code keeps alive, without the room V8 leaves
   * itself between collections. Null when no full collection ran.
   */
  readonly liveMb?: number | null;
  readonly samples: number;
}

const MB = 1024 * 1024;

/** The largest heap-in-use plus external memory right after any full collection of a profile. */
const liveAfterFullGcs = (profile: { statistics: GcStatistic[] }): number | null => {
  const after = profile.statistics
    .filter((entry) => entry.gcType === 'MarkSweepCompact')
    .map((entry) => entry.afterGC.heapStatistics)
    .map((heap) => heap.usedHeapSize + heap.externalMemory);
  return after.length === 0 ? null : Math.max(...after) / MB;
};

interface GcStatistic {
  readonly gcType: string;
  readonly afterGC: {
    readonly heapStatistics: { readonly usedHeapSize: number; readonly externalMemory: number };
  };
}

/**
 * Samples RSS every `intervalMs` until stopped. The kernel's `ru_maxrss` is not used: a
 * spawned child inherits its parent's high-water mark through fork and exec, and the parent
 * here holds fauxqs's objects, so it reports the parent's peak rather than the child's.
 * BENCH_RSS_TRACE=1 prints every tenth sample to stderr (RSS, heap, external), to see where
 * a peak comes from.
 */
const startRssSampler = (intervalMs = 50): { stop(): RssReport } => {
  const trace = process.env.BENCH_RSS_TRACE === '1';
  const gcs = new GCProfiler();
  gcs.start();
  const start = process.memoryUsage().rss;
  let peak = start;
  let atPeak = { heapMb: 0, externalMb: 0 };
  let samples = 0;
  const sample = (): void => {
    const memory = process.memoryUsage();
    samples += 1;
    if (memory.rss > peak) {
      peak = memory.rss;
      atPeak = { heapMb: memory.heapTotal / MB, externalMb: memory.external / MB };
    }
    if (trace && samples % 10 === 0) {
      const mb = (bytes: number): string => (bytes / MB).toFixed(0);
      console.error(
        `rss ${mb(memory.rss)} MB: heap ${mb(memory.heapTotal)} (used ${mb(memory.heapUsed)}), external ${mb(memory.external)}`,
      );
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      const profile = gcs.stop() as unknown as { statistics: GcStatistic[] } | undefined;
      const liveMb = profile === undefined ? null : liveAfterFullGcs(profile);
      return { peakMb: peak / MB, startMb: start / MB, atPeak, liveMb, samples };
    },
  };
};

export { type RssReport, startRssSampler };
