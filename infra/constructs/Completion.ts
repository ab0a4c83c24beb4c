import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_SIZING } from '../../shared/config/functionSizing.js';
import { BatchFunction, type LogLevel } from './BatchFunction.js';
import { DestinationAllowList, type DestinationAllowListProps } from './DestinationAllowList.js';
import { QueueWithDeadLetter } from './QueueWithDeadLetter.js';
import type { SharedResources } from './SharedResources.js';

const DEFAULT_ENTRY = fileURLToPath(new URL('../../functions/completion.ts', import.meta.url));

interface CompletionProps {
  readonly resources: SharedResources;
  /**
   * Caller destinations results may be delivered to; the configured default destination is
   * added automatically. Nothing else is granted.
   * @default - no SQS, S3 or EventBridge destinations (webhooks need no grant)
   */
  readonly destinations?: DestinationAllowListProps;
  /**
   * Receives of one ended batch before it moves to the dead-letter queue. A run that stops
   * early near its timeout and continues on redelivery uses one receive too.
   * @default 10
   */
  readonly maxAttempts?: number;
  /**
   * Ended batches per invocation. One batch can hold 100,000 results, so one per invocation
   * gives each the whole timeout.
   * @default 1
   */
  readonly batchSize?: number;
  /**
   * Function timeout; the completion queue's visibility timeout is 6 × this. Must be shorter
   * than the batch lease (`resources.settings.lease`).
   * @default Completion.DEFAULT_TIMEOUT (15 minutes)
   */
  readonly timeout?: Duration;
  /**
   * Function memory in MB.
   * @default FUNCTION_SIZING.completion.memoryMb (1024)
   */
  readonly memorySize?: number;
  /**
   * Powertools Logger level.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Handler entry file.
   * @default - `functions/completion.ts` of this repository
   */
  readonly entry?: string;
}

/**
 * The completion queue (with dead-letter queue and alarm) and the completion function that
 * consumes it: it streams an ended batch's results, delivers each to its destination and
 * publishes events. Grants: table read/write, bucket read/write, provider secrets read, bus
 * PutEvents, sending to its own queue, and sending to the allow-listed caller destinations only.
 */
class Completion extends Construct {
  /** Kept in one place so the stack can derive the batch lease from it. */
  public static readonly DEFAULT_TIMEOUT = Duration.seconds(
    FUNCTION_SIZING.completion.timeoutSeconds,
  );

  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly deadLetterAlarm: Alarm;
  public readonly function: BatchFunction;
  public readonly eventSource: SqsEventSource;
  public readonly allowList: DestinationAllowList;

  public constructor(scope: Construct, id: string, props: CompletionProps) {
    super(scope, id);
    const { resources } = props;
    const timeout = props.timeout ?? Completion.DEFAULT_TIMEOUT;
    if (timeout.toSeconds() >= resources.settings.lease.toSeconds()) {
      throw new Error(
        `completion timeout (${timeout.toSeconds()} s) must be shorter than the batch lease (${resources.settings.lease.toSeconds()} s)`,
      );
    }

    const queues = new QueueWithDeadLetter(this, 'Queues', {
      consumerTimeout: timeout,
      maxReceiveCount: props.maxAttempts ?? 10,
      purpose: 'Ended batches whose results could not be delivered',
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;
    this.deadLetterAlarm = queues.deadLetterAlarm;

    this.function = new BatchFunction(this, 'Function', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: 'batchlane completion: delivers the results of ended batches',
      memorySize: props.memorySize ?? FUNCTION_SIZING.completion.memoryMb,
      timeout,
      logLevel: props.logLevel,
    });
    this.function.bindBatchPath(resources, 'readWrite');
    // Completion sends to its own queue: a run that pauses at a checkpoint near its timeout
    // hands the batch on, and a refused submission is queued for the ended-batch path.
    this.function.bindCompletionQueueSend(this.queue);

    this.allowList = new DestinationAllowList(props.destinations).including(
      resources.settings.defaultDestination,
    );
    this.function.bindDestinations(this.allowList);

    this.eventSource = new SqsEventSource(this.queue, {
      batchSize: props.batchSize ?? 1,
      // A batch that failed is retried alone; the others are not delivered twice.
      reportBatchItemFailures: true,
    });
    this.function.function.addEventSource(this.eventSource);
  }
}

export { Completion, type CompletionProps };
