/**
 * batchlane's CloudWatch metrics, declared once: the use cases emit them by these names, and
 * the CDK alarms and dashboard read them by the same names and dimensions.
 */

/** The namespace of batchlane's own metrics (Powertools `namespace`). */
const METRICS_NAMESPACE = 'batchlane';
/**
 * Powertools' service name. Powertools adds it to every metric as the `service` dimension, so
 * alarms on batchlane metrics must name it.
 */
const SERVICE_NAME = 'batchlane';

/** Every metric the runtime emits, with the dimensions it carries besides `service`. */
const METRIC_DIMENSIONS = {
  AcceptanceToDelivery: [],
  /** Ended batches whose results can no longer be routed: a file they need is gone. */
  BatchArtifactsMissing: [],
  BatchFillRatio: ['provider'],
  /**
   * Ended batches some of whose results the provider no longer kept when completion came for
   * them (never archived, past its retention): the requests they answered were sent again in a
   * retry batch, or delivered `errored` (`provider_results_gone`) when out of attempts or time.
   */
  BatchResultsGone: [],
  /** Seconds from submission to the provider's end, one sample per ended batch. */
  BatchTurnaroundSeconds: ['provider'],
  BatchesBelowMinimum: ['provider'],
  BatchesDelivered: ['provider'],
  BatchesEnded: ['provider'],
  BatchesHeld: ['provider'],
  BatchesSealed: ['provider', 'reason'],
  BatchesStuck: ['provider'],
  BatchesStuckPastExpiry: ['provider'],
  BatchesSubmitted: ['provider'],
  BudgetReservationConflicts: [],
  CompletionPauses: [],
  CostMicroUsd: ['provider'],
  DeliveryFailures: ['destination'],
  EscalationsHeld: ['provider'],
  EventPublishFailures: ['detailType'],
  /**
   * Completion queue messages that name none of batchlane's batches (malformed, or a Bedrock job
   * event that is not batchlane's): acknowledged, never retried.
   */
  MalformedCompletionMessages: [],
  /** Realtime queue messages that are no realtime job: acknowledged, never retried. */
  MalformedRealtimeJobs: [],
  MalformedResultLines: [],
  MembersEscalated: ['provider', 'lane'],
  PollerErrors: [],
  ProviderCleanupFailures: ['provider'],
  RealtimeGaveUp: ['provider', 'lane'],
  RealtimeHeld: ['provider'],
  RealtimeRetries: ['provider'],
  RealtimeServed: ['provider', 'lane'],
  RequestsAccepted: [],
  RequestsFolded: [],
  RequestsHeld: ['reason'],
  RequestsRejected: ['reason'],
  RequestsRetried: ['provider'],
  RequestsSubmitted: ['provider'],
  RequestsToRealtimeLane: [],
  ResultsDelivered: ['status'],
  ResultsParked: ['destination'],
  SavedMicroUsd: ['provider'],
  UnknownResultLines: [],
} as const satisfies Record<string, readonly string[]>;

type MetricName = keyof typeof METRIC_DIMENSIONS;

/** Metric names, to emit and to alarm on: `METRIC.PollerErrors` is `'PollerErrors'`. */
const METRIC = Object.fromEntries(Object.keys(METRIC_DIMENSIONS).map((name) => [name, name])) as {
  readonly [K in MetricName]: K;
};

export { METRIC, METRIC_DIMENSIONS, METRICS_NAMESPACE, type MetricName, SERVICE_NAME };
