import type { Tally } from './awsCounters.js';
import type { RssReport } from './rss.js';

type Phase = 'pack-anchor' | 'collector' | 'seed' | 'completion' | 'read-anchor' | 'deliver-anchor';

/** What the parent tells a child (through the environment). */
interface PhaseInput {
  readonly phase: Phase;
  /** Requests in this size run. */
  readonly size: number;
  readonly runId: string;
  /** Messages per collector invocation (and per anchor upload). */
  readonly invocationSize: number;
  readonly artifactsBucket: string;
  readonly resultsBucket: string;
  /** Stop starting collector invocations after this much collector time (ms). */
  readonly collectorBudgetMs: number;
  /** Batch seeded for the completion (completion and the anchors that read its file). */
  readonly batchId: string | null;
}

/** What a child reports back. */
interface PhaseResult {
  readonly phase: Phase;
  readonly size: number;
  /** Requests (or result lines) actually processed; below `size` if a budget stopped it. */
  readonly processed: number;
  /** Payload bytes processed (intake bodies, or the results file). */
  readonly bytes: number;
  /** Time inside the measured work only (data generation excluded), ms. */
  readonly busyMs: number;
  /** Child CPU time during the measured work, ms (user + system). */
  readonly cpuMs: number;
  readonly rss: RssReport;
  /** AWS calls made during the measured work (null for phases that are not measured). */
  readonly tally: Tally | null;
  readonly batchId: string | null;
  readonly batches: number;
  readonly notes: string[];
}

export type { Phase, PhaseInput, PhaseResult };
