import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRequests } from '../../../cli/sendRequests.js';
import { buildSmokeRequests } from '../../../cli/smoke/buildSmokeRequests.js';
import {
  createResultsQueue,
  deleteResultsQueue,
  sqsResultReceiver,
} from '../../../cli/smoke/resultsQueue.js';
import { waitForResults } from '../../../cli/smoke/waitForResults.js';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { RequestV1Schema } from '../../../shared/contract/request.js';
import {
  createQueue,
  drainQueue,
  emulatorClients,
  sampleResult,
  uniqueName,
} from '../aws/awsTestKit.js';

/** The SQS side of `batchlane smoke` against fauxqs; the pipeline's part is played by hand. */
describe('batchlane smoke: SQS parts', () => {
  let clients: AwsClients;

  beforeAll(() => {
    clients = emulatorClients();
  });

  afterAll(() => clients.destroy());

  it('sends the smoke requests to the intake queue as valid v1 messages', async () => {
    // Prepare
    const intake = await createQueue(clients, 'intake');
    const requests = buildSmokeRequests({
      runId: 'it',
      count: 12,
      providers: ['anthropic', 'openai'],
      resultsQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/results',
    });
    // Act
    const sent = await sendRequests(
      clients.sqs,
      intake,
      requests.map((request) => JSON.stringify(request)),
    );
    // Assess
    expect(sent).toBe(12);
    const bodies = await drainQueue(clients.sqs, intake, 12);
    expect(bodies).toHaveLength(12);
    for (const body of bodies)
      expect(RequestV1Schema.safeParse(JSON.parse(body)).success).toBe(true);
  });

  it('creates the results queue, waits for every result on it, and deletes it', async () => {
    // Prepare
    const queueUrl = await createResultsQueue(clients.sqs, uniqueName('Batchlane-smoke-results'));
    const expected = ['smoke-it-0000', 'smoke-it-0001', 'smoke-it-0002'];
    await sendRequests(clients.sqs, queueUrl, [
      JSON.stringify(sampleResult('smoke-it-0000')),
      JSON.stringify(sampleResult('someone-else')),
      'not a result',
    ]);
    // The last results arrive while the command waits.
    setTimeout(() => {
      void sendRequests(clients.sqs, queueUrl, [
        JSON.stringify(sampleResult('smoke-it-0001')),
        JSON.stringify(sampleResult('smoke-it-0002', { status: 'errored' })),
      ]);
    }, 500);
    const lines: string[] = [];
    // Act
    const outcome = await waitForResults({
      expected,
      receive: sqsResultReceiver(clients.sqs, queueUrl, { waitSeconds: 1 }),
      now: () => Date.now(),
      timeoutMs: 30_000,
      progress: (line) => lines.push(line),
    });
    await deleteResultsQueue(clients.sqs, queueUrl);
    // Assess
    expect(outcome).toMatchObject({ missing: [], duplicates: 0, foreign: 1, timedOut: false });
    expect(outcome.results.get('smoke-it-0002')?.status).toBe('errored');
    expect(lines.at(-1)).toMatch(/^3\/3 /);
    const queueName = new URL(queueUrl).pathname.split('/').at(-1);
    await expect(
      clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName })),
    ).rejects.toThrow();
  });

  it("leaves other runs' messages in a queue it was given", async () => {
    // Prepare
    const queueUrl = await createQueue(clients, 'shared-results');
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(sampleResult('not-mine')),
      }),
    );
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(sampleResult('smoke-mine-0000')),
      }),
    );
    const mine = new Set(['smoke-mine-0000']);
    // Act
    const outcome = await waitForResults({
      expected: [...mine],
      receive: sqsResultReceiver(clients.sqs, queueUrl, {
        waitSeconds: 1,
        owns: (result) => result !== null && mine.has(result.customId),
      }),
      now: () => Date.now(),
      timeoutMs: 30_000,
      progress: () => undefined,
    });
    // Assess
    expect(outcome.missing).toEqual([]);
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    // Only this run's message was deleted; the other consumer's comes back after its
    // visibility timeout.
    expect(
      Number(Attributes?.ApproximateNumberOfMessages) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
    ).toBe(1);
  });
});
