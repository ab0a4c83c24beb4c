import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BatchlaneClient,
  createBatchlaneClient,
  createResultReader,
  type Delivery,
  type Destination,
  type RequestV1Input,
} from '../../../client/index.js';
import { LOCAL_ACCOUNT_SENDER_ID } from '../../../local/stack/SqsEventSourceMapping.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { type Pipeline, startPipeline } from '../pipeline/pipelineHarness.js';

let pipeline: Pipeline;
let client: BatchlaneClient;
/** SendMessageBatch calls the client made. */
const sendCalls: number[] = [];

beforeAll(async () => {
  // Batches seal after 5 s of filling, so a trickle of requests does not wait a minute.
  pipeline = await startPipeline({ batchMaxAgeSeconds: 5 });
  const { stack, aws } = pipeline;
  // Counts the client's SQS calls by the entries each carried.
  const counting = {
    send: (command: { input: { Entries?: unknown[] } }) => {
      if (command.input.Entries !== undefined) sendCalls.push(command.input.Entries.length);
      return aws.sqs.send(command as never);
    },
  } as unknown as SQSClient;
  client = createBatchlaneClient({
    queueUrl: stack.intakeQueueUrl,
    sqs: counting,
    s3: aws.s3,
    claimCheckBucket: stack.artifactsBucket,
    // Without the local sender attribute, the local stack sees the local account.
    producer: LOCAL_ACCOUNT_SENDER_ID,
    destinationAllowList: '*',
    allowPrivateWebhooks: true,
  });
});

afterAll(async () => {
  client?.destroy();
  await pipeline?.stop();
});

const chat = (
  id: string,
  destination: Destination,
  content = `Classify ${id}`,
): RequestV1Input => ({
  custom_id: id,
  provider: 'openai' as const,
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content }] },
  destination,
  metadata: { id },
});

