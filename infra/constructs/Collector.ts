import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/BatchlaneConfig.js';
import { FUNCTION_SIZING } from '../../shared/config/functionSizing.js';
import { BatchFunction, type LogLevel } from './BatchFunction.js';
import type { DestinationAllowList } from './DestinationAllowList.js';
import type { SharedResources } from './SharedResources.js';

const DEFAULT_ENTRY = fileURLToPath(new URL('../../functions/collector.ts', import.meta.url));

interface CollectorProps {
  readonly resources: SharedResources;
  /** The intake queue the collector consumes. */
  readonly intakeQueue: IQueue;
  /**
   * The completion queue. The collector sends to it when a provider refuses a whole batch at
   * submission: the batch ends right there and completion delivers its members as errored.
   */
  readonly completionQueue: IQueue;
  /**
   * The caller destinations results may go to. The collector delivers the `rejected` result
   * of a refused request itself, so it needs the same allow-list (and grants) as completion;
   * without it the runtime would read "no allow-list" as "anything goes".
   */
  readonly allowList: DestinationAllowList;
  /**
   * Most requests handed to one invocation (1–10,000). Bigger batches mean fewer, fuller
   * provider batches.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers messages before invoking with fewer than `batchSize` (0–300 s;
   * at least 1 s when `batchSize` > 10).
   * @default Duration.seconds(20)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most collector invocations at once (the SQS event source's `maxConcurrency`, 2–1000).
   * Bounds what the collectors together ask of DynamoDB, S3 and the providers, and how many
   * race for one budget at a time.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Function timeout; the intake queue's visibility timeout must be at least 6 × this.
   * @default Collector.DEFAULT_TIMEOUT (2 minutes)
   */
  readonly timeout?: Duration;
  /**
   * Function memory in MB.
   * @default FUNCTION_SIZING.collector.memoryMb (1024)
   */
  readonly memorySize?: number;
  /**
   * Powertools Logger level.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Handler entry file.
   * @default - `functions/collector.ts` of this repository
   */
  readonly entry?: string;
}

/**
 * The collector function: consumes the intake queue with partial batch responses, packs
 * requests into provider batch files in the artifacts bucket and submits them.
 * Grants: table read/write, bucket writes and reads of `claims/` only, bus PutEvents, provider secrets read,
 * intake queue consume, completion queue send, and sending to the allow-listed caller
 * destinations (rejected results).
 */
class Collector extends Construct {
  /** Kept in one place so the intake queue's visibility timeout can be derived from it. */
  public static readonly DEFAULT_TIMEOUT = Duration.seconds(
    FUNCTION_SIZING.collector.timeoutSeconds,
  );

  public readonly function: BatchFunction;
  public readonly eventSource: SqsEventSource;

  public constructor(scope: Construct, id: string, props: CollectorProps) {
    super(scope, id);
    const batchSize = props.batchSize ?? 100;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new Error(`collector batchSize must be an integer from 1 to 10000, got ${batchSize}`);
    }
    const maxConcurrency = props.maxConcurrency ?? 10;
    // Lambda's own bounds for an SQS event source's maximum concurrency.
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) {
      throw new Error(
        `collector maxConcurrency must be an integer from 2 to 1000, got ${maxConcurrency}`,
      );
    }
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(20);
    // Lambda only accepts batches above 10 messages with a batching window.
    if (batchSize > 10 && maxBatchingWindow.toSeconds() < 1) {
      throw new Error(
        'collector maxBatchingWindow must be at least 1 s when batchSize is above 10',
      );
    }

    this.function = new BatchFunction(this, 'Function', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description:
        'batchlane collector: packs intake requests into provider batches and submits them',
      memorySize: props.memorySize ?? FUNCTION_SIZING.collector.memoryMb,
      timeout: props.timeout ?? Collector.DEFAULT_TIMEOUT,
      logLevel: props.logLevel,
    });
    const { resources } = props;
    this.function.bindBatchPath(resources, 'writesAndClaimReads');
    this.function.bindCompletionQueueSend(props.completionQueue);
    this.function.bindDestinations(props.allowList);
    // The collector sends held requests back to the intake queue itself, so SQS records its
    // role as their sender: the collector believes a message's producer attribute only from
    // its own role (the role's unique id, what SenderId carries before the session name).
    this.function.function.addEnvironment(ENV.selfPrincipals, this.function.role.roleId);

    this.eventSource = new SqsEventSource(props.intakeQueue, {
      batchSize,
      maxBatchingWindow,
      maxConcurrency,
      // Only the failed records are retried; accepted ones must not be packed twice.
      reportBatchItemFailures: true,
    });
    this.function.function.addEventSource(this.eventSource);
  }
}

export { Collector, type CollectorProps };
