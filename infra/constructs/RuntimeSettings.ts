import type { Duration } from 'aws-cdk-lib';
import type { Destination } from '../../shared/contract/destination.js';

/** Plain (non-resource) settings passed to every handler through its environment. */
interface RuntimeSettings {
  /** How long the idempotency ledger remembers a `custom_id` (`BATCHLANE_IDEMPOTENCY_TTL_SECONDS`). */
  readonly idempotencyTtl: Duration;
  /** Interval of the poller schedule; young batches are polled no more often (`BATCHLANE_POLL_INTERVAL_SECONDS`). */
  readonly pollRate: Duration;
  /** Destination of requests that name none (`BATCHLANE_DEFAULT_DESTINATION`). */
  readonly defaultDestination: Destination | undefined;
}

export type { RuntimeSettings };
