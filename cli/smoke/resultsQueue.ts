import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  AllowListSyntaxError,
  parseDestinationPolicy,
  refuseDestination,
} from '../../shared/domain/destinationPolicy.js';
import { parseResultMessage, type ReceivedResult, type ResultReceiver } from './waitForResults.js';

/**
 * Name of the temporary results queue of a stack. Fixed rather than random, so its ARN can be
 * allow-listed once (`destinationQueueArns`) and every later smoke run is deliverable.
 */
const smokeQueueName = (stackName: string): string =>
  `${stackName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60)}-smoke-results`;

/**
 * Whether the deployment's allow-list lets results go to `queueArn`, judged as the functions
 * judge it; null when unknown. A list the functions could not read allows nothing.
 */
const isQueueAllowed = (allowList: readonly string[] | null, queueArn: string): boolean | null => {
  if (allowList === null) return null;
  const [, partition, , region = '', account, name] = queueArn.split(':');
  const host = `sqs.${region}.amazonaws.com${partition === 'aws-cn' ? '.cn' : ''}`;
  try {
    const policy = parseDestinationPolicy(allowList.join(','));
    const queue = { type: 'sqs', queue_url: `https://${host}/${account}/${name}` } as const;
    return refuseDestination(queue, policy, region) === null;
  } catch (error) {
    if (error instanceof AllowListSyntaxError) return false;
    throw error;
  }
};

/** What to tell a user whose results queue the deployment would refuse. */
const allowListAdvice = (stackName: string, queueArn: string): string =>
  [
    `The deployment ${stackName} does not allow results to go to ${queueArn}:`,
    'batchlane only delivers to SQS queues named in its destination allow-list, and refuses',
    'requests for any other queue when they arrive.',
    'Add the queue to the `destinationQueueArns` context and deploy again, e.g.',
    `  npx cdk deploy -c destinationQueueArns=${queueArn} --outputs-file outputs.json`,
    '(keep any ARNs already listed: the value replaces the list), or pass',
    '--results-queue-url with a queue that is already allow-listed.',
  ].join('\n');

/** Creates (or finds, when it exists with the same attributes) the temporary results queue. */
const createResultsQueue = async (sqs: SQSClient, name: string): Promise<string> => {
  try {
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          SqsManagedSseEnabled: 'true',
          // A forgotten queue empties itself within a day.
          MessageRetentionPeriod: String(24 * 3600),
        },
      }),
    );
    if (created.QueueUrl === undefined) throw new Error('CreateQueue returned no QueueUrl');
    return created.QueueUrl;
  } catch (error) {
    if (error instanceof Error && error.name === 'QueueDeletedRecently') {
      throw new Error(
        `the queue ${name} was deleted less than 60 s ago (by the last smoke run); SQS refuses to recreate it before then: try again in a minute`,
      );
    }
    throw error;
  }
};

const deleteResultsQueue = async (sqs: SQSClient, queueUrl: string): Promise<void> => {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
};

interface ReceiverOptions {
  /** Longest wait of one receive (SQS long polling, 0–20 s). @default 20 */
  readonly waitSeconds?: number;
  /**
   * Whether a message is this run's to delete. Others are left in the queue (they reappear
   * after its visibility timeout). @default every message (a queue of this run only)
   */
  readonly owns?: (result: ReceivedResult | null) => boolean;
}

/**
 * A receiver that long-polls `queueUrl`, deletes the messages it owns, and hands back every
 * result it could parse (the wait loop tells this run's from others).
 */
const sqsResultReceiver = (
  sqs: SQSClient,
  queueUrl: string,
  options: ReceiverOptions = {},
): ResultReceiver => {
  const owns = options.owns ?? (() => true);
  return async (): Promise<readonly ReceivedResult[]> => {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: options.waitSeconds ?? 20,
      }),
    );
    const parsed = (response.Messages ?? []).map((message) => ({
      message,
      result: parseResultMessage(message.Body ?? ''),
    }));
    const entries = parsed.flatMap(({ message, result }, index) =>
      message.ReceiptHandle === undefined || !owns(result)
        ? []
        : [{ Id: String(index), ReceiptHandle: message.ReceiptHandle }],
    );
    if (entries.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    }
    return parsed.flatMap(({ result }) => (result === null ? [] : [result]));
  };
};

export {
  allowListAdvice,
  createResultsQueue,
  deleteResultsQueue,
  isQueueAllowed,
  type ReceiverOptions,
  smokeQueueName,
  sqsResultReceiver,
};
