import { isJsonObject } from '../../shared/domain/isJsonObject.js';

/** One message read from the results queue, reduced to what the smoke test checks. */
interface ReceivedResult {
  readonly customId: string;
  readonly status: string;
  /** `error.type` of the result, when it has one (pointers carry none). */
  readonly errorType: string | null;
  /** `error.message` of the result, when it has one. */
  readonly errorMessage: string | null;
}

/** Reads the next messages (long-polling); the caller deletes what it hands back. */
type ResultReceiver = () => Promise<readonly ReceivedResult[]>;

interface WaitOptions {
  /** The custom ids the run sent. */
  readonly expected: readonly string[];
  readonly receive: ResultReceiver;
  /** Milliseconds since an arbitrary origin (injected for tests). */
  readonly now: () => number;
  readonly timeoutMs: number;
  /** Called with a line whenever a result arrives, and every `heartbeatMs` while waiting. */
  readonly progress: (line: string) => void;
  /** How often to say "still waiting" when nothing arrives. @default 60_000 */
  readonly heartbeatMs?: number;
}

interface WaitOutcome {
  /** First result per expected custom id. */
  readonly results: ReadonlyMap<string, ReceivedResult>;
  /** Expected custom ids without a result when the wait ended. */
  readonly missing: readonly string[];
  /** Results for an expected id that already had one (must be 0: exactly one per request). */
  readonly duplicates: number;
  /** Messages for ids this run did not send (another run's, or another producer's). */
  readonly foreign: number;
  readonly timedOut: boolean;
  readonly elapsedMs: number;
}

/**
 * Receives until every expected custom id has a result or the timeout passes. Receiving
 * blocks (SQS long polling), so the timeout is checked between receives and may be
 * overrun by one receive's wait.
 */
const waitForResults = async (options: WaitOptions): Promise<WaitOutcome> => {
  const expected = new Set(options.expected);
  const results = new Map<string, ReceivedResult>();
  const heartbeatMs = options.heartbeatMs ?? 60_000;
  const started = options.now();
  let lastNews = started;
  let duplicates = 0;
  let foreign = 0;
  const done = (): boolean => results.size === expected.size;
  while (!done() && options.now() - started < options.timeoutMs) {
    const received = await options.receive();
    for (const result of received) {
      if (!expected.has(result.customId)) {
        foreign += 1;
        continue;
      }
      if (results.has(result.customId)) {
        duplicates += 1;
        options.progress(`duplicate result for ${result.customId}`);
        continue;
      }
      results.set(result.customId, result);
      lastNews = options.now();
      const detail = result.errorType === null ? '' : ` (${result.errorType})`;
      options.progress(
        `${results.size}/${expected.size} ${result.customId}: ${result.status}${detail}`,
      );
    }
    const now = options.now();
    if (!done() && now - lastNews >= heartbeatMs) {
      lastNews = now;
      options.progress(
        `still waiting: ${results.size}/${expected.size} results after ${Math.round((now - started) / 1000)} s`,
      );
    }
  }
  return {
    results,
    missing: options.expected.filter((id) => !results.has(id)),
    duplicates,
    foreign,
    timedOut: !done(),
    elapsedMs: options.now() - started,
  };
};

/**
 * Reads a results-queue message body: a `batchlane.result.v1` record or, for a result too
 * large for SQS, a `batchlane.result-pointer.v1`. Null for anything else.
 */
const parseResultMessage = (body: string): ReceivedResult | null => {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isJsonObject(value)) return null;
  const { schema, custom_id: customId, status, error } = value;
  if (schema !== 'batchlane.result.v1' && schema !== 'batchlane.result-pointer.v1') return null;
  if (typeof customId !== 'string' || typeof status !== 'string') return null;
  const errorType = isJsonObject(error) && typeof error.type === 'string' ? error.type : null;
  const errorMessage =
    isJsonObject(error) && typeof error.message === 'string' ? error.message : null;
  return { customId, status, errorType, errorMessage };
};

export {
  parseResultMessage,
  type ReceivedResult,
  type ResultReceiver,
  type WaitOptions,
  type WaitOutcome,
  waitForResults,
};