describe('batchlane/client against the local stack', () => {
  it('sends a body too large for a message as a claim check, which the collector reads and the provider answers', async () => {
    // Prepare: a body over SQS's 1 MiB message limit.
    const big = chat(
      'big-1',
      pipeline.destinations.sqs,
      `Summarise: ${'lorem ipsum '.repeat(100_000)}`,
    );
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(1_048_576);

    // Act
    const outcome = await client.send(big);

    // Assess: sent by claim check, under the producer's claim-check prefix of the stack's bucket...
    expect(outcome).toMatchObject({ status: 'sent', custom_id: 'big-1' });
    if (outcome.status !== 'sent' || outcome.claim_check === null)
      throw new Error('no claim check');
    const key = outcome.claim_check.replace(`s3://${pipeline.stack.artifactsBucket}/`, '');
    expect(key).toMatch(new RegExp(`^claims/${LOCAL_ACCOUNT_SENDER_ID}/[0-9a-f]{64}\\.json$`));
    const head = await pipeline.aws.s3.send(
      new HeadObjectCommand({ Bucket: pipeline.stack.artifactsBucket, Key: key }),
    );
    expect(head.ContentLength).toBeGreaterThan(1_048_576);
    // ...and answered as an inline body would be.
    // Generous: the whole pipeline shares a busy machine's cores.
    await pipeline.waitForResults(['big-1'], 240_000);
    const results = pipeline.resultsFor('big-1');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'succeeded', metadata: { id: 'big-1' } });
    expect(pipeline.events('Request Rejected')).toEqual([]);
  }, 300_000);

  it('sendMany: a few thousand requests in full SendMessageBatch calls, bad ones refused alone, each delivered once', async () => {
    // Prepare
    const ids = Array.from({ length: 3000 }, (_, i) => `many-${i}`);
    const good = ids.map((id) => chat(id, pipeline.destinations.sqs));
    // Wrong on purpose: what a producer reading requests from elsewhere could hold.
    const bad = [
      {
        ...chat('bad-model', pipeline.destinations.sqs),
        body: { model: 'claude-haiku-4-5', messages: [{}] },
      },
      { ...chat('bad-field', pipeline.destinations.sqs), colour: 'blue' },
      chat('bad id', pipeline.destinations.sqs),
    ] as RequestV1Input[];
    const repeat = chat('many-7', pipeline.destinations.sqs);
    const conflicting = chat('many-8', pipeline.destinations.sqs, 'something else');
    const calls = sendCalls.length;

    // Act
    const report = await client.sendMany([
      ...good.slice(0, 1500),
      ...bad,
      repeat,
      conflicting,
      ...good.slice(1500),
    ]);

    // Assess: what was sent and what was refused, per request, in order.
    expect(report).toMatchObject({ sent: 3001, refused: 4, failed: 0 });
    expect(report.outcomes).toHaveLength(3005);
    const refused = report.outcomes.filter((o) => o.status === 'refused');
    expect(refused.map((o) => [o.index, o.custom_id, o.status === 'refused' && o.code])).toEqual([
      [1500, 'bad-model', 'unknown_model'],
      [1501, 'bad-field', 'unknown_field'],
      [1502, null, 'invalid_custom_id'],
      [1504, 'many-8', 'conflicting_resend'],
    ]);
    expect(report.outcomes[1503]).toMatchObject({
      status: 'sent',
      custom_id: 'many-7',
      duplicate_of: 7,
    });
    // Full calls of ten; windows of 1,000 requests each end on their remainder (995 and 5 here).
    const tens = (n: number) => Array.from({ length: n }, () => 10);
    expect(sendCalls.slice(calls)).toEqual([...tens(100), ...tens(99), 5, ...tens(100), 5]);

    await pipeline.waitForResults(ids, 480_000);
    for (const id of ids) expect(pipeline.resultsFor(id), id).toHaveLength(1);
    expect(pipeline.resultsFor('many-8')[0]?.metadata).toEqual({ id: 'many-8' });
    expect(pipeline.events('Request Rejected')).toEqual([]);
    expect(await pipeline.queueDepth(pipeline.stack.intakeDlqUrl)).toBe(0);
  }, 540_000);

  it('reads results from a destination queue and batchlane events from a rule target, typed', async () => {
    // Prepare: a queue of the producer's own for results.
    const { QueueUrl } = await pipeline.aws.sqs.send(
      new CreateQueueCommand({ QueueName: `client-results-${Date.now()}` }),
    );
    const queueUrl = QueueUrl ?? '';
    const ids = ['read-1', 'read-2', 'read-3'];

    // Act
    const report = await client.sendMany(
      ids.map((id) => chat(id, { type: 'sqs', queue_url: queueUrl })),
    );
    expect(report.sent).toBe(3);
    const reader = createResultReader({ sqs: pipeline.aws.sqs, queueUrl });
    const results: ResultV1[] = [];
    for (const deadline = Date.now() + 120_000; results.length < 3 && Date.now() < deadline; ) {
      const received = await reader.receive({ waitSeconds: 1 });
      for (const { delivery } of received) {
        if (delivery.kind !== 'result') throw new Error(`unexpected ${delivery.kind}`);
        results.push(delivery.result);
      }
      await reader.acknowledge(received);
    }

    // Assess
    expect(results.map((r) => r.custom_id).sort()).toEqual(ids);
    expect(
      results.every((r) => r.status === 'succeeded' && r.schema === 'batchlane.result.v1'),
    ).toBe(true);
    const events = createResultReader({
      sqs: pipeline.aws.sqs,
      queueUrl: pipeline.stack.eventsQueueUrl,
    });
    const kinds: Delivery[] = [];
    for (let empty = 0; empty < 2; ) {
      const received = await events.receive({ waitSeconds: 1 });
      if (received.length === 0) empty++;
      kinds.push(...received.map((r) => r.delivery));
      await events.acknowledge(received);
    }
    expect(kinds.filter((d) => d.kind === 'unknown')).toEqual([]);
    const detailTypes = new Set(
      kinds.flatMap((d) => (d.kind === 'event' ? [d.event.detailType] : [])),
    );
    expect(detailTypes).toContain('Batch Submitted');
    expect(detailTypes).toContain('Batch Ended');
  }, 180_000);
});
