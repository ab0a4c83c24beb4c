import { describe, expect, it } from 'vitest';
import type { Destination } from '../../../shared/contract/destination.js';
import { METRIC } from '../../../shared/contract/metrics.js';
import { InvalidInputError, UnavailableError } from '../../../shared/domain/errors.js';
import type { RuntimeDeps } from '../../../shared/usecases/RuntimeDeps.js';
import { type Refusal, settleRefusals } from '../../../shared/usecases/settleRefusals.js';
import { FakeClock } from '../../support/fakes/FakeClock.js';
import { InMemoryEventPublisher } from '../../support/fakes/InMemoryEventPublisher.js';
import { InMemoryResultDeliverer } from '../../support/fakes/InMemoryResultDeliverer.js';
import { RecordingLogger, RecordingMetrics } from '../../support/fakes/RecordingObservability.js';

const QUEUE: Destination = {
  type: 'sqs',
  queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/results',
};
const BUCKET: Destination = { type: 's3', bucket: 'results-bucket', prefix: 'out/' };

const refusal = (n: number, overrides: Partial<Refusal> = {}): Refusal => ({
  messageId: `m-${n}`,
  body: JSON.stringify({ custom_id: `c-${n}`, provider: 'openai' }),
  metadata: { n },
  rejection: { code: 'unknown_provider', message: 'no such provider', issues: [] },
  producer: 'team-a',
  customId: `c-${n}`,
  deliverTo: QUEUE,
  registered: true,
  ...overrides,
});

interface RejectedDetail {
  custom_id: string | null;
  producer: string;
  message_id: string;
  result_delivered: boolean;
  reason: { code: string };
  rejected_at: string;
}

/**
 * settleRefusals uses, of the state store, only `markRefused`: a recorder of those calls
 * stands in for it, and every other dependency is a fake.
 */
const setUp = () => {
  const clock = new FakeClock('2026-11-26T10:00:00.000Z');
  const deliverer = new InMemoryResultDeliverer();
  const events = new InMemoryEventPublisher({ maxAttempts: 1 });
  const marked: string[] = [];
  let markFailure: Error | null = null;
  const metrics = new RecordingMetrics();
  const logger = new RecordingLogger();
  const deps = {
    settings: {},
    clock,
    deliverer,
    events,
    logger,
    metrics,
    store: {
      markRefused: async (producer: string, customId: string) => {
        if (markFailure !== null && customId === 'c-2') throw markFailure;
        marked.push(`${producer}/${customId}`);
      },
    },
  } as unknown as RuntimeDeps;
  return {
    deps,
    deliverer,
    events,
    marked,
    metrics,
    logger,
    failMarkOfC2: (error: Error) => {
      markFailure = error;
    },
  };
};

