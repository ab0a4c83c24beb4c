import type { BatchlaneEvent } from '../contract/events.js';

/** Publishes batchlane's events (source `batchlane`) to the deployment's event bus. */
interface EventPublisher {
  /**
   * Publishes all events or throws; partial failures are retried inside or thrown. An event
   * that can never go out (over 256 KB, refused as malformed) is thrown, not retryable, after
   * the others of the call were published.
   */
  publish(events: readonly BatchlaneEvent[]): Promise<void>;
}

export type { EventPublisher };
