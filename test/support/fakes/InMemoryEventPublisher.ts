import { eventEntrySize, MAX_EVENT_BYTES } from '../../../shared/adapters/aws/eventEntrySize.js';
import { type BatchlaneEvent, EVENT_SOURCE } from '../../../shared/contract/events.js';
import {
  type BatchlaneError,
  InvalidInputError,
  UnavailableError,
} from '../../../shared/domain/errors.js';
import type { EventPublisher } from '../../../shared/ports/EventPublisher.js';

/** An event as the bus received it. */
interface PublishedEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
}

/** Entry error codes no retry fixes (as EventBridge's `MalformedDetail`). */
const PERMANENT_CODES: ReadonlySet<string> = new Set(['MalformedDetail', 'InvalidArgument']);

/**
 * {@link EventPublisher} in memory, as the EventBridge publisher behaves: an event over
 * 256 KB is refused (`event_too_large`, not retryable) while the rest of the call is
 * published; entries failed with `failNextEntries` are tried again up to `maxAttempts` times
 * when the failure may pass, and then, or at once when it cannot, `publish` throws the first
 * failure (retryable or not) with the number of failed events. The detail is kept as it would
 * arrive: through JSON.
 */
class InMemoryEventPublisher implements EventPublisher {
  readonly #published: PublishedEvent[] = [];
  readonly #maxAttempts: number;
  #failuresLeft = 0;
  #failureCode = 'InternalFailure';

  constructor(options: { readonly maxAttempts?: number } = {}) {
    this.#maxAttempts = options.maxAttempts ?? 5;
  }

  async publish(events: readonly BatchlaneEvent[]): Promise<void> {
    const failed: { index: number; error: BatchlaneError }[] = [];
    let pending: { index: number; detailType: string; detail: string }[] = [];
    events.forEach((event, index) => {
      const detail = JSON.stringify(event.detail);
      const size = eventEntrySize({
        Source: EVENT_SOURCE,
        DetailType: event.detailType,
        Detail: detail,
      });
      if (size <= MAX_EVENT_BYTES) pending.push({ index, detailType: event.detailType, detail });
      else {
        const error = new InvalidInputError(`event entry of ${size} bytes exceeds 256 KB`, {
          code: 'event_too_large',
          details: { bytes: size },
        });
        failed.push({ index, error });
      }
    });
    // Tries go in rounds, as calls do: the failed entries of one round are the next one's.
    for (let attempt = 1; pending.length > 0; attempt++) {
      const retry: typeof pending = [];
      for (const entry of pending) {
        const error = this.#take(attempt);
        if (error === null) {
          this.#published.push({
            source: EVENT_SOURCE,
            detailType: entry.detailType,
            detail: JSON.parse(entry.detail),
          });
        } else if (error.retryable && attempt < this.#maxAttempts) retry.push(entry);
        else failed.push({ index: entry.index, error });
      }
      pending = retry;
    }
    const first = failed.sort((a, b) => a.index - b.index)[0];
    if (first !== undefined) {
      Object.assign(first.error.details, { failedEvents: failed.length, events: events.length });
      throw first.error;
    }
  }

  /** Every event published so far, oldest first. */
  published(): readonly PublishedEvent[] {
    return [...this.#published];
  }

  /** The published events of one detail type, their details typed as the caller says. */
  detailsOf<Detail>(detailType: BatchlaneEvent['detailType']): Detail[] {
    return this.#published
      .filter((e) => e.detailType === detailType)
      .map((e) => e.detail as Detail);
  }

  /** The next `count` entries sent fail with `errorCode`, as EventBridge does under load. */
  failNextEntries(count: number, errorCode = 'InternalFailure'): void {
    this.#failuresLeft = count;
    this.#failureCode = errorCode;
  }

  /** The injected failure the next entry meets, if one is left. */
  #take(attempt: number): BatchlaneError | null {
    if (this.#failuresLeft === 0) return null;
    this.#failuresLeft -= 1;
    const code = this.#failureCode;
    const options = { code: 'event_rejected', details: { errorCode: code, attempts: attempt } };
    const message = `PutEvents entry failed: ${code}`;
    return PERMANENT_CODES.has(code)
      ? new InvalidInputError(message, options)
      : new UnavailableError(message, options);
  }
}

export { InMemoryEventPublisher, type PublishedEvent };
