import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DestinationSchema } from '../../shared/contract/destination.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/contract/metrics.js';
import type { ProviderName } from '../../shared/contract/providers.js';

/**
 * The metric this construct derives from log lines of the delivery failures the runtime has no
 * metric for (the runtime's own metrics are named in `shared/contract/metrics.ts`).
 */
const DELIVERY_FAILURE_LOGS_METRIC = 'DeliveryFailureLogs';

/** Every destination type, from the contract: the runtime's `destination` dimension values. */
const DESTINATION_TYPES: readonly string[] = DestinationSchema.options.map(
  (option) => option.shape.type.value,
);

/**
 * Log messages (Powertools `message` field) of delivery failures that have no metric: a
 * result without a destination, results that could be neither delivered nor parked, and a
 * `rejected` result the collector could not deliver. Metric filters count these lines; the
 * infra tests check that the runtime still logs each of them.
 */
const COMPLETION_DELIVERY_FAILURE_MESSAGES = [
  'result has no destination',
  'results could not be parked',
] as const;
const COLLECTOR_DELIVERY_FAILURE_MESSAGES = ['rejected result not delivered; will retry'] as const;

interface OperationalAlarmsProps {
  /** Providers whose `BatchesStuckPastExpiry` metric (dimension `provider`) is watched. */
  readonly enabledProviders: readonly ProviderName[];
  /** Log group of the completion function (result deliveries). */
  readonly completionLogGroup: ILogGroup;
  /** Log group of the collector (deliveries of `rejected` results). */
  readonly collectorLogGroup: ILogGroup;
  /**
   * Consecutive 5-minute periods with poller errors before the alarm fires. One failed poll
   * (a provider 5xx) is retried by the next run and already shows on the poller's errors
   * alarm; this one is for errors that persist.
   * @default 3
   */
  readonly pollerErrorPeriods?: number;
}

const PERIOD = Duration.minutes(5);

/**
 * Alarms on batchlane's own signals, beyond the per-function errors and dead-letter alarms:
 * batches running past their provider expiry, per-batch poller errors that persist, and
 * results that could not be delivered (the runtime's metric per destination type, plus log
 * lines of the failures it has no metric for).
 */
class OperationalAlarms extends Construct {
  /** Sum over the enabled providers of `BatchesStuckPastExpiry`. */
  public readonly stuckBatchesMetric: MathExpression;
  public readonly stuckBatchesAlarm: Alarm;
  /** Sum over the enabled providers of `BatchesStuck` (one per `Batch Stuck` event). */
  public readonly batchesStuckMetric: MathExpression;
  public readonly batchesStuckAlarm: Alarm;
  public readonly pollerErrorsMetric: Metric;
  public readonly pollerErrorsAlarm: Alarm;
  /** Ended batches halted because a file their results are routed by is gone. */
  public readonly artifactsMissingMetric: Metric;
  public readonly artifactsMissingAlarm: Alarm;
  /** Ended batches halted because their provider no longer keeps their (unarchived) results. */
  public readonly resultsGoneMetric: Metric;
  public readonly resultsGoneAlarm: Alarm;
  /** `DeliveryFailures` over every destination type, plus the failures counted from logs. */
  public readonly deliveryFailuresMetric: MathExpression;
  public readonly deliveryFailuresAlarm: Alarm;

