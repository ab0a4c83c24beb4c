import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createAwsClients } from '../adapters/aws/createAwsClients.js';
import { ensureStateTable } from '../adapters/aws/stateTable.js';
import { ENV } from '../config/BatchlaneConfig.js';
import { type RunningSimulator, startSimulator } from '../simulator/startSimulator.js';
import { startAwsEmulators } from './emulators/startAwsEmulators.js';
import { ScheduleRunner } from './ScheduleRunner.js';
import { SqsEventSourceMapping } from './SqsEventSourceMapping.js';

interface LocalStackOptions {
  /** Simulated provider processing time per batch (ms). */
  readonly processingMs?: number;
  /** How often the poller runs, and its base poll interval (ms). */
  readonly pollIntervalMs?: number;
  /** Collector event source: records per invocation and batching window. */
  readonly collectorBatchSize?: number;
  readonly collectorBatchingWindowMs?: number;
  /** Visibility timeout of the intake and completion queues (s); failed records return after it. */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message goes to its DLQ. */
  readonly maxReceiveCount?: number;
  /** Caps on requests per provider batch (demo and tests use small batches). */
  readonly maxRequestsPerBatch?: number;
  /** Use real providers when their API keys are in the environment (default true). */
  readonly realProvidersFromEnv?: boolean;
  /** Extra simulator options, e.g. faults. */
  readonly simulator?: Parameters<typeof startSimulator>[0];
  /** Called with a line for the console on notable happenings. */
  readonly log?: (line: string) => void;
}

interface LocalStack {
  readonly env: Record<string, string>;
  readonly intakeQueueUrl: string;
  readonly intakeDlqUrl: string;
  readonly completionQueueUrl: string;
  readonly completionDlqUrl: string;
  readonly resultsQueueUrl: string;
  readonly eventsQueueUrl: string;
  readonly artifactsBucket: string;
  readonly resultsBucket: string;
  readonly tableName: string;
  readonly eventBusName: string;
  readonly resultsEventBusName: string;
  readonly simulator: RunningSimulator | null;
  readonly providers: { readonly anthropic: string; readonly openai: string };
  readonly emulators: Awaited<ReturnType<typeof startAwsEmulators>>;
  /** Runs the poller once now (tests use it instead of waiting for the schedule). */
  pollNow(): Promise<void>;
  stop(): Promise<void>;
}

