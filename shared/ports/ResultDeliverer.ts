import type { Destination } from '../contract/destination.js';
import type { ResultV1 } from '../contract/result.js';
import type { BatchlaneError } from '../domain/errors.js';

interface DeliveryContext {
  /** batchlane's batch id, or null for results that never reached a batch (rejections). */
  readonly batchId: string | null;
  /** Distinguishes several deliveries for the same batch and destination (e.g. a chunk number). */
  readonly part: string;
}

interface DeliveryReport {
  /**
   * Results that did not reach the destination, with why. The rest did. Each names its
   * `custom_id` and, when the result has one, its `producer` (see `deliveryFailureOf`): ids
   * are their producer's own, so two results of one delivery may share an id.
   */
  readonly failed: readonly {
    readonly customId: string;
    readonly producer?: string;
    readonly error: BatchlaneError;
  }[];
}

/** Sends results to the caller's destination (SQS, S3, EventBridge, webhook). */
interface ResultDeliverer {
  deliver(
    destination: Destination,
    results: readonly ResultV1[],
    context: DeliveryContext,
  ): Promise<DeliveryReport>;
}

export type { DeliveryContext, DeliveryReport, ResultDeliverer };