  public constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);

    // Powertools writes the metric with dimensions {service, provider}; a CloudWatch metric is
    // identified by its full dimension set, and alarms cannot use SEARCH, so each enabled
    // provider's metric is named and the alarm sums them (FILL: a quiet provider is 0).
    const perProviderOf = (metricName: string) =>
      Object.fromEntries(
        props.enabledProviders.map((provider, index) => [
          `m${index}`,
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName,
            dimensionsMap: { service: SERVICE_NAME, provider },
            statistic: 'Sum',
            period: PERIOD,
            label: provider,
          }),
        ]),
      );
    const perProvider = perProviderOf(METRIC.BatchesStuckPastExpiry);
    this.stuckBatchesMetric = new MathExpression({
      expression: Object.keys(perProvider)
        .map((name) => `FILL(${name}, 0)`)
        .join(' + '),
      usingMetrics: perProvider,
      label: 'batches stuck past expiry',
      period: PERIOD,
    });
    this.stuckBatchesAlarm = this.stuckBatchesMetric.createAlarm(this, 'StuckBatchesAlarm', {
      alarmDescription:
        'A provider batch is still running more than an hour past its provider expiry (poller metric BatchesStuckPastExpiry); its results are late. Check the batch in the provider console.',
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const stuckPerProvider = perProviderOf(METRIC.BatchesStuck);
    this.batchesStuckMetric = new MathExpression({
      expression: Object.keys(stuckPerProvider)
        .map((name) => `FILL(${name}, 0)`)
        .join(' + '),
      usingMetrics: stuckPerProvider,
      label: 'batches stuck',
      period: PERIOD,
    });
    this.batchesStuckAlarm = this.batchesStuckMetric.createAlarm(this, 'BatchStuckAlarm', {
      alarmDescription:
        'A submitted batch made no progress for longer than its provider and model p99 turnaround (or the stuck floor), or will pass a request deadline (poller metric BatchesStuck, event Batch Stuck); the stuckBatchPolicy context says what was done. See the Batch Stuck event for the batch.',
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // Emitted with the default dimension set only ({service}).
    this.pollerErrorsMetric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC.PollerErrors,
      dimensionsMap: { service: SERVICE_NAME },
      statistic: 'Sum',
      period: PERIOD,
    });
    const pollerErrorPeriods = props.pollerErrorPeriods ?? 3;
    this.pollerErrorsAlarm = this.pollerErrorsMetric.createAlarm(this, 'PollerErrorsAlarm', {
      alarmDescription: `Batches could not be advanced (submitted, polled or handed to completion) in each of ${pollerErrorPeriods} consecutive 5-minute periods; see the poller's logs ("polling a batch failed").`,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: pollerErrorPeriods,
      datapointsToAlarm: pollerErrorPeriods,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // Emitted with the default dimension set only ({service}).
    this.artifactsMissingMetric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC.BatchArtifactsMissing,
      dimensionsMap: { service: SERVICE_NAME },
      statistic: 'Sum',
      period: PERIOD,
    });
    this.artifactsMissingAlarm = this.artifactsMissingMetric.createAlarm(
      this,
      'ArtifactsMissingAlarm',
      {
        alarmDescription:
          'An ended batch cannot be delivered: a file under batches/ it needs (a member sidecar, a result or input file) is gone (completion metric BatchArtifactsMissing, event Batch Undeliverable). Restore it from its noncurrent version and hand the batch to completion again (docs/deploy.md).',
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
    );

    // Emitted with the default dimension set only ({service}).
    this.resultsGoneMetric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC.BatchResultsGone,
      dimensionsMap: { service: SERVICE_NAME },
      statistic: 'Sum',
      period: PERIOD,
    });
    this.resultsGoneAlarm = this.resultsGoneMetric.createAlarm(this, 'ResultsGoneAlarm', {
      alarmDescription:
        "Results of an ended batch were lost at the provider: it no longer kept them (past its retention, or deleted) when completion came to archive them (completion metric BatchResultsGone; the batch's lastError provider_results_gone, its Batch Ended event results_gone). The requests they answered were sent again in a retry batch, or delivered errored (provider_results_gone) when out of attempts or past their deadline; those sent again run, and are paid for, twice. Find why completion did not run in time (completion logs, dead-letter queue, poller errors).",
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const deliveryFilter = (
      filterId: string,
      logGroup: ILogGroup,
      messages: readonly string[],
    ): MetricFilter =>
      new MetricFilter(this, filterId, {
        logGroup,
        metricNamespace: METRICS_NAMESPACE,
        metricName: DELIVERY_FAILURE_LOGS_METRIC,
        filterPattern: FilterPattern.any(
          ...messages.map((message) => FilterPattern.stringValue('$.message', '=', message)),
        ),
        metricValue: '1',
      });
    deliveryFilter(
      'CompletionDeliveryFailures',
      props.completionLogGroup,
      COMPLETION_DELIVERY_FAILURE_MESSAGES,
    );
    deliveryFilter(
      'CollectorDeliveryFailures',
      props.collectorLogGroup,
      COLLECTOR_DELIVERY_FAILURE_MESSAGES,
    );
    // As with stuck batches: one metric per dimension value, summed, since alarms cannot SEARCH.
    const deliveryMetrics: Record<string, Metric> = {
      logs: new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: DELIVERY_FAILURE_LOGS_METRIC,
        statistic: 'Sum',
        period: PERIOD,
      }),
    };
    for (const [index, destination] of DESTINATION_TYPES.entries()) {
      deliveryMetrics[`d${index}`] = new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC.DeliveryFailures,
        dimensionsMap: { service: SERVICE_NAME, destination },
        statistic: 'Sum',
        period: PERIOD,
      });
    }
    this.deliveryFailuresMetric = new MathExpression({
      expression: Object.keys(deliveryMetrics)
        .map((name) => `FILL(${name}, 0)`)
        .join(' + '),
      usingMetrics: deliveryMetrics,
      label: 'delivery failures',
      period: PERIOD,
    });
    // A refused destination is parked at once or retried only after the completion queue's
    // visibility timeout, so failures do not repeat period after period: one is enough.
    this.deliveryFailuresAlarm = this.deliveryFailuresMetric.createAlarm(
      this,
      'DeliveryFailuresAlarm',
      {
        alarmDescription:
          'Results could not be delivered to their destination (not allow-listed, missing, or refusing). They are retried, or parked under parked/ in the artifacts bucket for `batchlane replay`. See the completion logs ("results not delivered").',
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
    );
  }
}

export {
  COLLECTOR_DELIVERY_FAILURE_MESSAGES,
  COMPLETION_DELIVERY_FAILURE_MESSAGES,
  DELIVERY_FAILURE_LOGS_METRIC,
  DESTINATION_TYPES,
  OperationalAlarms,
  type OperationalAlarmsProps,
};
