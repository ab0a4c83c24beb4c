import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type EventBridgeStub,
  type RecordedEvent,
  startEventBridgeStub,
} from '../../../local/stack/emulators/startEventBridgeStub.js';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { createQueue, drainQueue, emulatorClients, uniqueName } from './awsTestKit.js';

const entry = (n: number, bus = 'bus-a') => ({
  EventBusName: bus,
  Source: 'batchlane',
  DetailType: 'Test',
  Detail: JSON.stringify({ n }),
});

describe('EventBridge PutEvents stub', () => {
  let clients: AwsClients;

  beforeAll(() => {
    clients = emulatorClients();
  });

  afterAll(() => clients.destroy());

  it('global setup hands the same environment through inject and process.env', () => {
    const env = inject('awsEnv');
    expect(env.AWS_REGION).toBe('us-east-1');
    for (const [name, value] of Object.entries(env)) expect(process.env[name]).toBe(value);
  });

  it('is the endpoint of the global setup and serves what it accepted at GET /_events', async () => {
    const bus = uniqueName('bus');
    const response = await clients.eventBridge.send(
      new PutEventsCommand({ Entries: [entry(1, bus), entry(2, bus)] }),
    );
    expect(response.FailedEntryCount).toBe(0);
    expect(response.Entries?.every((e) => typeof e.EventId === 'string')).toBe(true);
    const listed = (await (
      await fetch(`${inject('awsEnv').AWS_ENDPOINT_URL_EVENTBRIDGE}/_events`)
    ).json()) as RecordedEvent[];
    const mine = listed.filter((e) => e['event-bus-name'] === bus);
    expect(mine.map((e) => e.detail)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(mine[0]).toMatchObject({
      version: '0',
      source: 'batchlane',
      'detail-type': 'Test',
      region: 'us-east-1',
    });
  });

  it('validates like EventBridge', async () => {
    const tooMany = clients.eventBridge.send(
      new PutEventsCommand({ Entries: Array.from({ length: 11 }, (_, n) => entry(n)) }),
    );
    await expect(tooMany).rejects.toMatchObject({ name: 'ValidationException' });

    const mixed = await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          entry(1),
          { ...entry(2), Detail: 'not json' },
          { ...entry(3), Detail: '[1,2]' },
          { ...entry(4), Source: undefined },
        ],
      }),
    );
    expect(mixed.FailedEntryCount).toBe(3);
    expect(mixed.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'MalformedDetail',
      'MalformedDetail',
      'InvalidArgument',
    ]);

    const tooLarge = clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [{ ...entry(1), Detail: JSON.stringify({ x: 'y'.repeat(270_000) }) }],
      }),
    );
    await expect(tooLarge).rejects.toMatchObject({ name: 'ValidationException' });
  });

  describe('with forwarding and a JSONL file', () => {
    let stub: EventBridgeStub;
    let dir: string;
    let queueUrl: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'eb-stub-'));
      queueUrl = await createQueue(clients, 'events');
      stub = await startEventBridgeStub({ jsonlPath: join(dir, 'events.jsonl') });
      stub.forwardTo(clients.sqs, queueUrl);
    });

    afterAll(async () => {
      await stub.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('forwards each event envelope to SQS and appends it to the file', async () => {
      const { EventBridgeClient } = await import('@aws-sdk/client-eventbridge');
      const client = new EventBridgeClient({
        endpoint: stub.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      await client.send(new PutEventsCommand({ Entries: [entry(1), entry(2), entry(3)] }));
      client.destroy();

      const forwarded = (await drainQueue(clients.sqs, queueUrl, 3)).map(
        (b) => JSON.parse(b) as Record<string, unknown>,
      );
      expect(forwarded).toHaveLength(3);
      expect(forwarded[0]).toMatchObject({
        source: 'batchlane',
        'detail-type': 'Test',
        detail: { n: 1 },
      });
      expect(Object.keys(forwarded[0] ?? {}).sort()).toEqual([
        'account',
        'detail',
        'detail-type',
        'id',
        'region',
        'resources',
        'source',
        'time',
        'version',
      ]);
      const lines = (await readFile(join(dir, 'events.jsonl'), 'utf8')).trimEnd().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as RecordedEvent).detail)).toEqual([
        { n: 1 },
        { n: 2 },
        { n: 3 },
      ]);
      expect(stub.events()).toHaveLength(3);
    });
  });
});
