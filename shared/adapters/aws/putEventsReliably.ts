import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { type BatchlaneError, InvalidInputError, UnavailableError } from '../../domain/errors.js';
import { awsBackoffMs, sleep as realSleep, type Sleep } from './backoff.js';
import { eventEntrySize, MAX_ENTRIES_PER_CALL, MAX_EVENT_BYTES } from './eventEntrySize.js';
import { translateAwsError } from './translateAwsError.js';

/** Per-entry error codes that no retry can fix. */
const PERMANENT_ENTRY_ERRORS: ReadonlySet<string> = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
  'AccessDeniedException',
  'ValidationException',
]);

/** Groups entry indexes into calls of ≤ 10 entries and ≤ 256 KB. */
const chunkEntries = (entries: readonly PutEventsRequestEntry[]): number[][] => {
  const chunks: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  entries.forEach((entry, index) => {
    const size = eventEntrySize(entry);
    if (current.length === MAX_ENTRIES_PER_CALL || currentBytes + size > MAX_EVENT_BYTES) {
      if (current.length > 0) chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(index);
    currentBytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
};

/** Retry policy for entries EventBridge reports as failed. */
interface PutEventsOptions {
  /** Calls per entry, the first included (default 5). */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly sleep?: Sleep;
}

/** An entry that did not get through, by its index in the input. */
interface FailedEntry {
  readonly index: number;
  readonly error: BatchlaneError;
}

const entryError = (code: string, message: string, attempts: number): BatchlaneError => {
  const options = { code: 'event_rejected', details: { errorCode: code, attempts } };
  return PERMANENT_ENTRY_ERRORS.has(code)
    ? new InvalidInputError(`PutEvents entry failed: ${code}: ${message}`, options)
    : new UnavailableError(`PutEvents entry failed: ${code}: ${message}`, options);
};

/**
 * Sends entries with PutEvents in calls of ≤ 10 entries / 256 KB. Entries EventBridge reports
 * as failed (`FailedEntryCount`) are sent again with backoff, up to `maxAttempts` calls each;
 * entries that still fail, or fail permanently, or are too large, are returned, never dropped.
 * Whole-call errors are retried by the SDK itself and then fail every entry of that call.
 */
const putEventsReliably = async (
  client: EventBridgeClient,
  entries: readonly PutEventsRequestEntry[],
  options: PutEventsOptions = {},
): Promise<FailedEntry[]> => {
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const sleep = options.sleep ?? realSleep;
  const failed: FailedEntry[] = [];
  let pending: number[] = [];
  entries.forEach((entry, index) => {
    const size = eventEntrySize(entry);
    if (size > MAX_EVENT_BYTES) {
      failed.push({
        index,
        error: new InvalidInputError(`event entry of ${size} bytes exceeds 256 KB`, {
          code: 'event_too_large',
          details: { bytes: size },
        }),
      });
    } else {
      pending.push(index);
    }
  });

  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > 1) await sleep(awsBackoffMs(attempt, baseDelayMs, 5_000));
    const retry: number[] = [];
    const subset = pending.map((i) => entries[i] as PutEventsRequestEntry);
    for (const chunk of chunkEntries(subset)) {
      const indexes = chunk.map((c) => pending[c] as number);
      try {
        const response = await client.send(
          new PutEventsCommand({
            Entries: indexes.map((i) => entries[i] as PutEventsRequestEntry),
          }),
        );
        if ((response.FailedEntryCount ?? 0) === 0) continue;
        indexes.forEach((index, position) => {
          const result = response.Entries?.[position];
          const code = result?.ErrorCode;
          if (code === undefined || code === '') return;
          const error = entryError(code, result?.ErrorMessage ?? '', attempt);
          if (error.retryable && attempt < maxAttempts) retry.push(index);
          else failed.push({ index, error });
        });
      } catch (error) {
        const translated = translateAwsError(error, { operation: 'EventBridge.PutEvents' });
        for (const index of indexes) failed.push({ index, error: translated });
      }
    }
    pending = retry;
  }
  return failed.sort((a, b) => a.index - b.index);
};

export { chunkEntries, type FailedEntry, type PutEventsOptions, putEventsReliably };
