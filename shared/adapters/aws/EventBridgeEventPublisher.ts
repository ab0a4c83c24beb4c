import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { type BatchlaneEvent, EVENT_SOURCE } from '../../contract/events.js';
import type { EventPublisher } from '../../ports/EventPublisher.js';
import { type PutEventsOptions, putEventsReliably } from './putEventsReliably.js';

/** Constructor options of {@link EventBridgeEventPublisher}. */
interface EventBridgeEventPublisherOptions extends PutEventsOptions {
  readonly client: EventBridgeClient;
  /** Name or ARN of the deployment's event bus. */
  readonly eventBusName: string;
}

/**
 * {@link EventPublisher} on EventBridge (source `batchlane`). Failed entries are retried with
 * backoff a bounded number of times; if any still fail, `publish` throws the first error
 * (retryable or not, as EventBridge said), with the number of failed events in its details.
 */
class EventBridgeEventPublisher implements EventPublisher {
  readonly #client: EventBridgeClient;
  readonly #busName: string;
  readonly #options: PutEventsOptions;

  constructor(options: EventBridgeEventPublisherOptions) {
    const { client, eventBusName, ...retry } = options;
    this.#client = client;
    this.#busName = eventBusName;
    this.#options = retry;
  }

  async publish(events: readonly BatchlaneEvent[]): Promise<void> {
    if (events.length === 0) return;
    const entries: PutEventsRequestEntry[] = events.map((event) => ({
      EventBusName: this.#busName,
      Source: EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
    }));
    const failed = await putEventsReliably(this.#client, entries, this.#options);
    const first = failed[0];
    if (first !== undefined) {
      Object.assign(first.error.details, { failedEvents: failed.length, events: events.length });
      throw first.error;
    }
  }
}

export { EventBridgeEventPublisher, type EventBridgeEventPublisherOptions };
