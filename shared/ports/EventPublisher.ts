import type { BatchlaneEvent } from '../contract/events.js';

/** Publishes batchlane's events (source `batchlane`) to the deployment's event bus. */
interface EventPublisher {
  /** Publishes all events or throws; partial failures are retried inside or thrown. */
  publish(events: readonly BatchlaneEvent[]): Promise<void>;
}

export type { EventPublisher };
