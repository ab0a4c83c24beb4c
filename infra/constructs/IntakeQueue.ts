import type { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QueueWithDeadLetter } from './QueueWithDeadLetter.js';

interface IntakeQueueProps {
  /** Timeout of the collector; the visibility timeout is 6 × this. */
  readonly collectorTimeout: Duration;
  /**
   * Receives of a request message before it moves to the dead-letter queue (SQS
   * `maxReceiveCount`, not provider attempts).
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/**
 * The queue producers send requests to (one JSON request per message), with its
 * dead-letter queue and alarm.
 */
class IntakeQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly deadLetterAlarm: Alarm;
  /** The longest a request message can still arrive after it was sent (one redrive included). */
  public readonly longestMessageLife: Duration;

  public constructor(scope: Construct, id: string, props: IntakeQueueProps) {
    super(scope, id);
    const queues = new QueueWithDeadLetter(this, 'Queues', {
      consumerTimeout: props.collectorTimeout,
      maxReceiveCount: props.maxReceiveCount,
      purpose: 'Producer requests the collector could not accept',
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;
    this.deadLetterAlarm = queues.deadLetterAlarm;
    this.longestMessageLife = queues.longestMessageLife;
  }

  /** Lets a producer (role, user, function) send requests. */
  public grantSend(producer: IGrantable): void {
    this.queue.grantSendMessages(producer);
  }
}

export { IntakeQueue, type IntakeQueueProps };