describe('settleRefusals against the fakes', () => {
  it('delivers one rejected result per refusal, one call per destination and producer, then reports and records each', async () => {
    const { deps, deliverer, events, marked, metrics } = setUp();
    const refusals = [
      refusal(1),
      refusal(2),
      refusal(3, { deliverTo: BUCKET }),
      refusal(4, { producer: 'team-b' }),
    ];
    expect(await settleRefusals(deps, refusals)).toEqual(new Set());
    // An S3 destination gets one object per producer, not one per message.
    expect(deliverer.deliveries().map((d) => d.results.map((r) => r.custom_id))).toEqual(
      expect.arrayContaining([['c-1', 'c-2'], ['c-3'], ['c-4']]),
    );
    expect(deliverer.deliveries()).toHaveLength(3);
    const result = deliverer.receivedAt(QUEUE).find((r) => r.custom_id === 'c-1');
    expect(result).toMatchObject({
      status: 'rejected',
      provider: 'openai',
      batch_id: null,
      error: { type: 'unknown_provider', message: 'no such provider' },
      metadata: { n: 1 },
    });
    for (const delivery of deliverer.deliveries()) expect(delivery.context.batchId).toBeNull();
    const details = events.detailsOf<RejectedDetail>('Request Rejected');
    expect(details.map((d) => [d.message_id, d.result_delivered]).sort()).toEqual([
      ['m-1', true],
      ['m-2', true],
      ['m-3', true],
      ['m-4', true],
    ]);
    expect(details[0]?.rejected_at).toBe('2026-11-26T10:00:00.000Z');
    expect(marked.sort()).toEqual(['team-a/c-1', 'team-a/c-2', 'team-a/c-3', 'team-b/c-4']);
    expect(metrics.total(METRIC.RequestsRejected, { reason: 'unknown_provider' })).toBe(4);
  });

  it('reports a refusal with nowhere to deliver as not delivered, and records only registered ids', async () => {
    const { deps, deliverer, events, marked } = setUp();
    const refusals = [
      refusal(1, { deliverTo: null }),
      refusal(2, { customId: null, registered: false, deliverTo: null }),
      refusal(3, { registered: false }),
    ];
    expect(await settleRefusals(deps, refusals)).toEqual(new Set());
    expect(deliverer.allResults().map((r) => r.custom_id)).toEqual(['c-3']);
    const details = events.detailsOf<RejectedDetail>('Request Rejected');
    expect(details.map((d) => [d.message_id, d.custom_id, d.result_delivered])).toEqual([
      ['m-1', 'c-1', false],
      ['m-2', null, false],
      ['m-3', 'c-3', true],
    ]);
    expect(marked).toEqual(['team-a/c-1']);
  });

  it('hands back for a retry only the refusals whose result failed for now, with no event and no record', async () => {
    const { deps, deliverer, events, marked, logger } = setUp();
    deliverer.failResults(['c-2'], new UnavailableError('throttled', { code: 'throttled' }));
    expect(await settleRefusals(deps, [refusal(1), refusal(2), refusal(3)])).toEqual(
      new Set(['m-2']),
    );
    const details = events.detailsOf<RejectedDetail>('Request Rejected');
    expect(details.map((d) => d.message_id)).toEqual(['m-1', 'm-3']);
    expect(marked).toEqual(['team-a/c-1', 'team-a/c-3']);
    expect(logger.withMessage('rejected result not delivered; will retry')).toHaveLength(1);
  });

  it('does not hold a refusal back for a destination that can never take it: its event says so', async () => {
    const { deps, deliverer, events, marked } = setUp();
    deliverer.failDestination(
      BUCKET,
      new InvalidInputError('no such bucket', { code: 'not_found' }),
    );
    const failed = await settleRefusals(deps, [refusal(1, { deliverTo: BUCKET }), refusal(2)]);
    expect(failed).toEqual(new Set());
    const details = events.detailsOf<RejectedDetail>('Request Rejected');
    expect(details.map((d) => [d.message_id, d.result_delivered])).toEqual([
      ['m-1', false],
      ['m-2', true],
    ]);
    expect(marked).toEqual(['team-a/c-1', 'team-a/c-2']);
  });

  it('hands every refusal back when the events cannot be published, recording none', async () => {
    const { deps, events, marked } = setUp();
    events.failNextEntries(100, 'InternalFailure');
    expect(await settleRefusals(deps, [refusal(1), refusal(2, { deliverTo: null })])).toEqual(
      new Set(['m-1', 'm-2']),
    );
    expect(marked).toEqual([]);
  });

  it('hands back a refusal whose record failed, the others being done', async () => {
    const { deps, marked, failMarkOfC2 } = setUp();
    failMarkOfC2(new UnavailableError('table throttled', { code: 'throttled' }));
    expect(await settleRefusals(deps, [refusal(1), refusal(2), refusal(3)])).toEqual(
      new Set(['m-2']),
    );
    expect(marked.sort()).toEqual(['team-a/c-1', 'team-a/c-3']);
  });

  it('does nothing for no refusals', async () => {
    const { deps, deliverer, events } = setUp();
    expect(await settleRefusals(deps, [])).toEqual(new Set());
    expect(deliverer.deliveries()).toEqual([]);
    expect(events.published()).toEqual([]);
  });
});
