import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_SIZING } from '../../shared/config/functionSizing.js';
import { BatchFunction, type LogLevel } from './BatchFunction.js';
import type { DestinationAllowList } from './DestinationAllowList.js';
import { QueueWithDeadLetter } from './QueueWithDeadLetter.js';
import type { SharedResources } from './SharedResources.js';

const DEFAULT_ENTRY = fileURLToPath(new URL('../../functions/realtime.ts', import.meta.url));

interface RealtimeWorkerProps {
  readonly resources: SharedResources;
  /** Any queue URL the shared configuration loader requires; the worker never sends to it. */
  readonly completionQueue: IQueue;
  /** The caller destinations results may go to (the completion function's list). */
  readonly allowList: DestinationAllowList;
  /**
   * Jobs in flight at once: each holds a provider connection for up to 15 minutes (flex), so
   * this bounds what the realtime lane spends of the provider's synchronous rate limits.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Powertools Logger level.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Handler entry file.
   * @default - `functions/realtime.ts` of this repository
   */
  readonly entry?: string;
}

/**
 * The realtime lane: its queue (with dead-letter queue and alarm) and the worker that serves
 * flex and standard synchronous calls from it, delivering results like the completion
 * function. Its timeout is Lambda's maximum, because OpenAI flex may take up to 15 minutes.
 * Grants: table read/write, bucket read/write, provider secrets read, bus PutEvents, and
 * sending to the allow-listed caller destinations only.
 */
class RealtimeWorker extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly deadLetterAlarm: Alarm;
  public readonly function: BatchFunction;

  public constructor(scope: Construct, id: string, props: RealtimeWorkerProps) {
    super(scope, id);
    const { resources } = props;
    const timeout = Duration.seconds(FUNCTION_SIZING.realtime.timeoutSeconds);
    const queues = new QueueWithDeadLetter(this, 'Queues', {
      consumerTimeout: timeout,
      // The worker answers `errored` on its 4th receive; the DLQ only takes what crashed.
      maxReceiveCount: 6,
      purpose: 'Realtime jobs (flex and standard calls) that could not be served',
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;
    this.deadLetterAlarm = queues.deadLetterAlarm;

    this.function = new BatchFunction(this, 'Function', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: 'batchlane realtime lane: flex and standard calls for short deadlines',
      memorySize: FUNCTION_SIZING.realtime.memoryMb,
      timeout,
      logLevel: props.logLevel,
    });
    this.function.bindBatchPath(resources, 'readWrite');
    this.function.bindCompletionQueueUrlOnly(props.completionQueue);
    this.function.bindDestinations(props.allowList);

    this.function.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 10,
      }),
    );
  }
}

export { RealtimeWorker, type RealtimeWorkerProps };
