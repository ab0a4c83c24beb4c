import { SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDbLocalEmulator, startDynamoDbLocal } from './startDynamoDbLocal.js';
import { type EventBridgeStub, startEventBridgeStub } from './startEventBridgeStub.js';
import { type FauxqsEmulator, startFauxqs } from './startFauxqs.js';
import { type SqsQueryShim, startSqsQueryShim } from './startSqsQueryShim.js';

/** The environment that points batchlane's AWS clients at the emulators. */
// A type alias, not an interface, so it can be passed where a `Record<string, string>` env is.
type AwsEmulatorEnv = {
  readonly AWS_ENDPOINT_URL_SQS: string;
  readonly AWS_ENDPOINT_URL_S3: string;
  readonly AWS_ENDPOINT_URL_DYNAMODB: string;
  readonly AWS_ENDPOINT_URL_EVENTBRIDGE: string;
  readonly AWS_REGION: 'us-east-1';
  readonly AWS_ACCESS_KEY_ID: 'test';
  readonly AWS_SECRET_ACCESS_KEY: 'test';
};

/** Options of {@link startAwsEmulators}. */
interface StartAwsEmulatorsOptions {
  readonly fauxqsPort?: number;
  readonly dynamoDbPort?: number;
  readonly eventBridgePort?: number;
  /** DynamoDB Local directory (default: where `npm run setup` unpacks it). */
  readonly dynamoDbDir?: string;
  /** Appends every accepted event to this JSONL file. */
  readonly eventsJsonlPath?: string;
  /** Forwards every accepted event to an SQS queue (e.g. one created on fauxqs). */
  readonly forwardEventsToSqs?: { readonly client: SQSClient; readonly queueUrl: string };
}

/** The running emulators and the environment that reaches them. */
interface AwsEmulators {
  readonly env: AwsEmulatorEnv;
  readonly fauxqs: FauxqsEmulator;
  readonly dynamodb: DynamoDbLocalEmulator;
  readonly eventBridge: EventBridgeStub;
  /**
   * An SQS endpoint in front of fauxqs that also speaks the query protocol (AWS CLI v1,
   * boto3 before 1.31); the one `batchlane dev` gives producers.
   */
  readonly sqsQuery: SqsQueryShim;
  stop(): Promise<void>;
}

/**
 * Starts fauxqs (SQS + S3, in process), DynamoDB Local (a java child) and the EventBridge
 * stub (in process) in parallel: ready in about the 2.5 s DynamoDB Local needs. If one fails,
 * the others are stopped before the error is rethrown.
 */
const startAwsEmulators = async (options: StartAwsEmulatorsOptions = {}): Promise<AwsEmulators> => {
  const started = await Promise.allSettled([
    startFauxqs({ port: options.fauxqsPort ?? 0 }),
    startDynamoDbLocal({
      ...(options.dynamoDbPort === undefined ? {} : { port: options.dynamoDbPort }),
      ...(options.dynamoDbDir === undefined ? {} : { dir: options.dynamoDbDir }),
    }),
    startEventBridgeStub({
      port: options.eventBridgePort ?? 0,
      ...(options.eventsJsonlPath === undefined ? {} : { jsonlPath: options.eventsJsonlPath }),
      ...(options.forwardEventsToSqs === undefined
        ? {}
        : { forwardToSqs: options.forwardEventsToSqs }),
    }),
  ] as const);
  const [fauxqs, dynamodb, eventBridge] = started;
  if (
    fauxqs.status === 'rejected' ||
    dynamodb.status === 'rejected' ||
    eventBridge.status === 'rejected'
  ) {
    await Promise.allSettled(
      started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : Promise.resolve())),
    );
    const failed = started.find((s) => s.status === 'rejected') as PromiseRejectedResult;
    throw failed.reason;
  }
  let sqsQuery: SqsQueryShim;
  try {
    sqsQuery = await startSqsQueryShim({ target: fauxqs.value.endpoint });
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.status === 'fulfilled' && s.value.stop()));
    throw error;
  }
  // Rules' SQS targets are queues on fauxqs, reached the way a producer reaches them.
  const targetsSqs = new SQSClient({
    endpoint: fauxqs.value.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  eventBridge.value.connectSqs(targetsSqs);
  const env: AwsEmulatorEnv = {
    AWS_ENDPOINT_URL_SQS: fauxqs.value.endpoint,
    AWS_ENDPOINT_URL_S3: fauxqs.value.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.value.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.value.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
  return {
    env,
    fauxqs: fauxqs.value,
    dynamodb: dynamodb.value,
    eventBridge: eventBridge.value,
    sqsQuery,
    stop: async () => {
      const results = await Promise.allSettled([
        sqsQuery.stop(),
        eventBridge.value.stop(),
        fauxqs.value.stop(),
        dynamodb.value.stop(),
      ]);
      targetsSqs.destroy();
      const failure = results.find((r) => r.status === 'rejected');
      if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
    },
  };
};

export { type AwsEmulatorEnv, type AwsEmulators, type StartAwsEmulatorsOptions, startAwsEmulators };
