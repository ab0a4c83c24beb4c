import { Duration } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** AWS's guidance for Lambda event sources: visibility timeout at least 6 × the function timeout. */
const VISIBILITY_TIMEOUT_FACTOR = 6;

/** The maximum: operators need time to inspect and redrive. */
const DEAD_LETTER_RETENTION = Duration.days(14);
const DEFAULT_RETENTION = Duration.days(4);

interface QueueWithDeadLetterProps {
  /**
   * Timeout of the function consuming the queue; the visibility timeout is 6 × this, so a
   * message is not redelivered while a (retried) invocation may still hold it.
   */
  readonly consumerTimeout: Duration;
  /**
   * Receives before a message moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long messages wait in the main queue.
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /** Describes what sits in the dead-letter queue, for the alarm's description. */
  readonly purpose: string;
}

const visibilityTimeoutOf = (consumerTimeout: Duration): Duration =>
  Duration.seconds(consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR);

/**
 * The longest a message can still be received after it was sent: kept in the dead-letter
 * queue until its retention (counted from the original send), redriven once, then kept in the
 * queue for its retention again and received within a visibility timeout. Known before the
 * queues are made, so what must outlive a message (the ledger, the artifacts) is checked first.
 */
const longestMessageLifeOf = (
  consumerTimeout: Duration,
  retentionPeriod: Duration = DEFAULT_RETENTION,
): Duration =>
  Duration.seconds(
    DEAD_LETTER_RETENTION.toSeconds() +
      retentionPeriod.toSeconds() +
      visibilityTimeoutOf(consumerTimeout).toSeconds(),
  );

/**
 * An SQS queue with a dead-letter queue, both SSE-SQS encrypted and TLS-only, and an alarm
 * that fires as soon as anything lands in the dead-letter queue.
 */
class QueueWithDeadLetter extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly deadLetterAlarm: Alarm;
  /**
   * The longest a message can still be received after it was sent: kept in the dead-letter
   * queue until its retention (counted from the original send), redriven once, then kept
   * in this queue for its retention again and received within a visibility timeout.
   */
  public readonly longestMessageLife: Duration;

  public constructor(scope: Construct, id: string, props: QueueWithDeadLetterProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new Error(
        `${id}: maxReceiveCount must be an integer from 1 to 1000, got ${maxReceiveCount}`,
      );
    }

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    const visibilityTimeout = visibilityTimeoutOf(props.consumerTimeout);
    const retentionPeriod = props.retentionPeriod ?? DEFAULT_RETENTION;
    this.longestMessageLife = longestMessageLifeOf(props.consumerTimeout, retentionPeriod);
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      retentionPeriod,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });

    this.deadLetterAlarm = this.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      })
      .createAlarm(this, 'DeadLetterAlarm', {
        alarmDescription: `${props.purpose} failed ${maxReceiveCount} times and sit in the dead-letter queue; inspect and redrive.`,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
  }
}

export {
  longestMessageLifeOf,
  QueueWithDeadLetter,
  type QueueWithDeadLetterProps,
  VISIBILITY_TIMEOUT_FACTOR,
};
