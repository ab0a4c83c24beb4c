import { describe, expect, it } from 'vitest';
import {
  DestinationRouter,
  FORBIDDEN_DESTINATION_CODE,
} from '../../../shared/adapters/aws/DestinationRouter.js';
import type { Destination } from '../../../shared/contract/destination.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { parseDestinationPolicy } from '../../../shared/domain/destinationPolicy.js';
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

const router = (allowList: string, calls: string[] = [], webhook = true) =>
  new DestinationRouter({
    sqs: recording(calls),
    s3: recording(calls),
    eventbridge: recording(calls),
    webhook: webhook ? recording(calls) : null,
    policy: parseDestinationPolicy(allowList),
    region: 'us-east-1',
  });

const queue = 'https://sqs.us-east-1.amazonaws.com/123456789012/results-a';
const destinations: Record<string, Destination> = {
  sqs: { type: 'sqs', queue_url: queue },
  s3: { type: 's3', bucket: 'caller-bucket', prefix: 'team-a/' },
  eventbridge: { type: 'eventbridge', event_bus_name: 'caller-bus' },
  webhook: { type: 'webhook', url: 'https://hooks.example.com/batchlane/in' },
};

describe('Class: DestinationRouter', () => {
  it('dispatches on the destination type when the deployment allows everything', async () => {
    const calls: string[] = [];
    const r = router('*', calls);
    for (const destination of Object.values(destinations)) {
      expect(await r.deliver(destination, [result], { batchId: 'b', part: '1' })).toEqual({
        failed: [],
      });
    }
    expect(calls).toEqual(['sqs', 's3', 'eventbridge', 'webhook']);
  });

  it.each(['', 'none'])(
    'delivers nowhere with the allow-list "%s", failing each result for good',
    async (list) => {
      const calls: string[] = [];
      const r = router(list, calls);
      for (const destination of Object.values(destinations)) {
        const report = await r.deliver(destination, [result], { batchId: 'b', part: '1' });
        expect(report.failed[0]?.error.code).toBe(FORBIDDEN_DESTINATION_CODE);
        expect(report.failed[0]?.error.retryable).toBe(false);
      }
      expect(calls).toEqual([]);
    },
  );

  it('fails every result of a forbidden destination with a non-retryable error, delivering nothing', async () => {
    const calls: string[] = [];
    const report = await router('s3:caller-bucket', calls).deliver(
      destinations.sqs as Destination,
      [result, { custom_id: 'b' } as ResultV1],
      { batchId: 'b', part: '1' },
    );
    expect(calls).toEqual([]);
    expect(report.failed.map((f) => f.customId)).toEqual(['a', 'b']);
    expect(report.failed[0]?.error.code).toBe(FORBIDDEN_DESTINATION_CODE);
    expect(report.failed[0]?.error.retryable).toBe(false);
  });

  it('delivers to an allowed queue only by its exact ARN', async () => {
    const calls: string[] = [];
    const r = router('sqs:arn:aws:sqs:us-east-1:123456789012:results', calls);
    const longer: Destination = {
      type: 'sqs',
      queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/results-x',
    };
    const report = await r.deliver(longer, [result], { batchId: 'b', part: '1' });
    expect(report.failed[0]?.error.code).toBe(FORBIDDEN_DESTINATION_CODE);
    expect(calls).toEqual([]);
  });

  it('fails webhook results when webhooks are disabled', async () => {
    const report = await router('*', [], false).deliver(
      destinations.webhook as Destination,
      [result],
      { batchId: 'b', part: '1' },
    );
    expect(report.failed[0]?.error).toBeInstanceOf(ConfigError);
    expect(report.failed[0]?.error.retryable).toBe(false);
  });
});