const createQueue = async (
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> => {
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  const url = created.QueueUrl ?? '';
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return {
    url,
    arn: attrs.Attributes?.['QueueArn'] ?? `arn:aws:sqs:us-east-1:000000000000:${name}`,
  };
};

/**
 * batchlane on one machine: AWS-API emulators on loopback (fauxqs for SQS and S3, DynamoDB
 * Local, a PutEvents endpoint), the provider simulator (or the real providers when their API
 * keys are set), and the very handlers the stack deploys, driven the way AWS drives them.
 */
const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const log = options.log ?? (() => undefined);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const visibility = String(options.visibilityTimeoutSeconds ?? 30);
  const maxReceiveCount = String(options.maxReceiveCount ?? 5);

  const emulators = await startAwsEmulators();
  const aws = createAwsClients(emulators.env);

  const intakeDlq = await createQueue(aws.sqs, 'batchlane-intake-dlq', {});
  const intake = await createQueue(aws.sqs, 'batchlane-intake', {
    VisibilityTimeout: visibility,
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: intakeDlq.arn, maxReceiveCount }),
  });
  const completionDlq = await createQueue(aws.sqs, 'batchlane-completion-dlq', {});
  const completion = await createQueue(aws.sqs, 'batchlane-completion', {
    VisibilityTimeout: visibility,
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: completionDlq.arn, maxReceiveCount }),
  });
  const results = await createQueue(aws.sqs, 'batchlane-demo-results', {});
  const events = await createQueue(aws.sqs, 'batchlane-events', {});
  emulators.eventBridge.forwardTo(aws.sqs, events.url);

  const artifactsBucket = 'batchlane-artifacts';
  const resultsBucket = 'batchlane-demo-results';
  await aws.s3.send(new CreateBucketCommand({ Bucket: artifactsBucket }));
  await aws.s3.send(new CreateBucketCommand({ Bucket: resultsBucket }));
  const tableName = 'batchlane-state';
  await ensureStateTable(aws.dynamodb, tableName);

  const useReal = options.realProvidersFromEnv ?? true;
  const realAnthropic = useReal && (process.env['ANTHROPIC_API_KEY'] ?? '') !== '';
  const realOpenai = useReal && (process.env['OPENAI_API_KEY'] ?? '') !== '';
  const simulator =
    realAnthropic && realOpenai
      ? null
      : await startSimulator({
          port: 0,
          processingMs: options.processingMs ?? 1500,
          ...options.simulator,
        });

  const env: Record<string, string> = {
    ...emulators.env,
    [ENV.tableName]: tableName,
    [ENV.bucketName]: artifactsBucket,
    [ENV.eventBusName]: 'batchlane',
    [ENV.completionQueueUrl]: completion.url,
    [ENV.pollIntervalSeconds]: String(Math.max(1, Math.round(pollIntervalMs / 1000))),
    [ENV.allowPrivateWebhooks]: 'true',
    [ENV.webhookSecret]: 'local-webhook-secret',
    ...(options.maxRequestsPerBatch === undefined
      ? {}
      : { [ENV.maxRequestsPerBatch]: String(options.maxRequestsPerBatch) }),
    [ENV.anthropicApiKey]: realAnthropic ? (process.env['ANTHROPIC_API_KEY'] ?? '') : 'sim-key',
    [ENV.openaiApiKey]: realOpenai ? (process.env['OPENAI_API_KEY'] ?? '') : 'sim-key',
    ...(realAnthropic || simulator === null
      ? {}
      : { [ENV.anthropicBaseUrl]: simulator.anthropicBaseUrl }),
    ...(realOpenai || simulator === null ? {} : { [ENV.openaiBaseUrl]: simulator.openaiBaseUrl }),
    POWERTOOLS_LOG_LEVEL: process.env['POWERTOOLS_LOG_LEVEL'] ?? 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'batchlane',
  };
  // The handlers read their configuration from the environment at import, as in Lambda.
  Object.assign(process.env, env);

  type SqsFn = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  type ScheduledFn = (event: ScheduledEvent, context: Context) => Promise<unknown>;
  const collector = (await import('../../functions/collector.js')) as { handler: SqsFn };
  const completionFn = (await import('../../functions/completion.js')) as { handler: SqsFn };
  const poller = (await import('../../functions/poller.js')) as { handler: ScheduledFn };

  const report =
    (name: string) =>
    ({ records, failed, error }: { records: number; failed: number; error: unknown }): void => {
      if (error !== null)
        log(`${name}: invocation failed (${String(error)}); ${records} records will be retried`);
      else if (failed > 0) log(`${name}: ${failed} of ${records} records handed back for retry`);
    };
  const collectorMapping = new SqsEventSourceMapping({
    client: aws.sqs,
    queueUrl: intake.url,
    queueArn: intake.arn,
    functionName: 'batchlane-collector',
    handler: collector.handler,
    batchSize: options.collectorBatchSize ?? 100,
    batchingWindowMs: options.collectorBatchingWindowMs ?? 1000,
    timeoutMs: 120_000,
    memoryMb: 1024,
    onInvoke: report('collector'),
  });
  const completionMapping = new SqsEventSourceMapping({
    client: aws.sqs,
    queueUrl: completion.url,
    queueArn: completion.arn,
    functionName: 'batchlane-completion',
    handler: completionFn.handler,
    batchSize: 1,
    batchingWindowMs: 0,
    timeoutMs: 300_000,
    memoryMb: 1024,
    onInvoke: report('completion'),
  });
  const pollerSchedule = new ScheduleRunner({
    functionName: 'batchlane-poller',
    handler: poller.handler,
    intervalMs: pollIntervalMs,
    timeoutMs: 120_000,
    onRun: (error) => {
      if (error !== null) log(`poller: ${String(error)}`);
    },
  });
  collectorMapping.start();
  completionMapping.start();
  pollerSchedule.start();

  return {
    env,
    intakeQueueUrl: intake.url,
    intakeDlqUrl: intakeDlq.url,
    completionQueueUrl: completion.url,
    completionDlqUrl: completionDlq.url,
    resultsQueueUrl: results.url,
    eventsQueueUrl: events.url,
    artifactsBucket,
    resultsBucket,
    tableName,
    eventBusName: 'batchlane',
    resultsEventBusName: 'batchlane-demo-results',
    simulator,
    providers: {
      anthropic: realAnthropic ? 'api.anthropic.com' : (simulator?.anthropicBaseUrl ?? ''),
      openai: realOpenai ? 'api.openai.com' : (simulator?.openaiBaseUrl ?? ''),
    },
    emulators,
    pollNow: () => pollerSchedule.tick(),
    stop: async () => {
      await pollerSchedule.stop();
      await collectorMapping.stop();
      await completionMapping.stop();
      await simulator?.stop();
      await emulators.stop();
    },
  };
};

export { type LocalStack, type LocalStackOptions, startLocalStack };
