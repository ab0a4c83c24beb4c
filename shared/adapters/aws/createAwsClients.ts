import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { observeClientCommands } from './awsCommandObserver.js';

/** The AWS clients batchlane's adapters share within one execution environment. */
interface AwsClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  /** Marshals plain JS values; `undefined` attributes are dropped. */
  readonly documentClient: DynamoDBDocumentClient;
  readonly eventBridge: EventBridgeClient;
  /** Closes every client's sockets (tests, CLI exit). */
  destroy(): void;
}

/** An environment-like object (handlers pass `process.env`). */
type AwsEnv = Readonly<Record<string, string | undefined>>;

const ENDPOINT_VARS = {
  sqs: 'AWS_ENDPOINT_URL_SQS',
  s3: 'AWS_ENDPOINT_URL_S3',
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  eventBridge: 'AWS_ENDPOINT_URL_EVENTBRIDGE',
} as const;

const nonEmpty = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
};

/**
 * Builds every client once (call it at module scope in handlers, not per invocation).
 *
 * Endpoints are read from `env` and passed explicitly to each client: fauxqs returns queue
 * URLs on `sqs.<region>.localhost`, which does not resolve, and the SQS client only keeps
 * its endpoint instead of the queue URL's host when one is configured explicitly. S3 uses
 * path-style addressing whenever an endpoint is set, since `bucket.localhost` does not resolve
 * either. Credentials come from `env` when both keys are in it, otherwise from the default
 * provider chain.
 *
 * With `functionName` (the composition root passes it), the clients report every command to
 * the registered command observer, if any (see `observeAwsCommands`): local runs record which
 * AWS actions each function exercises.
 */
const createAwsClients = (
  env: AwsEnv,
  options: { readonly functionName?: string } = {},
): AwsClients => {
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1';
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  const credentials =
    accessKeyId !== undefined && secretAccessKey !== undefined
      ? { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) }
      : undefined;
  const base = { region, ...(credentials === undefined ? {} : { credentials }) };
  const endpointOf = (name: keyof typeof ENDPOINT_VARS): { endpoint?: string } => {
    const endpoint = nonEmpty(env[ENDPOINT_VARS[name]]);
    return endpoint === undefined ? {} : { endpoint };
  };

  const { functionName } = options;
  const observed = <C>(client: C): C =>
    functionName === undefined ? client : observeClientCommands(client, functionName, region);

  const s3Endpoint = endpointOf('s3');
  const sqs = observed(new SQSClient({ ...base, ...endpointOf('sqs') }));
  const s3 = observed(
    new S3Client({
      ...base,
      ...s3Endpoint,
      ...(s3Endpoint.endpoint === undefined ? {} : { forcePathStyle: true }),
    }),
  );
  // The document client shares this client's middleware stack, so its commands are seen too.
  const dynamodb = observed(new DynamoDBClient({ ...base, ...endpointOf('dynamodb') }));
  const documentClient = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  const eventBridge = observed(new EventBridgeClient({ ...base, ...endpointOf('eventBridge') }));

  return {
    sqs,
    s3,
    dynamodb,
    documentClient,
    eventBridge,
    destroy: () => {
      sqs.destroy();
      s3.destroy();
      documentClient.destroy();
      dynamodb.destroy();
      eventBridge.destroy();
    },
  };
};

export { type AwsClients, type AwsEnv, createAwsClients };
