import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Destination } from '../../contract/destination.js';
import { EVENT_SOURCE } from '../../contract/events.js';
import { RESULT_DETAIL_TYPE, type ResultV1 } from '../../contract/result.js';
import { deliveryFailureOf } from '../../domain/deliveryFailure.js';
import { InvalidInputError } from '../../domain/errors.js';
import type { BlobStore } from '../../ports/BlobStore.js';
import type {
  DeliveryContext,
  DeliveryReport,
  ResultDeliverer,
} from '../../ports/ResultDeliverer.js';
import { eventEntrySize, MAX_EVENT_BYTES } from './eventEntrySize.js';
import { type PutEventsOptions, putEventsReliably } from './putEventsReliably.js';
import { storeResultPointer } from './resultPointer.js';
import { translateAwsError } from './translateAwsError.js';

/** Constructor options of {@link EventBridgeResultPublisher}. */
interface EventBridgeResultPublisherOptions extends PutEventsOptions {
  readonly client: EventBridgeClient;
  /** batchlane's bucket, for results too large for one event. */
  readonly overflow: BlobStore;
}

type Failure = DeliveryReport['failed'][number];

/**
 * Delivers results as events (source `batchlane`, detail-type `Request Result`, detail the
 * result) on the caller's bus, in calls of ≤ 10 entries / 256 KB. A result whose event would
 * exceed 256 KB is stored in S3 and its `batchlane.result-pointer.v1` is the detail instead.
 */
class EventBridgeResultPublisher implements ResultDeliverer {
  readonly #client: EventBridgeClient;
  readonly #overflow: BlobStore;
  readonly #options: PutEventsOptions;

  constructor(options: EventBridgeResultPublisherOptions) {
    const { client, overflow, ...retry } = options;
    this.#client = client;
    this.#overflow = overflow;
    this.#options = retry;
  }

  async deliver(
    destination: Destination,
    results: readonly ResultV1[],
    context: DeliveryContext,
  ): Promise<DeliveryReport> {
    if (destination.type !== 'eventbridge') {
      throw new InvalidInputError(
        `EventBridgeResultPublisher cannot deliver to ${destination.type}`,
        {
          code: 'wrong_destination',
        },
      );
    }
    const failed: Failure[] = [];
    const entries: PutEventsRequestEntry[] = [];
    const sent: ResultV1[] = [];
    for (const result of results) {
      const entry: PutEventsRequestEntry = {
        EventBusName: destination.event_bus_name,
        Source: EVENT_SOURCE,
        DetailType: RESULT_DETAIL_TYPE,
        Detail: JSON.stringify(result),
      };
      try {
        if (eventEntrySize(entry) > MAX_EVENT_BYTES) {
          const pointer = await storeResultPointer(
            this.#overflow,
            result,
            entry.Detail ?? '',
            context,
          );
          entry.Detail = JSON.stringify(pointer);
        }
        entries.push(entry);
        sent.push(result);
      } catch (error) {
        failed.push(deliveryFailureOf(result, translateAwsError(error)));
      }
    }
    for (const { index, error } of await putEventsReliably(this.#client, entries, this.#options)) {
      const result = sent[index];
      failed.push(
        result === undefined ? { customId: '', error } : deliveryFailureOf(result, error),
      );
    }
    return { failed };
  }
}

export { EventBridgeResultPublisher, type EventBridgeResultPublisherOptions, RESULT_DETAIL_TYPE };
