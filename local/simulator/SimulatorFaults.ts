import { z } from 'zod';

/**
 * Fault-injection knobs. Simulator-wide values come from `SimulatorOptions.faults`; every
 * batch-level knob can also be set per batch (OpenAI: batch `metadata`; Anthropic: the
 * `x-sim-faults` header on create) and then overrides the simulator-wide value for that batch.
 */
const ITEM_ERROR_TYPES = [
  'invalid_request_error',
  'api_error',
  'overloaded_error',
  'rate_limit_error',
  'timeout_error',
] as const;
type ItemErrorType = (typeof ITEM_ERROR_TYPES)[number];

const fraction = z.number().min(0).max(1);

const batchFaultsSchema = z.strictObject({
  /** Fraction of the batch's requests that fail with each error type (sum ≤ 1). */
  itemErrorRates: z.partialRecord(z.enum(ITEM_ERROR_TYPES), fraction).optional(),
  /**
   * The batch's expiry arrives after this fraction of its processing period, so roughly that
   * fraction of its requests finish and the rest come back expired.
   */
  expireAtFraction: fraction.optional(),
  /** A cancel loses the race with completion: every request still finishes. */
  cancelRace: z.boolean().optional(),
  /**
   * The batch sits stuck: it stays queued (or validating) with nothing done until it is
   * cancelled (every request `canceled`) or its expiry comes (every request `expired`).
   */
  stuck: z.boolean().optional(),
  /** Simulated processing time of this batch, overriding `SimulatorOptions.processingMs`. */
  processingMs: z.number().int().min(0).optional(),
  /** Results in a seeded random order (default true, as real providers do not keep order). */
  shuffleResults: z.boolean().optional(),
  /** Real milliseconds to pause before the first byte and after every 64 result lines. */
  resultsDelayMs: z.number().int().min(0).max(60_000).optional(),
  /**
   * How long (simulated ms) the batch's results are kept once it has ended, instead of the
   * provider's own retention (Anthropic: 29 days from creation; OpenAI and its profiles: output
   * and error files 30 days after the end): then Anthropic archives the batch and OpenAI
   * deletes the files. 0: gone as soon as the batch ends.
   */
  resultsRetentionMs: z.number().int().min(0).optional(),
  /** Cut the first `times` results downloads of a batch after `afterLines` lines, mid-line. */
  truncateResults: z
    .strictObject({
      afterLines: z.number().int().min(0),
      times: z.number().int().min(1).optional(),
    })
    .optional(),
});
type BatchFaults = z.infer<typeof batchFaultsSchema>;

const httpFaultsSchema = z.strictObject({
  /** Fraction of HTTP requests answered with an injected error instead of being served. */
  rate: fraction,
  /** Statuses to pick from (seeded); default [429, 500, 503]. */
  statuses: z.array(z.number().int().min(400).max(599)).min(1).optional(),
  /** Value sent as `retry-after-ms` (and rounded up as `retry-after`); default 20. */
  retryAfterMs: z.number().int().min(1).optional(),
  /**
   * Inject only while the SDK's `x-stainless-retry-count` is below this (default 1), so the
   * official clients' default two retries always recover. Set higher to exhaust retries.
   */
  maxPerRequest: z.number().int().min(1).optional(),
  /** Only paths matching this regular expression are affected (default: every path). */
  pathPattern: z.string().optional(),
});
type HttpFaults = z.infer<typeof httpFaultsSchema>;

/**
 * Knobs of the synchronous endpoints (`POST /v1/messages`, `/v1/chat/completions`,
 * `/v1/responses`, `/v1/embeddings`). Simulator-wide, or per request through `x-sim-faults`.
 */
const realtimeFaultsSchema = z.strictObject({
  /** Fraction of flex requests answered 429 `resource_unavailable` (flex capacity short). */
  flexUnavailableRate: fraction.optional(),
  /**
   * Answer 429 only while the client's `x-stainless-retry-count` is below this, so a burst
   * of that many refusals is followed by service. Default: every try may be refused.
   */
  flexUnavailableMaxPerRequest: z.number().int().min(1).optional(),
  /** Sent as `retry-after-ms` (and rounded up as `retry-after`) on those 429s; default 20. */
  flexRetryAfterMs: z.number().int().min(1).optional(),
  /** Fraction of flex requests served, but at the `default` tier (the response says so). */
  flexDowngradeRate: fraction.optional(),
  /** Real milliseconds to wait before answering a synchronous request that is served. */
  realtimeLatencyMs: z.number().int().min(0).max(600_000).optional(),
});
type RealtimeFaults = z.infer<typeof realtimeFaultsSchema>;

/** Knobs of simulated Bedrock jobs, simulator-wide, fixed per job at its create. */
const bedrockFaultsSchema = z.strictObject({
  /** Fraction of records answered with a per-record 500 error line. */
  recordErrorRate: fraction.optional(),
  /** Jobs never leave `Scheduled` and end `Expired`. */
  expireJobs: z.boolean().optional(),
  /** Jobs run out of time after this fraction of their records (`PartiallyCompleted`). */
  partialAtFraction: fraction.optional(),
  /** Jobs fail in validation with this message. */
  failJobsWith: z.string().min(1).optional(),
});

const simulatorFaultsSchema = batchFaultsSchema
  .extend({
    http: httpFaultsSchema.optional(),
    bedrock: bedrockFaultsSchema.optional(),
    /**
     * The next this many batches created (any provider but Bedrock) sit stuck, as `stuck`
     * does per batch; each one created uses one up.
     */
    stuckBatches: z.number().int().min(0).optional(),
  })
  .extend(realtimeFaultsSchema.shape);
