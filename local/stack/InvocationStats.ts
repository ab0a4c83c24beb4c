import { FAILURE_KINDS, type InvocationFailureKind } from './invocationLimits.js';
import type { Isolation } from './lambdaContext.js';

/** What the local runner saw of one function, summed over its invocations. */
interface FunctionStats {
  readonly functionName: string;
  readonly isolation: Isolation;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  /** Invocations attempted, refused ones included. */
  readonly invocations: number;
  /** Execution environments started (cold starts); always 0 inline. */
  readonly coldStarts: number;
  /** Longest init (module load) of an execution environment, ms. */
  readonly maxInitMs: number;
  /** Longest invocation, ms, init excluded (as Lambda bills it). */
  readonly maxDurationMs: number;
  /** Largest request payload (JSON bytes), refused ones included. */
  readonly maxRequestBytes: number;
  /** Largest response payload (JSON bytes), refused ones included. */
  readonly maxResponseBytes: number;
  /** Highest V8 heap use measured inside an execution environment; null inline. */
  readonly peakHeapUsedBytes: number | null;
  /** Highest memory held outside the heap (Buffers, ArrayBuffers); null inline. */
  readonly peakExternalBytes: number | null;
  /** The heap limit the environments ran with; null inline. */
  readonly heapLimitBytes: number | null;
  readonly failures: Readonly<Record<InvocationFailureKind, number>>;
  /** SQS events the event source mapping ended early to stay within the 6 MB payload. */
  readonly eventsCappedByPayload: number;
  /** Records received but left in the queue because they did not fit an event. */
  readonly recordsLeftInQueue: number;
}

/** One finished (or refused) invocation, as recorded. */
interface InvocationRecord {
  readonly durationMs: number;
  readonly requestBytes: number;
  readonly responseBytes?: number;
  readonly heapUsedBytes?: number;
  readonly externalBytes?: number;
  readonly failure?: InvocationFailureKind;
}

/** Accumulates `FunctionStats` for one function. */
class InvocationStats {
  readonly #functionName: string;
  readonly #isolation: Isolation;
  readonly #memoryMb: number;
  readonly #timeoutMs: number;
  #invocations = 0;
  #coldStarts = 0;
  #maxInitMs = 0;
  #maxDurationMs = 0;
  #maxRequestBytes = 0;
  #maxResponseBytes = 0;
  #peakHeapUsedBytes: number | null = null;
  #peakExternalBytes: number | null = null;
  #heapLimitBytes: number | null = null;
  readonly #failures = new Map<InvocationFailureKind, number>();
  #eventsCappedByPayload = 0;
  #recordsLeftInQueue = 0;

  constructor(options: {
    readonly functionName: string;
    readonly isolation: Isolation;
    readonly memoryMb: number;
    readonly timeoutMs: number;
  }) {
    this.#functionName = options.functionName;
    this.#isolation = options.isolation;
    this.#memoryMb = options.memoryMb;
    this.#timeoutMs = options.timeoutMs;
  }

  recordColdStart(initMs: number, heapLimitBytes: number | null): void {
    this.#coldStarts += 1;
    this.#maxInitMs = Math.max(this.#maxInitMs, initMs);
    if (heapLimitBytes !== null) this.#heapLimitBytes = heapLimitBytes;
  }

  recordInvocation(record: InvocationRecord): void {
    this.#invocations += 1;
    this.#maxDurationMs = Math.max(this.#maxDurationMs, record.durationMs);
    this.#maxRequestBytes = Math.max(this.#maxRequestBytes, record.requestBytes);
    this.#maxResponseBytes = Math.max(this.#maxResponseBytes, record.responseBytes ?? 0);
    if (record.heapUsedBytes !== undefined)
      this.#peakHeapUsedBytes = Math.max(this.#peakHeapUsedBytes ?? 0, record.heapUsedBytes);
    if (record.externalBytes !== undefined)
      this.#peakExternalBytes = Math.max(this.#peakExternalBytes ?? 0, record.externalBytes);
    if (record.failure !== undefined)
      this.#failures.set(record.failure, (this.#failures.get(record.failure) ?? 0) + 1);
  }

  recordCappedEvent(recordsLeftInQueue: number): void {
    this.#eventsCappedByPayload += 1;
    this.#recordsLeftInQueue += recordsLeftInQueue;
  }

  snapshot(): FunctionStats {
    return {
      functionName: this.#functionName,
      isolation: this.#isolation,
      memoryMb: this.#memoryMb,
      timeoutMs: this.#timeoutMs,
      invocations: this.#invocations,
      coldStarts: this.#coldStarts,
      maxInitMs: this.#maxInitMs,
      maxDurationMs: this.#maxDurationMs,
      maxRequestBytes: this.#maxRequestBytes,
      maxResponseBytes: this.#maxResponseBytes,
      peakHeapUsedBytes: this.#peakHeapUsedBytes,
      peakExternalBytes: this.#peakExternalBytes,
      heapLimitBytes: this.#heapLimitBytes,
      failures: Object.fromEntries(
        FAILURE_KINDS.map((kind) => [kind, this.#failures.get(kind) ?? 0]),
      ) as Record<InvocationFailureKind, number>,
      eventsCappedByPayload: this.#eventsCappedByPayload,
      recordsLeftInQueue: this.#recordsLeftInQueue,
    };
  }
}

/**
 * The Lambda limits a function ran into, in words (empty when none): timeouts, memory, payload
 * sizes, and events the event source had to cut short to fit.
 */
const limitsHit = (stats: FunctionStats): string[] => {
  const hits: string[] = [];
  const { failures } = stats;
  if (failures.timeout > 0) hits.push(`${failures.timeout} timed out`);
  if (failures.outOfMemory > 0) hits.push(`${failures.outOfMemory} out of memory`);
  if (failures.requestTooLarge > 0) hits.push(`${failures.requestTooLarge} requests over 6 MB`);
  if (failures.responseTooLarge > 0) hits.push(`${failures.responseTooLarge} responses over 6 MB`);
  if (stats.eventsCappedByPayload > 0)
    hits.push(`${stats.eventsCappedByPayload} SQS events capped by the 6 MB payload`);
  return hits;
};

export { type FunctionStats, type InvocationRecord, InvocationStats, limitsHit };
