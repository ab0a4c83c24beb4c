import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  DeleteRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DETAIL_TYPES } from '../shared/contract/events.js';
import { formatUsd } from '../shared/domain/costs/formatCostReport.js';
import { errorMessage } from '../shared/domain/errors.js';

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const str = (value: unknown, fallback = '?'): string =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** `what` padded to a column, so the lines read as a table. */
const line = (what: string, text: string): string => `${what.padEnd(10)} ${text}`;

/** `58 succeeded, 2 errored`: the non-zero counts of an outcome map. */
const counts = (value: unknown): string => {
  if (!isFields(value)) return '';
  const parts = Object.entries(value)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([name, n]) => `${String(n)} ${name}`);
  return parts.length === 0 ? 'no members' : parts.join(', ');
};

const usd = (value: unknown): string => formatUsd(Math.round(num(value) * 1e9));

/**
 * One console line for an event batchlane published (the envelope a rule's SQS target
 * receives), or null for an event that is not batchlane's.
 */
const describeEvent = (event: unknown): string | null => {
  if (!isFields(event) || event['source'] !== 'batchlane') return null;
  const detail = isFields(event['detail']) ? event['detail'] : {};
  switch (event['detail-type']) {
    case DETAIL_TYPES.requestRejected: {
      const reason = isFields(detail['reason']) ? detail['reason'] : {};
      const who =
        typeof detail['custom_id'] === 'string'
          ? `${detail['custom_id']} (message ${str(detail['message_id'])})`
          : `message ${str(detail['message_id'])} (no readable custom_id)`;
      const outcome =
        detail['result_delivered'] === true
          ? 'a rejected result went to its destination'
          : 'no result: only this event';
      return line(
        'rejected',
        `${who}: ${str(reason['code'])}: ${str(reason['message'], '')}; ${outcome}`,
      );
    }
    case DETAIL_TYPES.requestsHeld:
      return line(
        'held',
        `${str(detail['requests'])} ${str(detail['provider'])} ${str(detail['model'])} requests (${str(detail['reason'])}); retried in ${str(detail['retry_in_seconds'])} s`,
      );
    case DETAIL_TYPES.batchSubmitted:
      return line(
        'submitted',
        `${str(detail['batch_id'])} to ${str(detail['provider'])} as ${str(detail['provider_batch_id'])}: ${str(detail['request_count'])} requests`,
      );
    case DETAIL_TYPES.batchEnded: {
      const cost = isFields(detail['cost']) ? detail['cost'] : {};
      return line(
        'ended',
        `${str(detail['batch_id'])} at ${str(detail['provider'])}: ${counts(detail['counts'])}; cost ${usd(cost['usd'])} USD, saved ${usd(cost['saved_usd'])} USD`,
      );
    }
    case DETAIL_TYPES.batchDelivered: {
      const retries = Array.isArray(detail['retry_batch_ids']) ? detail['retry_batch_ids'] : [];
      return line(
        'delivered',
        `${str(detail['batch_id'])}: ${counts(detail['counts'])}${retries.length > 0 ? `; retried in ${retries.join(', ')}` : ''}`,
      );
    }
    case DETAIL_TYPES.requestCompleted:
      return line(
        'completed',
        `${str(detail['custom_id'])}: ${str(detail['status'])} by the ${str(detail['lane'])} lane to ${str(detail['destination_type'])}`,
      );
    default:
      return line('event', str(event['detail-type']));
  }
};

/** The metric values of an EMF document, summed by name (a metric may hold several values). */
const emfValues = (doc: Fields): Map<string, number> => {
  const values = new Map<string, number>();
  const aws = isFields(doc['_aws']) ? doc['_aws'] : {};
  const directives = Array.isArray(aws['CloudWatchMetrics']) ? aws['CloudWatchMetrics'] : [];
  for (const directive of directives) {
    const metrics =
      isFields(directive) && Array.isArray(directive['Metrics']) ? directive['Metrics'] : [];
    for (const metric of metrics) {
      const name = isFields(metric) ? metric['Name'] : undefined;
      if (typeof name !== 'string') continue;
      const value = doc[name];
      const sum = Array.isArray(value)
        ? value.reduce((total: number, v: unknown) => total + num(v), 0)
        : num(value);
      values.set(name, (values.get(name) ?? 0) + sum);
    }
  }
  return values;
};

