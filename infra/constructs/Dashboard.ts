import { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard as CdkDashboard,
  GraphWidget,
  type IWidget,
  MathExpression,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE } from '../../shared/contract/metrics.js';
import type { BatchFunction } from './BatchFunction.js';
import type { Completion } from './Completion.js';
import type { IntakeQueue } from './IntakeQueue.js';
import type { OperationalAlarms } from './OperationalAlarms.js';

interface DashboardProps {
  /** Its backlog, age and dead-letter depth are shown. */
  readonly intakeQueue: IntakeQueue;
  /** Its queue's backlog, age and dead-letter depth are shown. */
  readonly completion: Completion;
  /** Functions whose invocations, errors, throttles and duration are shown. */
  readonly functions: readonly BatchFunction[];
  /** Stuck batches, poller errors and delivery failures: alarms and graphs. */
  readonly operational: OperationalAlarms;
}

const PERIOD = Duration.minutes(1);

/**
 * One CloudWatch dashboard for operators: every alarm's state; stuck batches, poller errors
 * and delivery failures; queue backlog and age, dead-letter depth; and per-function
 * invocations, errors, throttles and duration.
 */
class Dashboard extends Construct {
  public readonly dashboard: CdkDashboard;

  public constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const { intakeQueue, completion, functions, operational } = props;
    const alarms = [
      operational.stuckBatchesAlarm,
      operational.batchesStuckAlarm,
      operational.pollerErrorsAlarm,
      operational.deliveryFailuresAlarm,
      operational.artifactsMissingAlarm,
      operational.resultsGoneAlarm,
      intakeQueue.deadLetterAlarm,
      completion.deadLetterAlarm,
      ...functions.map((fn) => fn.errorsAlarm),
    ];

    const pipelineWidgets: IWidget[] = [
      new GraphWidget({
        title: 'Batches stuck past expiry, per provider',
        // A graph may SEARCH (an alarm may not): every provider shows, enabled later or not.
        left: [
          new MathExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},provider,service} MetricName="${METRIC.BatchesStuckPastExpiry}"', 'Sum', 300)`,
            usingMetrics: {},
            label: '',
            period: Duration.minutes(5),
          }),
        ],
      }),
      new GraphWidget({
        title: 'Batches stuck (Batch Stuck events), per provider',
        left: [
          new MathExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},provider,service} MetricName="${METRIC.BatchesStuck}"', 'Sum', 300)`,
            usingMetrics: {},
            label: '',
            period: Duration.minutes(5),
          }),
        ],
      }),
      new GraphWidget({
        title: 'Batch turnaround (submitted to ended, seconds) per provider: p50 left, p90 right',
        left: [
          new MathExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},provider,service} MetricName="${METRIC.BatchTurnaroundSeconds}"', 'p50', 3600)`,
            usingMetrics: {},
            label: '',
            period: Duration.hours(1),
          }),
        ],
        right: [
          new MathExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},provider,service} MetricName="${METRIC.BatchTurnaroundSeconds}"', 'p90', 3600)`,
            usingMetrics: {},
            label: '',
            period: Duration.hours(1),
          }),
        ],
      }),
      new GraphWidget({
        title: 'Poller errors',
        left: [operational.pollerErrorsMetric],
      }),
      new GraphWidget({
        title: 'Delivery failures (left), results parked per destination type (right)',
        left: [operational.deliveryFailuresMetric],
        right: [
          new MathExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},destination,service} MetricName="${METRIC.ResultsParked}"', 'Sum', 300)`,
            usingMetrics: {},
            label: '',
            period: Duration.minutes(5),
          }),
        ],
      }),
    ];

    const queueWidgets: IWidget[] = [
      new GraphWidget({
        title: 'Queue backlog (visible messages)',
        left: [
          intakeQueue.queue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            label: 'intake',
          }),
          completion.queue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            label: 'completion',
          }),
        ],
      }),
      new GraphWidget({
        title: 'Oldest message age (s)',
        left: [
          intakeQueue.queue.metricApproximateAgeOfOldestMessage({
            period: PERIOD,
            label: 'intake',
          }),
          completion.queue.metricApproximateAgeOfOldestMessage({
            period: PERIOD,
            label: 'completion',
          }),
        ],
      }),
      new GraphWidget({
        title: 'Dead-letter queues',
        left: [
          intakeQueue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            label: 'intake DLQ',
          }),
          completion.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            label: 'completion DLQ',
          }),
        ],
      }),
    ];
    const functionWidgets: IWidget[] = [
      new GraphWidget({
        title: 'Invocations',
        left: functions.map((fn) => fn.function.metricInvocations({ period: PERIOD })),
      }),
      new GraphWidget({
        title: 'Errors and throttles',
        left: functions.map((fn) => fn.function.metricErrors({ period: PERIOD })),
        right: functions.map((fn) => fn.function.metricThrottles({ period: PERIOD })),
      }),
      new GraphWidget({
        title: 'Duration p99 (ms)',
        left: functions.map((fn) =>
          fn.function.metricDuration({ period: PERIOD, statistic: 'p99' }),
        ),
      }),
    ];

    this.dashboard = new CdkDashboard(this, 'Dashboard', {
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 })],
        pipelineWidgets,
        queueWidgets,
        functionWidgets,
      ],
    });
  }
}

export { Dashboard, type DashboardProps };
