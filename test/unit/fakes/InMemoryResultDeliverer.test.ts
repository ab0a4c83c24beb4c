import { describe, expect, it } from 'vitest';
import { DestinationRouter } from '../../../shared/adapters/aws/DestinationRouter.js';
import type { Destination } from '../../../shared/contract/destination.js';
import { parseDestinationPolicy } from '../../../shared/domain/destinationPolicy.js';
import { InvalidInputError, UnavailableError } from '../../../shared/domain/errors.js';
import {
  describeResultDelivererContract,
  resultOf,
} from '../../contract/ResultDelivererContract.js';
import { InMemoryResultDeliverer } from '../../support/fakes/InMemoryResultDeliverer.js';

/** One destination of each type, numbered so each call gets its own. */
const destinations: ((n: number) => Destination)[] = [
  (n) => ({
    type: 'sqs',
    queue_url: `https://sqs.us-east-1.amazonaws.com/123456789012/results-${n}`,
  }),
  (n) => ({ type: 's3', bucket: 'results-bucket', prefix: `run-${n}/` }),
  (n) => ({ type: 'eventbridge', event_bus_name: `bus-${n}` }),
  (n) => ({ type: 'webhook', url: `https://hooks.example.com/results/${n}` }),
];

for (const make of destinations) {
  const type = make(0).type;
  describeResultDelivererContract(`InMemoryResultDeliverer (${type})`, async () => {
    const deliverer = new InMemoryResultDeliverer();
    let next = 0;
    return {
      port: deliverer,
      destination: async () => make(++next),
      received: async (destination) => deliverer.receivedAt(destination),
      undeliverable: async () => {
        const destination = make(++next);
        deliverer.failDestination(
          destination,
          new UnavailableError('gone', { code: 'unavailable' }),
        );
        return { port: deliverer, destination };
      },
    };
  });
}

describe('InMemoryResultDeliverer beyond the contract', () => {
  it('fails the chosen results wherever they go and delivers the rest', async () => {
    const deliverer = new InMemoryResultDeliverer();
    const refused = new InvalidInputError('too large for the receiver', { code: 'too_large' });
    deliverer.failResults(['b'], refused);
    const destination = destinations[0]?.(1) as Destination;
    const report = await deliverer.deliver(destination, [resultOf('a'), resultOf('b')], {
      batchId: 'b_1',
      part: '1',
    });
    expect(report).toEqual({ failed: [{ customId: 'b', error: refused }] });
    expect(deliverer.receivedAt(destination).map((r) => r.custom_id)).toEqual(['a']);
    expect(deliverer.deliveries()).toEqual([
      { destination, context: { batchId: 'b_1', part: '1' }, results: [resultOf('a')] },
    ]);
  });
});

describeResultDelivererContract(
  'DestinationRouter over the fake (allow-list refusals)',
  async () => {
    const behind = new InMemoryResultDeliverer();
    const router = new DestinationRouter({
      sqs: behind,
      s3: behind,
      eventbridge: behind,
      webhook: behind,
      policy: parseDestinationPolicy('sqs:arn:aws:sqs:us-east-1:123456789012:results-*'),
      region: 'us-east-1',
    });
    let next = 0;
    const queue = (name: string): Destination => ({
      type: 'sqs',
      queue_url: `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`,
    });
    return {
      port: router,
      destination: async () => queue(`results-${++next}`),
      received: async (destination) => behind.receivedAt(destination),
      // A queue the allow-list does not name: every result refused, nothing sent.
      undeliverable: async () => ({ port: router, destination: queue('elsewhere') }),
    };
  },
);
