import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Webhook } from 'standardwebhooks';
import { inject } from 'vitest';
import { startEventBridgeStub } from '../../../local/stack/emulators/startEventBridgeStub.js';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { EventBridgeResultPublisher } from '../../../shared/adapters/aws/EventBridgeResultPublisher.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { S3ResultWriter } from '../../../shared/adapters/aws/S3ResultWriter.js';
import { SqsResultSender } from '../../../shared/adapters/aws/SqsResultSender.js';
import { WebhookResultSender } from '../../../shared/adapters/aws/WebhookResultSender.js';
import { StaticWebhookSecrets } from '../../../shared/adapters/system/StaticWebhookSecrets.js';
import type { Destination } from '../../../shared/contract/destination.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { describeResultDelivererContract } from '../../contract/ResultDelivererContract.js';
import { createBucket, createQueue, drainQueue, emulatorClients } from '../aws/awsTestKit.js';

/** A delivered body: the result itself, or the pointer to where it was stored. */
const followPointer = async (clients: AwsClients, body: string): Promise<ResultV1> => {
  const parsed = JSON.parse(body) as { schema: string; s3_uri?: string };
  if (parsed.schema !== 'batchlane.result-pointer.v1') return parsed as ResultV1;
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(parsed.s3_uri ?? '');
  if (match?.[1] === undefined || match[2] === undefined) throw new Error(`bad pointer ${body}`);
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
  return JSON.parse((await object.Body?.transformToString('utf8')) ?? '') as ResultV1;
};

/** Clients on the emulators, and batchlane's own bucket for oversized results. */
const awsSide = async () => {
  const clients = emulatorClients();
  const overflow = new S3BlobStore({
    client: clients.s3,
    bucket: await createBucket(clients, 'contract-overflow'),
  });
  return { clients, overflow };
};

describeResultDelivererContract('SqsResultSender on fauxqs', async () => {
  const { clients, overflow } = await awsSide();
  const sender = new SqsResultSender({ client: clients.sqs, overflow });
  return {
    port: sender,
    destination: async () => ({ type: 'sqs', queue_url: await createQueue(clients, 'results') }),
    received: async (destination) => {
      if (destination.type !== 'sqs') throw new Error('not an SQS destination');
      const bodies = await drainQueue(clients.sqs, destination.queue_url, Number.MAX_SAFE_INTEGER);
      return Promise.all(bodies.map((body) => followPointer(clients, body)));
    },
    undeliverable: async () => {
      const queueUrl = await createQueue(clients, 'results');
      // The same account and endpoint, a queue name nobody created.
      const missing = queueUrl.replace(/[^/]+$/, `missing-${randomUUID().slice(0, 8)}`);
      return { port: sender, destination: { type: 'sqs', queue_url: missing } };
    },
    close: () => clients.destroy(),
  };
});

describeResultDelivererContract('S3ResultWriter on fauxqs', async () => {
  const { clients } = await awsSide();
  const writer = new S3ResultWriter({ client: clients.s3 });
  return {
    port: writer,
    destination: async () => ({
      type: 's3',
      bucket: await createBucket(clients, 'results'),
      prefix: 'out/',
    }),
    received: async (destination) => {
      if (destination.type !== 's3') throw new Error('not an S3 destination');
      const listed = await clients.s3.send(
        new ListObjectsV2Command({ Bucket: destination.bucket, Prefix: destination.prefix }),
      );
      const results: ResultV1[] = [];
      for (const object of listed.Contents ?? []) {
        const got = await clients.s3.send(
          new GetObjectCommand({ Bucket: destination.bucket, Key: object.Key }),
        );
        const body = (await got.Body?.transformToString('utf8')) ?? '';
        for (const line of body.split('\n')) if (line !== '') results.push(JSON.parse(line));
      }
      return results;
    },
    undeliverable: async () => ({
      port: writer,
      destination: { type: 's3', bucket: `missing-${randomUUID().slice(0, 8)}`, prefix: '' },
    }),
    close: () => clients.destroy(),
  };
});

describeResultDelivererContract('EventBridgeResultPublisher on the local EventBridge', async () => {
  const { clients, overflow } = await awsSide();
  const stub = await startEventBridgeStub();
  const env = inject('awsEnv');
  const credentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
  };
  const client = new EventBridgeClient({
    endpoint: stub.endpoint,
    region: env.AWS_REGION,
    credentials,
  });
  // Nothing listens on port 9 of loopback: every call is refused at once.
  const dead = new EventBridgeClient({
    endpoint: 'http://127.0.0.1:9',
    region: env.AWS_REGION,
    credentials,
    maxAttempts: 1,
  });
  let buses = 0;
  return {
    port: new EventBridgeResultPublisher({ client, overflow, baseDelayMs: 1 }),
    destination: async () => ({ type: 'eventbridge', event_bus_name: `results-${++buses}` }),
    received: async (destination) => {
      if (destination.type !== 'eventbridge') throw new Error('not an EventBridge destination');
      const events = stub
        .events()
        .filter((e) => e['event-bus-name'] === destination.event_bus_name)
        .filter((e) => e.source === 'batchlane' && e['detail-type'] === 'Request Result');
      return Promise.all(events.map((e) => followPointer(clients, JSON.stringify(e.detail))));
    },
    undeliverable: async () => ({
      port: new EventBridgeResultPublisher({ client: dead, overflow, maxAttempts: 1 }),
      destination: { type: 'eventbridge', event_bus_name: 'results-unreachable' },
    }),
    close: async () => {
      client.destroy();
      dead.destroy();
      clients.destroy();
      await stub.stop();
    },
  };
});

describeResultDelivererContract('WebhookResultSender to a local receiver', async () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const receiver = new Webhook(secret);
  /** Verified payloads by request path: what a receiver holding the secret accepts. */
  const accepted = new Map<string, ResultV1[]>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void text(req).then((body) => {
      try {
        const payload = receiver.verify(body, req.headers as Record<string, string>) as {
          results: ResultV1[];
        };
        const path = req.url ?? '/';
        accepted.set(path, [...(accepted.get(path) ?? []), ...payload.results]);
        res.writeHead(200).end('ok');
      } catch {
        res.writeHead(401).end('bad signature');
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was just free: connections to it are refused.
  const closed = createServer();
  await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((done) => closed.close(() => done()));
  const sender = (maxAttempts: number) =>
    new WebhookResultSender({
      secrets: new StaticWebhookSecrets({ '127.0.0.1': [secret] }),
      allowPrivate: true,
      baseDelayMs: 1,
      maxAttempts,
    });
  let hooks = 0;
  return {
    port: sender(3),
    destination: async (): Promise<Destination> => ({
      type: 'webhook',
      url: `${base}/hooks/${++hooks}`,
    }),
    received: async (destination) => {
      if (destination.type !== 'webhook') throw new Error('not a webhook destination');
      return accepted.get(new URL(destination.url).pathname) ?? [];
    },
    undeliverable: async () => ({
      port: sender(1),
      destination: { type: 'webhook', url: `http://127.0.0.1:${closedPort}/hooks/gone` },
    }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
});
