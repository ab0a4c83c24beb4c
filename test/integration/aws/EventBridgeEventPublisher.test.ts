import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type EventBridgeStub,
  startEventBridgeStub,
} from '../../../local/stack/emulators/startEventBridgeStub.js';
import { EventBridgeEventPublisher } from '../../../shared/adapters/aws/EventBridgeEventPublisher.js';
import type { BatchlaneEvent } from '../../../shared/contract/events.js';
import { InvalidInputError, UnavailableError } from '../../../shared/domain/errors.js';

const rejected = (n: number, padding = 0): BatchlaneEvent => ({
  detailType: 'Request Rejected',
  detail: {
    custom_id: `c-${n}`,
    reason: { code: 'invalid_body', message: 'x'.repeat(padding), issues: [] },
    message_id: `m-${n}`,
    result_delivered: false,
    rejected_at: '2026-11-26T10:00:00.000Z',
  },
});

describe('EventBridgeEventPublisher against the PutEvents stub', () => {
  // A stub of this file's own, so failures can be injected without touching other tests.
  let stub: EventBridgeStub;
  let client: EventBridgeClient;
  const calls: number[] = [];

  beforeAll(async () => {
    stub = await startEventBridgeStub();
    const env = inject('awsEnv');
    client = new EventBridgeClient({
      endpoint: stub.endpoint,
      region: env.AWS_REGION,
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      },
    });
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Entries?: unknown[] };
        calls.push(input.Entries?.length ?? 0);
        return next(args);
      },
      { step: 'initialize', name: 'countPutEvents' },
    );
  });

  afterEach(() => {
    stub.clear();
    stub.failNextEntries(0);
    calls.length = 0;
  });

  afterAll(async () => {
    client.destroy();
    await stub.stop();
  });

  const publisher = (maxAttempts = 4) =>
    new EventBridgeEventPublisher({
      client,
      eventBusName: 'batchlane-test',
      maxAttempts,
      baseDelayMs: 1,
    });

  it('publishes in calls of at most 10 entries, with source batchlane', async () => {
    await publisher().publish(Array.from({ length: 23 }, (_, n) => rejected(n)));
    expect(calls).toEqual([10, 10, 3]);
    const events = stub.events();
    expect(events).toHaveLength(23);
    expect(events[0]).toMatchObject({
      source: 'batchlane',
      'detail-type': 'Request Rejected',
      'event-bus-name': 'batchlane-test',
      detail: { custom_id: 'c-0' },
    });
    expect(events.map((e) => (e.detail as { custom_id: string }).custom_id)).toEqual(
      Array.from({ length: 23 }, (_, n) => `c-${n}`),
    );
  });

  it('keeps each call under 256 KB', async () => {
    await publisher().publish(Array.from({ length: 5 }, (_, n) => rejected(n, 100_000)));
    expect(calls).toEqual([2, 2, 1]);
    expect(stub.events()).toHaveLength(5);
  });

  it('retries the entries EventBridge failed (FailedEntryCount) until they pass', async () => {
    stub.failNextEntries(3, 'ThrottlingException');
    await publisher().publish(Array.from({ length: 5 }, (_, n) => rejected(n)));
    expect(calls).toEqual([5, 3]);
    const ids = stub.events().map((e) => (e.detail as { custom_id: string }).custom_id);
    expect(ids.sort()).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
  });

  it('throws after a bounded number of tries', async () => {
    stub.failNextEntries(1_000, 'InternalFailure');
    const error = await publisher(3)
      .publish([rejected(1), rejected(2)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).details).toMatchObject({ failedEvents: 2, events: 2 });
    expect(calls).toEqual([2, 2, 2]);
  });

  it('does not retry permanent entry errors, nor send an oversized event', async () => {
    stub.failNextEntries(1, 'MalformedDetail');
    await expect(publisher().publish([rejected(1)])).rejects.toBeInstanceOf(InvalidInputError);
    expect(calls).toEqual([1]);
    await expect(publisher().publish([rejected(2, 300_000)])).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect(calls).toEqual([1]);
  });
});
