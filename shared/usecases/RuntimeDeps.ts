import type { Destination } from '../contract/destination.js';
import type { ProviderRegistry } from '../contract/providerRegistry.js';
import type { ProviderName } from '../contract/providers.js';
import type { Budget, Quotas } from '../domain/admitRequests.js';
import type { LanePolicy } from '../domain/chooseLane.js';
import type { DestinationPolicy } from '../domain/destinationPolicy.js';
import type { PriceTable } from '../domain/pricing/PriceTable.js';
import type { ProducerPolicy } from '../domain/producer.js';
import type { StuckBatchSettings } from '../domain/stuckBatch.js';
import type { BatchProvider } from '../ports/BatchProvider.js';
import type { BlobStore } from '../ports/BlobStore.js';
import type { BudgetReservations } from '../ports/BudgetReservations.js';
import type { ClaimCheckReader } from '../ports/ClaimCheckReader.js';
import type { Clock, IdGenerator } from '../ports/Clock.js';
import type { CompletionNotifier } from '../ports/CompletionNotifier.js';
import type { CostLedger } from '../ports/CostLedger.js';
import type { EventPublisher } from '../ports/EventPublisher.js';
import type { IntakeRequeuer } from '../ports/IntakeRequeuer.js';
import type { Logger, MetricsSink } from '../ports/Logger.js';
import type { RealtimeDispatcher } from '../ports/RealtimeDispatcher.js';
import type { RealtimeProvider } from '../ports/RealtimeProvider.js';
import type { ResultDeliverer } from '../ports/ResultDeliverer.js';
import type { StateStore } from '../ports/StateStore.js';
import type { TurnaroundLog } from '../ports/TurnaroundLog.js';

/** The settings the use cases read (a subset of the deployment configuration). */
interface RuntimeSettings {
  readonly defaultDestination: Destination | null;
  readonly enabledProviders: readonly ProviderName[];
  /** The providers this deployment knows: built in and its own profiles (absent: built in). */
  readonly registry?: ProviderRegistry;
  readonly idempotencyTtlSeconds: number;
  readonly maxRequestsPerBatch: number | null;
  readonly maxBytesPerBatch: number | null;
  readonly pollIntervalSeconds: number;
  /** The longest a batch takes parts before it is sealed (ms); 0: sealed per invocation. */
  readonly batchMaxAgeMs: number;
  /** Most provider attempts per request before its last outcome is delivered as final. */
  readonly maxAttempts: number;
  /** Publish a `Request Completed` event per delivered result. */
  readonly publishRequestEvents: boolean;
  /** How long a submitting or completing run owns a batch before others may take over. */
  readonly leaseMs: number;
  /**
   * Accept webhook destinations on `localhost` or literal private addresses at intake
   * (local development only; the webhook sender applies the same setting at delivery).
   */
  readonly allowPrivateWebhooks: boolean;
  /** What results may be delivered to; a request for anywhere else is refused at intake. */
  readonly destinationPolicy: DestinationPolicy;
  /** The deployment's region: SQS queues and EventBridge buses must be in it. */
  readonly region: string;
  /** batchlane's bucket, whose `claims/` prefix is the only place claim checks are read. */
  readonly claimCheckBucket: string;
  /** Largest claim-check object read, whatever the provider takes (bounds the collector's memory). */
  readonly maxClaimCheckBytes: number;
  /** Prices every outcome (shipped table plus the deployment's overrides). */
  readonly priceTable: PriceTable;
  /** The `metadata` key naming a request's cost tag. */
  readonly costTagKey: string;
  /** How `auto` requests choose between the batch lane and the realtime lane. */
  readonly lanePolicy: LanePolicy;
  /** How close to its deadline an `auto` member of a running batch is escalated (ms). */
  readonly escalateBeforeDeadlineMs: number;
  /** Provider quotas (in flight per model) and spending caps that hold requests back. */
  readonly quotas: Quotas;
  readonly budget: Budget;
  /** How long a request held by a quota waits in the intake queue before it is read again. */
  readonly quotaRetrySeconds: number;
  /** First delay before a realtime job that failed for now is tried again (doubles per try). */
  readonly realtimeRetryBaseSeconds: number;
  /**
   * Fewest requests one provider batch may hold, where the provider has a minimum (Bedrock's
   * records-per-job quota); absent: the provider's documented default.
   */
  readonly minRequestsPerBatch?: Partial<Record<ProviderName, number>>;
  /** Most batches running at once per model, where the provider caps them (Bedrock jobs). */
  readonly maxConcurrentBatchesPerModel?: Partial<Record<ProviderName, number>>;
  /**
   * Most prompt tokens waiting in a provider's batches per model, where the provider caps them
   * (a profile's `limits.maxEnqueuedTokens`): a batch that would pass it waits `open`.
   */
  readonly maxEnqueuedTokensPerModel?: Partial<Record<ProviderName, number>>;
  /**
   * How long past its provider's expiry a batch may still run and end well, where the
   * provider's window is a target it can overrun (Together: up to 72 h of a 24 h window).
   */
  readonly runsPastExpiryMs?: Partial<Record<ProviderName, number>>;
  /**
   * How long a batch below its provider's minimum waits to fill when no member's deadline
   * says sooner (ms; default 24 h); it is then served by the realtime lane.
   */
  readonly belowMinimumWaitMs?: number;
  /** How producers are told apart (see `resolveProducer`). */
  readonly producers: ProducerPolicy;
  /**
   * Providers whose batch ends this deployment is told of (webhooks received, Bedrock's
   * EventBridge rule): the poller looks at their running batches less often.
   */
  readonly pushedProviders?: readonly ProviderName[];
  /** How stuck batches are told and what is done with them (absent: the defaults). */
  readonly stuckBatches?: StuckBatchSettings;
  /**
   * Nano-dollars per token assumed for a model the price table lacks while a budget is set;
   * null: such a request is refused (`unpriced_model`), never admitted at $0.
   */
  readonly unpricedCeilingNanoUsdPerToken: number | null;
}

/** Everything the use cases talk to, passed in by the composition root. */
interface RuntimeDeps {
  readonly store: StateStore;
  readonly blobs: BlobStore;
  /** Reads bodies sent by claim check (`body_s3_uri`). */
  readonly claimChecks: ClaimCheckReader;
  readonly providers: Partial<Record<ProviderName, BatchProvider>>;
  /** How long batches took, per provider and model (absent: not recorded). */
  readonly turnarounds?: TurnaroundLog;
  readonly events: EventPublisher;
  readonly deliverer: ResultDeliverer;
  readonly completion: CompletionNotifier;
  /** Where costs are kept per batch (or request), day, model, lane and tag. */
  readonly costs: CostLedger;
  /** Spending reserved against the budgets (used only while a budget is set). */
  readonly budgets: BudgetReservations;
  /** The realtime lane's queue; null when the deployment has no realtime lane. */
  readonly realtime: RealtimeDispatcher | null;
  /** Synchronous calls (flex and standard), used by the realtime worker. */
  readonly realtimeProviders: Partial<Record<ProviderName, RealtimeProvider>>;
  /** Sends held requests back to the intake queue; null when the queue is not known. */
  readonly requeue: IntakeRequeuer | null;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  readonly settings: RuntimeSettings;
}

export type { RuntimeDeps, RuntimeSettings };