/**
 * Console lines for one line a function wrote to stdout (what CloudWatch Logs would get):
 * accepted requests from the collector's metrics, sealed batches and parked results from its
 * logs, and every warning or error, in one line each. Other output gives none.
 */
const describeFunctionOutput = (functionName: string, output: string): string[] => {
  let doc: unknown;
  try {
    doc = JSON.parse(output);
  } catch {
    return output.trim() === '' ? [] : [line(functionName, output)];
  }
  if (!isFields(doc)) return [];
  if (isFields(doc['_aws'])) {
    const values = emfValues(doc);
    const accepted = values.get('RequestsAccepted');
    if (accepted === undefined) return [];
    const folded = values.get('RequestsFolded') ?? 0;
    if (accepted === 0 && folded === 0) return [];
    return [
      line(
        'accepted',
        `${accepted} requests${folded > 0 ? ` (${folded} identical resends folded)` : ''}`,
      ),
    ];
  }
  const message = doc['message'];
  if (message === 'batch sealed') {
    return [
      line(
        'sealed',
        `${str(doc['batchId'])}: ${str(doc['requests'])} requests in ${str(doc['parts'])} parts (${str(doc['reason'])})`,
      ),
    ];
  }
  if (message === 'results parked for replay') {
    return [
      line(
        'parked',
        `${str(doc['results'])} results of ${str(doc['batchId'])}: their ${str(doc['destination'])} destination refused them; \`batchlane replay\` sends them again`,
      ),
    ];
  }
  const level = doc['level'];
  if (level === 'WARN' || level === 'ERROR' || level === 'CRITICAL') {
    const error =
      doc['error'] === undefined ? '' : ` (${str(doc['error'], JSON.stringify(doc['error']))})`;
    return [line(functionName, `${String(level).toLowerCase()}: ${str(message)}${error}`)];
  }
  return [];
};

/** A subscription to a bus through a rule with an SQS target, as a user would make one. */
interface EventSubscription {
  stop(): Promise<void>;
}

/**
 * Subscribes to every event on `busName` the way a user does in AWS: a queue, a rule whose
 * pattern selects `source: batchlane`, the queue as its target; then receives from the queue
 * and calls `onEvent` with each envelope until stopped.
 */
const subscribeToEvents = async (options: {
  readonly sqs: SQSClient;
  readonly eventBridge: EventBridgeClient;
  readonly busName: string;
  readonly name: string;
  readonly onEvent: (event: unknown) => void;
  readonly onError: (message: string) => void;
}): Promise<EventSubscription> => {
  const { sqs, eventBridge, busName, name } = options;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const queueUrl = QueueUrl ?? '';
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await eventBridge.send(
    new PutRuleCommand({
      Name: name,
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: ['batchlane'] }),
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: busName,
      Targets: [{ Id: 'console', Arn: Attributes?.['QueueArn'] ?? '' }],
    }),
  );
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        for (const message of Messages) options.onEvent(JSON.parse(message.Body ?? 'null'));
        if (Messages.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: Messages.map((m, i) => ({
                Id: String(i),
                ReceiptHandle: m.ReceiptHandle ?? '',
              })),
            }),
          );
        }
      } catch (error) {
        if (!running) return;
        options.onError(errorMessage(error));
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await eventBridge
        .send(new RemoveTargetsCommand({ Rule: name, EventBusName: busName, Ids: ['console'] }))
        .then(() => eventBridge.send(new DeleteRuleCommand({ Name: name, EventBusName: busName })))
        .catch(() => undefined);
    },
  };
};

export { describeEvent, describeFunctionOutput, type EventSubscription, subscribeToEvents };
