import type { ObservedAwsCommand } from '../../shared/adapters/aws/awsCommandObserver.js';

/** One IAM authorization a command needs: an action on a resource ARN. */
interface IamRequest {
  readonly action: string;
  readonly resource: string;
}

/** The account the local emulators stand for (fauxqs and DynamoDB Local use it too). */
const LOCAL_ACCOUNT = '000000000000';

type Input = Readonly<Record<string, unknown>>;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** `https://host/<account>/<name>` → the queue's ARN (the URL's host says nothing about it). */
const queueArnOf = (queueUrl: string | undefined, region: string): string => {
  if (queueUrl === undefined) return '*';
  const path = URL.canParse(queueUrl) ? new URL(queueUrl).pathname : queueUrl;
  const [account, name] = path.split('/').filter((part) => part !== '');
  return `arn:aws:sqs:${region}:${account ?? LOCAL_ACCOUNT}:${name ?? '*'}`;
};

/** SQS: batch commands are authorized as their single-message action. */
const SQS_ACTIONS: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

const sqsRequests = (operation: string, input: Input, region: string): IamRequest[] => {
  const action = `sqs:${SQS_ACTIONS[operation] ?? operation}`;
  if (operation === 'GetQueueUrl') {
    const account = text(input['QueueOwnerAWSAccountId']) ?? LOCAL_ACCOUNT;
    return [
      { action, resource: `arn:aws:sqs:${region}:${account}:${text(input['QueueName']) ?? '*'}` },
    ];
  }
  if (operation === 'CreateQueue' || operation === 'ListQueues') {
    return [{ action, resource: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT}:*` }];
  }
  return [{ action, resource: queueArnOf(text(input['QueueUrl']), region) }];
};

/**
 * S3: the actions each object command is authorized by (multipart uploads are PutObject,
 * HeadObject is GetObject, listing is ListBucket on the bucket).
 */
const S3_OBJECT_ACTIONS: Readonly<Record<string, string>> = {
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  PutObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListParts: 's3:ListMultipartUploadParts',
  DeleteObject: 's3:DeleteObject',
  GetObjectAttributes: 's3:GetObjectAttributes',
};
const S3_BUCKET_ACTIONS: Readonly<Record<string, string>> = {
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  HeadBucket: 's3:ListBucket',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  CreateBucket: 's3:CreateBucket',
};

const objectArn = (bucket: string, key: string): string => `arn:aws:s3:::${bucket}/${key}`;

/** `bucket/key` of a CopySource (URL-encoded, optionally with `?versionId=`). */
const copySourceArn = (copySource: string): string => {
  const [path = ''] = copySource.replace(/^\//, '').split('?');
  return `arn:aws:s3:::${decodeURIComponent(path)}`;
};

const s3Requests = (operation: string, input: Input): IamRequest[] => {
  const bucket = text(input['Bucket']) ?? '*';
  const key = text(input['Key']) ?? '*';
  if (operation === 'CopyObject' || operation === 'UploadPartCopy') {
    const source = text(input['CopySource']);
    return [
      { action: 's3:GetObject', resource: source === undefined ? '*' : copySourceArn(source) },
      { action: 's3:PutObject', resource: objectArn(bucket, key) },
    ];
  }
  if (operation === 'DeleteObjects') {
    const objects = (input['Delete'] as { Objects?: { Key?: string }[] } | undefined)?.Objects;
    return (objects ?? []).map((object) => ({
      action: 's3:DeleteObject',
      resource: objectArn(bucket, object.Key ?? '*'),
    }));
  }
  const bucketAction = S3_BUCKET_ACTIONS[operation];
  if (bucketAction !== undefined)
    return [{ action: bucketAction, resource: `arn:aws:s3:::${bucket}` }];
  return [
    { action: S3_OBJECT_ACTIONS[operation] ?? `s3:${operation}`, resource: objectArn(bucket, key) },
  ];
};

const tableArn = (region: string, table: string): string =>
  table.startsWith('arn:') ? table : `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${table}`;

/** TransactWriteItems is authorized item by item, by the action each item performs. */
const TRANSACT_WRITE_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

const dynamoDbRequests = (operation: string, input: Input, region: string): IamRequest[] => {
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    const items = (input['TransactItems'] as Record<string, { TableName?: string }>[]) ?? [];
    return items.flatMap((item) =>
      Object.entries(item).map(([kind, detail]) => ({
        action:
          operation === 'TransactGetItems'
            ? 'dynamodb:GetItem'
            : (TRANSACT_WRITE_ACTIONS[kind] ?? `dynamodb:${kind}`),
        resource: tableArn(region, detail.TableName ?? '*'),
      })),
    );
  }
  if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
    const tables = Object.keys((input['RequestItems'] as Record<string, unknown>) ?? {});
    return tables.map((table) => ({
      action: `dynamodb:${operation}`,
      resource: tableArn(region, table),
    }));
  }
  const table = tableArn(region, text(input['TableName']) ?? '*');
  const index = text(input['IndexName']);
  return [
    {
      action: `dynamodb:${operation}`,
      resource: index === undefined ? table : `${table}/index/${index}`,
    },
  ];
};

const eventBusArn = (region: string, bus: string | undefined): string => {
  const name = bus ?? 'default';
  return name.startsWith('arn:')
    ? name
    : `arn:aws:events:${region}:${LOCAL_ACCOUNT}:event-bus/${name}`;
};

const eventBridgeRequests = (operation: string, input: Input, region: string): IamRequest[] => {
  if (operation === 'PutEvents') {
    const entries = (input['Entries'] as { EventBusName?: string }[] | undefined) ?? [];
    return entries.map((entry) => ({
      action: 'events:PutEvents',
      resource: eventBusArn(region, text(entry.EventBusName)),
    }));
  }
  return [{ action: `events:${operation}`, resource: eventBusArn(region, text(input['Name'])) }];
};

const secretsManagerRequests = (operation: string, input: Input, region: string): IamRequest[] => {
  const id = text(input['SecretId']) ?? '*';
  return [
    {
      action: `secretsmanager:${operation}`,
      resource: id.startsWith('arn:')
        ? id
        : `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT}:secret:${id}-??????`,
    },
  ];
};

/** IAM service prefixes of the SDK clients batchlane's runtimes may build. */
const SERVICE_PREFIXES: Readonly<Record<string, string>> = {
  SQSClient: 'sqs',
  S3Client: 's3',
  DynamoDBClient: 'dynamodb',
  EventBridgeClient: 'events',
  SecretsManagerClient: 'secretsmanager',
  BedrockClient: 'bedrock',
  BedrockRuntimeClient: 'bedrock',
};

/**
 * The IAM authorizations one SDK command needs, as AWS evaluates them: the action (batch and
 * multipart variants under the action that authorizes them) on the resource ARN built from
 * the command's input. A command of a client this table does not know is reported as
 * `<prefix>:<Operation>` on `*`, so a new kind of call fails the grant check with its name
 * instead of passing unseen.
 */
const iamRequestsOf = (command: ObservedAwsCommand): IamRequest[] => {
  const operation = command.commandName.replace(/Command$/, '');
  const { input, region } = command;
  switch (command.clientName) {
    case 'SQSClient':
      return sqsRequests(operation, input, region);
    case 'S3Client':
      return s3Requests(operation, input);
    case 'DynamoDBClient':
      return dynamoDbRequests(operation, input, region);
    case 'EventBridgeClient':
      return eventBridgeRequests(operation, input, region);
    case 'SecretsManagerClient':
      return secretsManagerRequests(operation, input, region);
    default: {
      const prefix =
        SERVICE_PREFIXES[command.clientName] ??
        command.clientName.replace(/Client$/, '').toLowerCase();
      return [{ action: `${prefix}:${operation}`, resource: '*' }];
    }
  }
};

export { type IamRequest, iamRequestsOf, LOCAL_ACCOUNT };
