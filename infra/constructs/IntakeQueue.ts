import type { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import {
  AccountPrincipal,
  ArnPrincipal,
  type IGrantable,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
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
  /**
   * Principals (account ids, or role and user ARNs) outside this stack's account allowed to
   * send to the intake queue, through its resource policy. Each still needs an identity
   * policy of its own granting `sqs:SendMessage` on the queue.
   * @default []
   */
  readonly producerPrincipals?: readonly string[];
}

/** An account id, or the ARN of an IAM role or user (any partition). */
const PRINCIPAL = /^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512})$/;

/**
 * The queue producers send requests to (one JSON request per message), with its
 * dead-letter queue and alarm.
 */
class IntakeQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly deadLetterAlarm: Alarm;

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
    for (const [index, principal] of (props.producerPrincipals ?? []).entries()) {
      if (!PRINCIPAL.test(principal)) {
        throw new Error(
          `intake producer principal must be an account id or an IAM role or user ARN, got ${principal}`,
        );
      }
      this.queue.addToResourcePolicy(
        new PolicyStatement({
          sid: `Producer${index}`,
          principals: [
            /^\d{12}$/.test(principal)
              ? new AccountPrincipal(principal)
              : new ArnPrincipal(principal),
          ],
          actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          resources: [this.queue.queueArn],
        }),
      );
    }
  }

  /** Lets a producer (role, user, function) send requests. */
  public grantSend(producer: IGrantable): void {
    this.queue.grantSendMessages(producer);
  }
}

export { IntakeQueue, type IntakeQueueProps };
