import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type SqsQueryShim,
  startSqsQueryShim,
} from '../../../local/stack/emulators/startSqsQueryShim.js';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { createQueue, emulatorClients } from './awsTestKit.js';

/** A query-protocol call as the AWS CLI v1 and botocore 1.29 send it: a form post. */
const query = async (
  endpoint: string,
  params: Record<string, string>,
): Promise<{ status: number; xml: string }> => {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ ...params, Version: '2012-11-05' }).toString(),
  });
  return { status: response.status, xml: await response.text() };
};

/** The text of every `<name>` element, in order. */
const texts = (xml: string, name: string): string[] =>
  [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) =>
    (m[1] ?? '')
      .replaceAll('&quot;', '"')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&amp;', '&'),
  );

describe('local SQS over the query protocol (AWS CLI v1, boto3 before 1.31)', () => {
  let clients: AwsClients;
  let shim: SqsQueryShim;

  beforeAll(async () => {
    clients = emulatorClients();
    shim = await startSqsQueryShim({ target: inject('awsEnv').AWS_ENDPOINT_URL_SQS });
  });

  afterAll(async () => {
    clients.destroy();
    await shim.stop();
  });

  it('sends, receives and deletes messages, with attributes, answering in XML', async () => {
    const queueUrl = await createQueue(clients, 'query');
    const body = JSON.stringify({ custom_id: 'q-1', note: '<&> "quoted"' });
    const sent = await query(shim.endpoint, {
      Action: 'SendMessage',
      QueueUrl: queueUrl,
      MessageBody: body,
      'MessageAttribute.1.Name': 'origin',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'aws-cli-v1',
    });
    expect(sent.status).toBe(200);
    expect(sent.xml).toMatch(
      /^<\?xml version="1.0"\?><SendMessageResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><SendMessageResult>/,
    );
    const [messageId] = texts(sent.xml, 'MessageId');
    expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(texts(sent.xml, 'RequestId')).toHaveLength(1);

    // What a query producer sent, a JSON consumer reads as sent.
    const viaJson = new SQSClient({
      endpoint: shim.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await viaJson.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'second' }));
    viaJson.destroy();

    const received = await query(shim.endpoint, {
      Action: 'ReceiveMessage',
      QueueUrl: queueUrl,
      MaxNumberOfMessages: '10',
      'AttributeName.1': 'All',
      'MessageAttributeName.1': 'All',
    });
    expect(received.status).toBe(200);
    expect(texts(received.xml, 'Message')).toHaveLength(2);
    expect(texts(received.xml, 'Body')).toEqual([body, 'second']);
    expect(texts(received.xml, 'MessageId')[0]).toBe(messageId);
    expect(received.xml).toContain(
      '<MessageAttribute><Name>origin</Name><Value><DataType>String</DataType><StringValue>aws-cli-v1</StringValue></Value></MessageAttribute>',
    );
    expect(received.xml).toMatch(
      /<Attribute><Name>ApproximateReceiveCount<\/Name><Value>1<\/Value><\/Attribute>/,
    );

    const handles = texts(received.xml, 'ReceiptHandle');
    const deleted = await query(shim.endpoint, {
      Action: 'DeleteMessageBatch',
      QueueUrl: queueUrl,
      'DeleteMessageBatchRequestEntry.1.Id': 'a',
      'DeleteMessageBatchRequestEntry.1.ReceiptHandle': handles[0] ?? '',
      'DeleteMessageBatchRequestEntry.2.Id': 'b',
      'DeleteMessageBatchRequestEntry.2.ReceiptHandle': handles[1] ?? '',
    });
    expect(
      texts(deleted.xml, 'DeleteMessageBatchResultEntry').map((e) => texts(e, 'Id')[0]),
    ).toEqual(['a', 'b']);
    const empty = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }),
    );
    expect(empty.Messages ?? []).toEqual([]);
  });

  it('sends a batch and names each entry', async () => {
    const queueUrl = await createQueue(clients, 'query-batch');
    const batch = await query(shim.endpoint, {
      Action: 'SendMessageBatch',
      QueueUrl: queueUrl,
      'SendMessageBatchRequestEntry.1.Id': 'one',
      'SendMessageBatchRequestEntry.1.MessageBody': 'first',
      'SendMessageBatchRequestEntry.2.Id': 'two',
      'SendMessageBatchRequestEntry.2.MessageBody': 'second',
      'SendMessageBatchRequestEntry.2.DelaySeconds': '0',
    });
    expect(batch.status).toBe(200);
    const entries = texts(batch.xml, 'SendMessageBatchResultEntry');
    expect(entries.map((e) => texts(e, 'Id')[0])).toEqual(['one', 'two']);
    const attributes = await query(shim.endpoint, {
      Action: 'GetQueueAttributes',
      QueueUrl: queueUrl,
      'AttributeName.1': 'ApproximateNumberOfMessages',
    });
    expect(attributes.xml).toContain(
      '<GetQueueAttributesResult><Attribute><Name>ApproximateNumberOfMessages</Name><Value>2</Value></Attribute></GetQueueAttributesResult>',
    );
  });

  it('finds queues by name with the URL the JSON clients use, and answers errors as query errors', async () => {
    const queueUrl = await createQueue(clients, 'query-url');
    const name = queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
    const found = await query(shim.endpoint, { Action: 'GetQueueUrl', QueueName: name });
    expect(texts(found.xml, 'QueueUrl')).toEqual([queueUrl]);
    const listed = await query(shim.endpoint, { Action: 'ListQueues', QueueNamePrefix: name });
    expect(texts(listed.xml, 'QueueUrl')).toEqual([queueUrl]);

    const missing = await query(shim.endpoint, {
      Action: 'SendMessage',
      QueueUrl: `${queueUrl}-gone`,
      MessageBody: 'x',
    });
    expect(missing.status).toBe(400);
    expect(missing.xml).toContain('<ErrorResponse');
    expect(texts(missing.xml, 'Code')).toEqual(['AWS.SimpleQueueService.NonExistentQueue']);
    expect(texts(missing.xml, 'Type')).toEqual(['Sender']);
  });
});
