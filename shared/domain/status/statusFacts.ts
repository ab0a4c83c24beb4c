import type { StatusCounts } from '../../contract/events.js';
import type { ProviderName } from '../../contract/providers.js';
import type { BatchState } from '../records.js';

/** What the status page and `batchlane status` show of one batch. */
interface BatchFacts {
  readonly batchId: string;
  readonly provider: ProviderName;
  readonly models: readonly string[];
  readonly state: BatchState;
  readonly requestCount: number;
  readonly createdAt: string;
  readonly submittedAt: string | null;
  readonly endedAt: string | null;
  readonly completedAt: string | null;
  /** The provider's own deadline for the batch (its 24-hour window), once submitted. */
  readonly providerExpiresAt: string | null;
  /** Members per outcome, once the batch's results were read. */
  readonly counts: StatusCounts | null;
  readonly lastError: string | null;
}

/** One object of parked results, waiting for `batchlane replay`. */
interface ParkedObject {
  readonly key: string;
  /** The destination type the results could not reach (`sqs`, `webhook`, …). */
  readonly destinationType: string;
  readonly bytes: number;
  readonly lastModified: string | null;
}

/** The intake queue as SQS counts it: admission holds requests back as delayed messages. */
interface IntakeDepth {
  /** Messages waiting to be collected. */
  readonly waiting: number;
  /** Messages requeued with a delay: requests held by admission (quota or budget). */
  readonly delayed: number;
  /** Messages a collector is working on. */
  readonly inFlight: number;
}

export type { BatchFacts, IntakeDepth, ParkedObject };
