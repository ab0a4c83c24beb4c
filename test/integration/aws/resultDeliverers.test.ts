import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type EventBridgeStub,
  startEventBridgeStub,
} from '../../../local/stack/emulators/startEventBridgeStub.js';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { EventBridgeResultPublisher } from '../../../shared/adapters/aws/EventBridgeResultPublisher.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { S3ResultWriter } from '../../../shared/adapters/aws/S3ResultWriter.js';
import { SqsResultSender } from '../../../shared/adapters/aws/SqsResultSender.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { NotFoundError, UnavailableError } from '../../../shared/domain/errors.js';
import {
  createBucket,
  createQueue,
  drainQueue,
  emulatorClients,
  largeResult,
  sampleResult,
  uniqueName,
} from './awsTestKit.js';

interface Pointer {
  schema: string;
  custom_id: string;
  status: string;
  s3_uri: string;
}

describe('result deliverers on the emulators', () => {
  let clients: AwsClients;
  let overflowBucket: string;
  let overflow: S3BlobStore;

  const readS3Uri = async (uri: string): Promise<string> => {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (match?.[1] === undefined || match[2] === undefined) throw new Error(`bad uri ${uri}`);
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  };

  beforeAll(async () => {
    clients = emulatorClients();
    overflowBucket = await createBucket(clients, 'artifacts');
    overflow = new S3BlobStore({ client: clients.s3, bucket: overflowBucket });
  });

  afterAll(() => clients.destroy());

  describe('SqsResultSender', () => {
    it('sends one message per result in batches, and oversized results by S3 pointer', async () => {
      const queueUrl = await createQueue(clients, 'results');
      const sender = new SqsResultSender({ client: clients.sqs, overflow });
      const results: ResultV1[] = Array.from({ length: 23 }, (_, n) => sampleResult(`c-${n}`));
      results.push(largeResult('huge', 1_100_000));
      // Three ~400 KB results: fit one by one, but not three in one 1 MiB batch request.
      for (let n = 0; n < 3; n++) results.push(largeResult(`mid-${n}`, 400_000));
      const report = await sender.deliver({ type: 'sqs', queue_url: queueUrl }, results, {
        batchId: 'b-42',
        part: '0001',
      });
      expect(report.failed).toEqual([]);

      const bodies = await drainQueue(clients.sqs, queueUrl, results.length);
      expect(bodies).toHaveLength(results.length);
      const parsed = bodies.map((b) => JSON.parse(b) as ResultV1 | Pointer);
      const byId = new Map(parsed.map((p) => [p.custom_id, p]));
      expect(byId.get('c-7')).toEqual(results[7]);
      expect(byId.get('mid-2')).toMatchObject({ schema: 'batchlane.result.v1' });

      const pointer = byId.get('huge') as Pointer;
      expect(pointer).toMatchObject({
        schema: 'batchlane.result-pointer.v1',
        custom_id: 'huge',
        status: 'succeeded',
      });
      expect(pointer.s3_uri.startsWith(`s3://${overflowBucket}/results/oversize/b-42/0001/`)).toBe(
        true,
      );
      expect(JSON.parse(await readS3Uri(pointer.s3_uri))).toEqual(results[23]);
    });

    it('labels each message with its custom_id and status for consumers of standard queues', async () => {
      const queueUrl = await createQueue(clients, 'labelled');
      const sender = new SqsResultSender({ client: clients.sqs, overflow });
      const report = await sender.deliver(
        { type: 'sqs', queue_url: queueUrl },
        [sampleResult('lab-1'), { ...sampleResult('lab-2'), status: 'errored' }],
        { batchId: 'b-7', part: '1' },
      );
      expect(report.failed).toEqual([]);
      const received = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
        }),
      );
      const labels = (received.Messages ?? [])
        .map((m) => [
          m.MessageAttributes?.['batchlane-custom-id']?.StringValue,
          m.MessageAttributes?.['batchlane-status']?.StringValue,
        ])
        .sort();
      expect(labels).toEqual([
        ['lab-1', 'succeeded'],
        ['lab-2', 'errored'],
      ]);
    });

    it('lets a FIFO queue drop a resend of the same results (exactly once across a crash)', async () => {
      const created = await clients.sqs.send(
        new CreateQueueCommand({
          QueueName: `${uniqueName('results')}.fifo`,
          Attributes: { FifoQueue: 'true' },
        }),
      );
      const queueUrl = created.QueueUrl ?? '';
      const sender = new SqsResultSender({ client: clients.sqs, overflow });
      const first = Array.from({ length: 12 }, (_, n) => sampleResult(`f-${n}`));
      // The rerun builds its results again: same outcomes, a later delivered_at.
      const again = first.map((r) => ({ ...r, delivered_at: '2030-01-01T00:00:00.000Z' }));
      const destination = { type: 'sqs' as const, queue_url: queueUrl };
      expect(
        (await sender.deliver(destination, first, { batchId: 'b', part: '1' })).failed,
      ).toEqual([]);
      expect(
        (await sender.deliver(destination, again, { batchId: 'b', part: '1' })).failed,
      ).toEqual([]);
      const bodies = await drainQueue(clients.sqs, queueUrl, 24);
      const ids = bodies.map((b) => (JSON.parse(b) as ResultV1).custom_id).sort();
      expect(ids).toEqual(first.map((r) => r.custom_id).sort());
    });

    it("keeps two producers' results sharing a custom_id apart on a FIFO queue, and folds each one's resend", async () => {
      const created = await clients.sqs.send(
        new CreateQueueCommand({
          QueueName: `${uniqueName('shared-ids')}.fifo`,
          Attributes: { FifoQueue: 'true' },
        }),
      );
      const queueUrl = created.QueueUrl ?? '';
      const sender = new SqsResultSender({ client: clients.sqs, overflow });
      const destination = { type: 'sqs' as const, queue_url: queueUrl };
      const results = [
        sampleResult('shared-1'),
        { ...sampleResult('shared-1'), producer: 'AIDATEAMB' },
        { ...sampleResult('shared-1'), producer: 'AIDATEAMC' },
      ];
      for (const attempt of [results, results]) {
        expect(
          (await sender.deliver(destination, attempt, { batchId: 'b', part: '1' })).failed,
        ).toEqual([]);
      }
      const bodies = await drainQueue(clients.sqs, queueUrl, 6);
      const producers = bodies.map((b) => (JSON.parse(b) as ResultV1).producer ?? '').sort();
      expect(producers).toEqual(['', 'AIDATEAMB', 'AIDATEAMC']);
    });

    it('reports every result as failed when the queue does not exist', async () => {
      const sender = new SqsResultSender({ client: clients.sqs, overflow });
      // The emulator's own URL form, for a name no queue has.
      const existing = await createQueue(clients, 'present');
      const missing = existing.replace(/[^/]+$/, uniqueName('missing'));
      const report = await sender.deliver(
        { type: 'sqs', queue_url: missing },
        [sampleResult('a'), sampleResult('b')],
        { batchId: 'b-1', part: '1' },
      );
      expect(report.failed.map((f) => f.customId)).toEqual(['a', 'b']);
      expect(report.failed[0]?.error).toBeInstanceOf(NotFoundError);
    });
  });

  describe('S3ResultWriter', () => {
    it('writes one JSONL object per delivery call under the prefix', async () => {
      const bucket = await createBucket(clients, 'caller');
      const writer = new S3ResultWriter({ client: clients.s3 });
      const destination = { type: 's3', bucket, prefix: 'team-a/' } as const;
      const first = Array.from({ length: 40 }, (_, n) => sampleResult(`c-${n}`));
      const rejected = [sampleResult('bad-1', { status: 'rejected', batch_id: null })];
      expect(await writer.deliver(destination, first, { batchId: 'b-7', part: '0001' })).toEqual({
        failed: [],
      });
      expect(await writer.deliver(destination, rejected, { batchId: null, part: 'm-1' })).toEqual({
        failed: [],
      });
      // A redelivery of the same part replaces the object instead of adding one.
      await writer.deliver(destination, first, { batchId: 'b-7', part: '0001' });

      const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([
        'team-a/batchlane/b-7/0001.jsonl',
        'team-a/batchlane/rejected/m-1.jsonl',
      ]);
      const body = await readS3Uri(`s3://${bucket}/team-a/batchlane/b-7/0001.jsonl`);
      const lines = body.trimEnd().split('\n');
      expect(lines).toHaveLength(40);
      expect(JSON.parse(lines[39] ?? '')).toEqual(first[39]);
    });

    it('reports the results as failed when the bucket does not exist', async () => {
      const writer = new S3ResultWriter({ client: clients.s3 });
      const report = await writer.deliver(
        { type: 's3', bucket: 'no-such-caller-bucket', prefix: '' },
        [sampleResult('a')],
        { batchId: 'b', part: '1' },
      );
      expect(report.failed).toHaveLength(1);
      expect(report.failed[0]?.error).toBeInstanceOf(NotFoundError);
    });
  });

  describe('EventBridgeResultPublisher', () => {
    let stub: EventBridgeStub;
    let eventBridge: EventBridgeClient;

    beforeAll(async () => {
      stub = await startEventBridgeStub();
      const env = inject('awsEnv');
      eventBridge = new EventBridgeClient({
        endpoint: stub.endpoint,
        region: env.AWS_REGION,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
    });

    afterAll(async () => {
      eventBridge.destroy();
      await stub.stop();
    });

    it('publishes one Request Result event per result, large ones by S3 pointer', async () => {
      const publisher = new EventBridgeResultPublisher({
        client: eventBridge,
        overflow,
        baseDelayMs: 1,
      });
      const results = Array.from({ length: 12 }, (_, n) => sampleResult(`c-${n}`));
      results.push(largeResult('huge', 300_000));
      const report = await publisher.deliver(
        { type: 'eventbridge', event_bus_name: 'caller-bus' },
        results,
        { batchId: 'b-9', part: '3' },
      );
      expect(report.failed).toEqual([]);
      const events = stub.events();
      expect(events).toHaveLength(13);
      expect(events[0]).toMatchObject({
        source: 'batchlane',
        'detail-type': 'Request Result',
        'event-bus-name': 'caller-bus',
        detail: results[0],
      });
      const pointer = events.find((e) => (e.detail as Pointer).custom_id === 'huge')
        ?.detail as Pointer;
      expect(pointer.schema).toBe('batchlane.result-pointer.v1');
      expect(JSON.parse(await readS3Uri(pointer.s3_uri))).toEqual(results[12]);
    });

    it('reports results whose entries keep failing', async () => {
      stub.clear();
      stub.failNextEntries(100, 'InternalFailure');
      const publisher = new EventBridgeResultPublisher({
        client: eventBridge,
        overflow,
        maxAttempts: 2,
        baseDelayMs: 1,
      });
      const report = await publisher.deliver(
        { type: 'eventbridge', event_bus_name: 'caller-bus' },
        [sampleResult('a'), sampleResult('b')],
        { batchId: 'b', part: '1' },
      );
      expect(report.failed.map((f) => f.customId)).toEqual(['a', 'b']);
      expect(report.failed[0]?.error).toBeInstanceOf(UnavailableError);
      stub.failNextEntries(0);
    });
  });
});
