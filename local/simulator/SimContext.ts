import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimClock } from './createSimClock.js';
import type { OpenAIDialect } from './openaiDialects.js';
import type { BatchFaults, SimulatorFaults } from './SimulatorFaults.js';
import type { SimulatorStore } from './SimulatorStore.js';

/** Provider limits; overridable so tests can reach them without 256 MB bodies. */
interface SimulatorLimits {
  anthropicMaxRequests: number;
  anthropicMaxBodyBytes: number;
  openaiMaxRequests: number;
  openaiMaxFileBytes: number;
  openaiMaxUploadBytes: number;
  /** Gemini: most bytes of one create call with inline requests ("under 20MB"). */
  geminiMaxInlineBytes: number;
  /** Gemini: most bytes of one Files API file (2 GB). */
  geminiMaxFileBytes: number;
  /** How long Anthropic results stay downloadable after `created_at` (29 days). */
  retentionMs: number;
  /** Bedrock's per-model quotas: records per job (fewest and most), per file, file size. */
  bedrockMinRecords: number;
  bedrockMaxRecords: number;
  bedrockMaxRecordsPerFile: number;
  bedrockMaxFileBytes: number;
  /** Bedrock jobs in progress or submitted at once per model. */
  bedrockJobsPerModel: number;
}

const DEFAULT_LIMITS: SimulatorLimits = {
  anthropicMaxRequests: 100_000,
  anthropicMaxBodyBytes: 256 * 1000 * 1000,
  openaiMaxRequests: 50_000,
  openaiMaxFileBytes: 200 * 1000 * 1000,
  openaiMaxUploadBytes: 512 * 1000 * 1000,
  geminiMaxInlineBytes: 20 * 1000 * 1000,
  geminiMaxFileBytes: 2 * 1000 * 1000 * 1000,
  retentionMs: 29 * 24 * 3600 * 1000,
  bedrockMinRecords: 100,
  bedrockMaxRecords: 50_000,
  bedrockMaxRecordsPerFile: 50_000,
  bedrockMaxFileBytes: 1000 * 1000 * 1000,
  bedrockJobsPerModel: 10,
};

/** Everything a route handler needs; `faults` is mutable so tests can change it live. */
interface SimContext {
  readonly seed: number;
  readonly clock: SimClock;
  readonly store: SimulatorStore;
  readonly processingMs: number;
  readonly expiryMs: number;
  readonly limits: SimulatorLimits;
  faults: SimulatorFaults;
  /** The deployment's own profiles served besides the built-in providers, by id. */
  readonly profiles: ReadonlyMap<string, OpenAIDialect>;
  /** Batch-level faults of a new batch: simulator-wide merged with the per-batch ones. */
  batchFaults(perBatch: BatchFaults): BatchFaults;
  /** Deterministic ids: prefix + suffix derived from the seed and a sequence number. */
  newId(prefix: string, length: number, seq: number): string;
}

/**
 * One family of routes: answers the request and resolves true, or resolves false when the
 * path is not one of its routes. `headers` are the request's, names in lower case.
 */
type SimRoute = (
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  headers: Record<string, string>,
) => Promise<boolean>;

export { DEFAULT_LIMITS, type SimContext, type SimRoute, type SimulatorLimits };
