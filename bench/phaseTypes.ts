import type { Tally } from './awsCounters.js';
import type { RssReport } from './rss.js';

type Phase =
  | 'pack-anchor'
  | 'ledger-anchor'
  | 'collector'
  | 'seed'
  | 'completion'
  | 'read-anchor'
  | 'deliver-anchor';

/** What the parent tells a child (through the environment). */
interface PhaseInput {
  readonly phase: Phase;
  /** Requests in this size run. */
  readonly size: number;
  readonly runId: string;
  /** Messages per collector invocation (and per anchor upload). */
  readonly invocationSize: number;
  readonly artifactsBucket: string;
  /** The state table (the ledger anchor writes to it). */
  readonly tableName: string;
  readonly resultsBucket: string;
  /** Stop starting collector invocations after this much collector time (ms). */
  readonly collectorBudgetMs: number;
  /** Batch seeded for the completion (completion and the anchors that read its file). */
  readonly batchId: string | null;
}

/**
 * The sealing of the collector's batch(es): stop filling, seal the parts, stream them into the
 * input file (multipart), submit. Measured from the `stopFilling` call to the end of the
 * submission, whether the last invocation stopped a full batch and handed it off (the phase
 * then finishes it as the completion function would) or the phase sealed the filling one
 * after the last invocation.
 */
interface SealMeasure {
  readonly ms: number;
  readonly cpuMs: number;
  /** AWS calls of the sealing alone (also included in the phase's tally). */
  readonly tally: Tally;
  /** Batches stopped inside a collector invocation (full), and batches finished by the phase. */
  readonly sealedByCollector: number;
  readonly sealedAfterLastInvocation: number;
  /** Peak RSS while the phase assembled and submitted (MB); null when nothing was left to do. */
  readonly peakRssMb: number | null;
}

/** What the provider got: the batch records read back after the collector phase. */
interface SubmittedBatch {
  readonly batchId: string;
  readonly state: string;
  readonly requestCount: number;
  readonly inputBytes: number;
  readonly parts: number;
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
  /** Collector only: its sealing, timed apart (included in busyMs, cpuMs and tally). */
  readonly seal?: SealMeasure | null;
  /** Collector only: the batches it produced, as their records say after sealing. */
  readonly submitted?: readonly SubmittedBatch[];
  /** Collector only: null when the expected single batch of every request was submitted. */
  readonly checkFailure?: string | null;
}

export type { Phase, PhaseInput, PhaseResult, SealMeasure, SubmittedBatch };
