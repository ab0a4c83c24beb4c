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
  /**
   * Provider attempts per request: expired, canceled and retryable errored requests go into a
   * later batch until this many were made (`BATCHLANE_MAX_ATTEMPTS`). Not the SQS receive count.
   */
  readonly maxAttempts: number;
  /**
   * How long a run that submits or completes a batch owns it before the poller (or another
   * completion run) takes over (`BATCHLANE_LEASE_SECONDS`); longer than every function timeout.
   */
  readonly lease: Duration;
  /** Whether a per-request event is published for each delivered result (`BATCHLANE_PUBLISH_REQUEST_EVENTS`). */
  readonly publishRequestEvents: boolean;
}

export type { RuntimeSettings };
