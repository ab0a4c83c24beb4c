import { describe, expect, it } from 'vitest';
import {
  DestinationRouter,
  FORBIDDEN_DESTINATION_CODE,
} from '../../../shared/adapters/aws/DestinationRouter.js';
import type { Destination } from '../../../shared/contract/destination.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { ConfigError } from '../../../shared/domain/errors.js';
import type { ResultDeliverer } from '../../../shared/ports/ResultDeliverer.js';

const result = { custom_id: 'a' } as ResultV1;

/** A deliverer that records which type it was asked to deliver to. */
const recording = (calls: string[]): ResultDeliverer => ({
  deliver: async (destination) => {
    calls.push(destination.type);
    return { failed: [] };
  },
});

const router = (allowList: string[], calls: string[] = [], webhook = true) =>
  new DestinationRouter({
    sqs: recording(calls),
    s3: recording(calls),
    eventbridge: recording(calls),
    webhook: webhook ? recording(calls) : null,
    allowList,
  });

const queue = 'https://sqs.us-east-1.amazonaws.com/123456789012/results-a';
const destinations: Record<string, Destination> = {
  sqs: { type: 'sqs', queue_url: queue },
  s3: { type: 's3', bucket: 'caller-bucket', prefix: 'team-a/' },
  eventbridge: { type: 'eventbridge', event_bus_name: 'caller-bus' },
  webhook: { type: 'webhook', url: 'https://hooks.example.com/batchlane/in' },
};

describe('DestinationRouter', () => {
  it('dispatches on the destination type and allows everything with an empty list', async () => {
    const calls: string[] = [];
    const r = router([], calls);
    for (const destination of Object.values(destinations)) {
      expect(await r.deliver(destination, [result], { batchId: 'b', part: '1' })).toEqual({
        failed: [],
      });
    }
    expect(calls).toEqual(['sqs', 's3', 'eventbridge', 'webhook']);
  });

  it.each([
    ['sqs', `sqs:${queue}`],
    ['sqs', 'sqs:https://sqs.us-east-1.amazonaws.com/123456789012/results-'],
    ['sqs', 'sqs:arn:aws:sqs:us-east-1:123456789012:'],
    ['sqs', 'sqs:arn:aws:sqs:us-east-1:123456789012:results-a'],
    ['s3', 's3:caller-bucket'],
    ['s3', 's3:caller-bucket/team-'],
    ['eventbridge', 'eventbridge:caller-bus'],
    ['webhook', 'webhook:https://hooks.example.com/batchlane/'],
    ['webhook', 'webhook:https://hooks.example.com'],
  ])('allows %s with %s', (type, entry) => {
    expect(router([entry]).isAllowed(destinations[type] as Destination)).toBe(true);
  });

  it.each([
    ['sqs', 'sqs:arn:aws:sqs:us-east-1:999999999999:'],
    ['sqs', 'sqs:https://sqs.us-east-1.amazonaws.com/123456789012/other'],
    ['s3', 's3:caller'],
    ['s3', 's3:caller-bucket/team-b/'],
    ['eventbridge', 'eventbridge:caller-bus-2'],
    ['webhook', 'webhook:https://hooks.example.co'],
    ['webhook', 'webhook:https://hooks.example.com/other/'],
    ['webhook', 'webhook:http://hooks.example.com/batchlane/'],
    ['sqs', 's3:caller-bucket'],
  ])('refuses %s with %s', (type, entry) => {
    expect(router([entry]).isAllowed(destinations[type] as Destination)).toBe(false);
  });

  it('does not let an origin prefix match a longer host name', () => {
    const evil: Destination = { type: 'webhook', url: 'https://hooks.example.com.evil.net/x' };
    expect(router(['webhook:https://hooks.example.com']).isAllowed(evil)).toBe(false);
  });

  it('fails every result of a forbidden destination with a non-retryable error, delivering nothing', async () => {
    const calls: string[] = [];
    const report = await router(['s3:caller-bucket'], calls).deliver(
      destinations.sqs as Destination,
      [result, { custom_id: 'b' } as ResultV1],
      { batchId: 'b', part: '1' },
    );
    expect(calls).toEqual([]);
    expect(report.failed.map((f) => f.customId)).toEqual(['a', 'b']);
    expect(report.failed[0]?.error.code).toBe(FORBIDDEN_DESTINATION_CODE);
    expect(report.failed[0]?.error.retryable).toBe(false);
  });

  it('fails webhook results when webhooks are disabled', async () => {
    const report = await router([], [], false).deliver(
      destinations.webhook as Destination,
      [result],
      { batchId: 'b', part: '1' },
    );
    expect(report.failed[0]?.error).toBeInstanceOf(ConfigError);
    expect(report.failed[0]?.error.retryable).toBe(false);
  });

  it('rejects malformed allow-list entries at construction', () => {
    expect(() => router(['ftp:x'])).toThrow(ConfigError);
    expect(() => router(['sqs'])).toThrow(ConfigError);
    expect(() => router(['sqs:'])).toThrow(ConfigError);
  });
});
