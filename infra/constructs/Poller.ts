import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_SIZING } from '../../shared/config/functionSizing.js';
import { BatchFunction, type LogLevel } from './BatchFunction.js';
import type { SharedResources } from './SharedResources.js';

const DEFAULT_ENTRY = fileURLToPath(new URL('../../functions/poller.ts', import.meta.url));

interface PollerProps {
  readonly resources: SharedResources;
  /** Queue that receives `{ batch_id }` when a provider batch ends. */
  readonly completionQueue: IQueue;
  /**
   * Function timeout; must be shorter than the schedule's rate so one sweep ends before the
   * next is due.
   * @default Duration.seconds(FUNCTION_SIZING.poller.timeoutSeconds) (50 s)
   */
  readonly timeout?: Duration;
  /**
   * Function memory in MB.
   * @default FUNCTION_SIZING.poller.memoryMb (512)
   */
  readonly memorySize?: number;
  /**
   * Powertools Logger level.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Handler entry file.
   * @default - `functions/poller.ts` of this repository
   */
  readonly entry?: string;
}

/**
 * The poller function, run on a schedule (`resources.settings.pollRate`) with reserved
 * concurrency 1: two sweeps at once would race on the same batches' state.
 * Grants: table read/write, bucket read/write (it submits packed batches, whose input files
 * live there), provider secrets read, completion queue send, bus PutEvents.
 */
class Poller extends Construct {
  public readonly function: BatchFunction;
  public readonly rule: Rule;

  public constructor(scope: Construct, id: string, props: PollerProps) {
    super(scope, id);
    const { resources } = props;
    const rate = resources.settings.pollRate;
    const timeout = props.timeout ?? Duration.seconds(FUNCTION_SIZING.poller.timeoutSeconds);
    if (timeout.toSeconds() >= rate.toSeconds()) {
      throw new Error(
        `poller timeout (${timeout.toSeconds()} s) must be shorter than the poll rate (${rate.toSeconds()} s)`,
      );
    }

    this.function = new BatchFunction(this, 'Function', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description:
        'batchlane poller: tracks provider batch status and hands ended batches to completion',
      memorySize: props.memorySize ?? FUNCTION_SIZING.poller.memoryMb,
      timeout,
      reservedConcurrentExecutions: 1,
      logLevel: props.logLevel,
    });
    this.function.bindBatchPath(resources, 'apart');
    this.function.bindCompletionQueueSend(props.completionQueue);
    // The poller also submits packed batches, reading (and trimming) their input files.
    this.function.bindBucket(resources.bucket);

    // A failed or throttled tick is not retried: the next tick is the retry, and a late
    // retry would only collide with it. Events older than one interval are dropped likewise.
    // Lambda accepts 60 s to 6 h.
    const maxEventAge = Duration.seconds(Math.min(Math.max(60, rate.toSeconds()), 6 * 3600));
    this.function.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge });

    this.rule = new Rule(this, 'Schedule', {
      description: 'Runs the batchlane poller',
      schedule: Schedule.rate(rate),
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 0, maxEventAge })],
    });
  }
}

export { Poller, type PollerProps };