type SimulatorFaults = z.infer<typeof simulatorFaultsSchema>;

/** Thrown when a fault specification from a header or metadata does not parse. */
class FaultSpecError extends Error {}

const parseBatchFaults = (value: unknown): BatchFaults => {
  const parsed = batchFaultsSchema.safeParse(value);
  if (!parsed.success) {
    throw new FaultSpecError(`invalid simulator faults: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
};

/** Parses the `x-sim-faults` header (a JSON object of {@link BatchFaults}). */
const parseFaultsHeader = (header: string | string[] | undefined): BatchFaults => {
  if (header === undefined) return {};
  const text = Array.isArray(header) ? header.join(',') : header;
  try {
    return parseBatchFaults(JSON.parse(text));
  } catch (error) {
    if (error instanceof FaultSpecError) throw error;
    throw new FaultSpecError('x-sim-faults must be a JSON object');
  }
};

/**
 * Reads faults the client asked for (header, metadata); a malformed spec is refused as the
 * API's own 400, made by `refuse`.
 */
const readFaultsOr = <T>(read: () => T, refuse: (message: string) => Error): T => {
  try {
    return read();
  } catch (error) {
    if (error instanceof FaultSpecError) throw refuse(error.message);
    throw error;
  }
};

/**
 * Reads per-batch faults from OpenAI batch metadata. `sim_faults` holds a JSON object; the
 * short keys below exist because metadata values are capped at 512 characters and are easy
 * to set one by one.
 */
const faultsFromMetadata = (metadata: Record<string, string> | null): BatchFaults => {
  if (metadata === null) return {};
  const spec: Record<string, unknown> = {};
  const rates: Record<string, number> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (!key.startsWith('sim_')) continue;
    const name = key.slice(4);
    if (name === 'faults') {
      try {
        Object.assign(spec, JSON.parse(value) as object);
      } catch {
        throw new FaultSpecError('metadata.sim_faults must be a JSON object');
      }
    } else if (name.startsWith('error_')) {
      rates[name.slice(6)] = Number(value);
    } else if (name === 'expire_at_fraction') spec.expireAtFraction = Number(value);
    else if (name === 'cancel_race') spec.cancelRace = value === 'true';
    else if (name === 'stuck') spec.stuck = value === 'true';
    else if (name === 'processing_ms') spec.processingMs = Number(value);
    else if (name === 'shuffle_results') spec.shuffleResults = value !== 'false';
    else if (name === 'results_delay_ms') spec.resultsDelayMs = Number(value);
    else if (name === 'truncate_results_after_lines') {
      spec.truncateResults = { afterLines: Number(value) };
    } else throw new FaultSpecError(`unknown simulator metadata key ${key}`);
  }
  if (Object.keys(rates).length > 0) {
    spec.itemErrorRates = { ...(spec.itemErrorRates as object | undefined), ...rates };
  }
  return parseBatchFaults(spec);
};

/**
 * Faults of one synchronous request: the simulator-wide realtime knobs, overridden key by key
 * by the request's `x-sim-faults` header (a JSON object of {@link RealtimeFaults}).
 */
const realtimeFaultsFor = (
  faults: SimulatorFaults,
  header: string | string[] | undefined,
): RealtimeFaults => {
  const base: RealtimeFaults = {
    flexUnavailableRate: faults.flexUnavailableRate,
    flexUnavailableMaxPerRequest: faults.flexUnavailableMaxPerRequest,
    flexRetryAfterMs: faults.flexRetryAfterMs,
    flexDowngradeRate: faults.flexDowngradeRate,
    realtimeLatencyMs: faults.realtimeLatencyMs,
  };
  if (header === undefined) return base;
  const text = Array.isArray(header) ? header.join(',') : header;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FaultSpecError('x-sim-faults must be a JSON object');
  }
  const parsed = realtimeFaultsSchema.safeParse(value);
  if (!parsed.success) {
    throw new FaultSpecError(`invalid simulator faults: ${z.prettifyError(parsed.error)}`);
  }
  return { ...base, ...parsed.data };
};

/** Per-batch knobs override simulator-wide ones, key by key. */
const mergeFaults = (base: BatchFaults, override: BatchFaults): BatchFaults => ({
  ...base,
  ...override,
  itemErrorRates: { ...base.itemErrorRates, ...override.itemErrorRates },
});

/** The batch-level part of simulator-wide faults (drops the HTTP and realtime knobs). */
const batchPartOf = (faults: SimulatorFaults): BatchFaults => {
  const {
    http: _http,
    flexUnavailableRate: _flexUnavailableRate,
    flexUnavailableMaxPerRequest: _flexUnavailableMaxPerRequest,
    flexRetryAfterMs: _flexRetryAfterMs,
    flexDowngradeRate: _flexDowngradeRate,
    realtimeLatencyMs: _realtimeLatencyMs,
    stuckBatches: _stuckBatches,
    ...rest
  } = faults;
  return rest;
};

export {
  type BatchFaults,
  batchPartOf,
  FaultSpecError,
  faultsFromMetadata,
  type HttpFaults,
  ITEM_ERROR_TYPES,
  type ItemErrorType,
  mergeFaults,
  parseBatchFaults,
  parseFaultsHeader,
  type RealtimeFaults,
  readFaultsOr,
  realtimeFaultsFor,
  type SimulatorFaults,
  simulatorFaultsSchema,
};
