import type { Duration } from 'aws-cdk-lib';
import type { Destination } from '../../shared/contract/destination.js';
import type { Quotas } from '../../shared/domain/admitRequests.js';
import type { PriceTableInput } from '../../shared/domain/pricing/PriceTable.js';

/**
 * Plain (non-resource) settings passed to every handler through its environment. A setting
 * that may be `undefined` is only set when the deployment gives it, so the runtime's own
 * default applies otherwise.
 */
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
  /** Overrides and additions to the shipped price table, as JSON (`BATCHLANE_PRICE_TABLE`). */
  readonly priceTableOverride: PriceTableInput | undefined;
  /** The request `metadata` key holding the cost tag (`BATCHLANE_COST_TAG_KEY`). */
  readonly costTagKey: string | undefined;
  /** `auto` lane: how long a provider may take to end a batch (`BATCHLANE_AUTO_BATCH_WINDOW_SECONDS`). */
  readonly autoBatchWindow: Duration | undefined;
  /** `auto` lane: room kept on top of the batch window (`BATCHLANE_AUTO_MARGIN_SECONDS`). */
  readonly autoMargin: Duration | undefined;
  /** `auto` lane: how long before its deadline a late batch member is escalated (`BATCHLANE_ESCALATE_BEFORE_DEADLINE_SECONDS`). */
  readonly escalateBeforeDeadline: Duration | undefined;
  /** How long a batch fills before it is sealed (`BATCHLANE_BATCH_MAX_AGE_SECONDS`). */
  readonly batchMaxAge: Duration | undefined;
  /** Requests and prompt tokens in flight per provider and model (`BATCHLANE_QUOTAS`). */
  readonly quotas: Quotas | undefined;
  /** How long a request held by a quota waits before it is read again (`BATCHLANE_QUOTA_RETRY_SECONDS`). */
  readonly quotaRetry: Duration | undefined;
  /** Daily spending cap in USD (`BATCHLANE_BUDGET_DAILY_USD`). */
  readonly budgetDailyUsd: number | undefined;
  /** Monthly spending cap in USD (`BATCHLANE_BUDGET_MONTHLY_USD`). */
  readonly budgetMonthlyUsd: number | undefined;
  /**
   * USD per million tokens an unpriced model is assumed to cost while a budget is set
   * (`BATCHLANE_UNPRICED_CEILING_USD_PER_MTOK`); unset: such requests are refused.
   */
  readonly unpricedCeilingUsdPerMTok: number | undefined;
  /** Producer namespaces by principal pattern (`BATCHLANE_PRODUCER_NAMESPACES`). */
  readonly producerNamespaces: Readonly<Record<string, string>> | undefined;
}

export type { RuntimeSettings };
