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
import type { ProviderName } from '../../shared/contract/providers.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './BatchFunction.js';

/** Metric names the runtime emits (Powertools EMF) or this construct derives from logs. */
const METRIC_NAMES = {
  batchesStuckPastExpiry: 'BatchesStuckPastExpiry',
  pollerErrors: 'PollerErrors',
  deliveryFailures: 'DeliveryFailures',
  resultsParked: 'ResultsParked',
} as const;

/**
 * Log messages (Powertools `message` field) the runtime writes when results could not be
 * delivered: once per destination group that refused (its results are then retried or parked
 * under `parked/` for `batchlane replay`), per result without a destination, and when parking
 * failed too. Not every case has a metric, so metric filters count these lines. The infra
 * tests check that the runtime still logs each of them.
 */
const COMPLETION_DELIVERY_FAILURE_MESSAGES = [
  'results not delivered',
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
 * results that could not be delivered (counted from the logs by metric filters).
 */
class OperationalAlarms extends Construct {
  /** Sum over the enabled providers of `BatchesStuckPastExpiry`. */
  public readonly stuckBatchesMetric: MathExpression;
  public readonly stuckBatchesAlarm: Alarm;
  public readonly pollerErrorsMetric: Metric;
  public readonly pollerErrorsAlarm: Alarm;
  public readonly deliveryFailuresMetric: Metric;
  public readonly deliveryFailuresAlarm: Alarm;

  public constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);

    // Powertools writes the metric with dimensions {service, provider}; a CloudWatch metric is
    // identified by its full dimension set, and alarms cannot use SEARCH, so each enabled
    // provider's metric is named and the alarm sums them (FILL: a quiet provider is 0).
    const perProvider = Object.fromEntries(
      props.enabledProviders.map((provider, index) => [
        `m${index}`,
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: METRIC_NAMES.batchesStuckPastExpiry,
          dimensionsMap: { service: SERVICE_NAME, provider },
          statistic: 'Sum',
          period: PERIOD,
          label: provider,
        }),
      ]),
    );
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

    // Emitted with the default dimension set only ({service}).
    this.pollerErrorsMetric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC_NAMES.pollerErrors,
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

    const deliveryFilter = (
      filterId: string,
      logGroup: ILogGroup,
      messages: readonly string[],
    ): MetricFilter =>
      new MetricFilter(this, filterId, {
        logGroup,
        metricNamespace: METRICS_NAMESPACE,
        metricName: METRIC_NAMES.deliveryFailures,
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
    this.deliveryFailuresMetric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC_NAMES.deliveryFailures,
      statistic: 'Sum',
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
  METRIC_NAMES,
  OperationalAlarms,
  type OperationalAlarmsProps,
};
