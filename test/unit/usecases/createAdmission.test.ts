import { describe, expect, it } from 'vitest';
import { METRIC } from '../../../shared/contract/metrics.js';
import type { BudgetPeriod } from '../../../shared/domain/budgetPeriod.js';
import { UnavailableError } from '../../../shared/domain/errors.js';
import { DEFAULT_PRODUCER_ATTRIBUTE, PRODUCER_ATTRIBUTE } from '../../../shared/domain/producer.js';
import type { BudgetReservations } from '../../../shared/ports/BudgetReservations.js';
import {
  type AdmissionRequest,
  createAdmission,
} from '../../../shared/usecases/createAdmission.js';
import type { RuntimeDeps } from '../../../shared/usecases/RuntimeDeps.js';
import { FakeClock } from '../../support/fakes/FakeClock.js';
import { InMemoryBudgetReservations } from '../../support/fakes/InMemoryBudgetReservations.js';
import { InMemoryEventPublisher } from '../../support/fakes/InMemoryEventPublisher.js';
import { InMemoryQueue } from '../../support/fakes/InMemoryQueue.js';
import { InMemoryIntakeRequeuer } from '../../support/fakes/InMemoryQueuePorts.js';
import { RecordingLogger, RecordingMetrics } from '../../support/fakes/RecordingObservability.js';

const TODAY: BudgetPeriod = { day: '2026-11-26', month: '2026-11' };

const request = (n: number, overrides: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  provider: 'openai',
  model: 'gpt-4o-mini',
  batch: true,
  inputTokens: 100,
  nanoUsd: 30_000,
  customId: `c-${n}`,
  producer: 'team-a',
  messageId: `m-${n}`,
  body: JSON.stringify({ custom_id: `c-${n}`, n }),
  ...overrides,
});

interface HeldDetail {
  reason: string;
  producer?: string;
  provider: string;
  model: string;
  requests: number;
  custom_ids: string[];
  retry_in_seconds: number;
  held_at: string;
}

/**
 * Admission with budgets only (no quotas) never reads the state store: budgets, the intake
 * requeuer, events, clock and observability are the fakes. The store is absent on purpose,
 * so a read of it fails the test.
 */
const setUp = (
  budget: { dailyNanoUsd: number | null; monthlyNanoUsd: number | null },
  options: { budgets?: BudgetReservations; requeue?: boolean } = {},
) => {
  const clock = new FakeClock('2026-11-26T10:00:00.000Z');
  const queue = new InMemoryQueue(clock);
  const requeuer = new InMemoryIntakeRequeuer(queue);
  const budgets = new InMemoryBudgetReservations();
  const events = new InMemoryEventPublisher({ maxAttempts: 1 });
  const metrics = new RecordingMetrics();
  const logger = new RecordingLogger();
  const deps = {
    clock,
    budgets: options.budgets ?? budgets,
    requeue: options.requeue === false ? null : requeuer,
    events,
    logger,
    metrics,
    settings: { quotas: {}, budget, quotaRetrySeconds: 60 },
  } as unknown as RuntimeDeps;
  return { admit: createAdmission(deps), budgets, clock, events, logger, metrics, queue, requeuer };
};

describe('createAdmission with budgets, against the fakes', () => {
  it('admits everything and reserves nothing when no limit is set', async () => {
    const { admit, budgets, queue } = setUp({ dailyNanoUsd: null, monthlyNanoUsd: null });
    const requests = [request(1), request(2)];
    expect(await admit(requests)).toEqual({
      admitted: requests,
      failedMessageIds: [],
      reservedIn: null,
    });
    expect(await budgets.read(TODAY)).toEqual({ dayNanoUsd: 0, monthNanoUsd: 0 });
    expect(queue.size).toBe(0);
  });

  it("admits what fits in the day's budget, reserves it, and holds the rest in the intake queue", async () => {
    const { admit, budgets, clock, events, metrics, queue } = setUp({
      dailyNanoUsd: 100_000,
      monthlyNanoUsd: null,
    });
    await budgets.reserve(TODAY, 15_000, { dailyNanoUsd: null, monthlyNanoUsd: null });
    const requests = [request(1), request(2), request(3), request(4, { producer: '' })];
    const outcome = await admit(requests);
    // 15 000 already reserved: two of 30 000 fit under 100 000, not a third.
    expect(outcome).toEqual({
      admitted: [request(1), request(2)],
      failedMessageIds: [],
      reservedIn: TODAY,
    });
    expect(await budgets.read(TODAY)).toEqual({ dayNanoUsd: 75_000, monthNanoUsd: 75_000 });

    // Held for SQS's longest delay, unchanged, each with its producer.
    expect(queue.receive()).toEqual([]);
    clock.advanceSeconds(900);
    const requeued = queue.drain();
    expect(requeued.map((m) => [m.body, m.attributes])).toEqual([
      [request(3).body, { [PRODUCER_ATTRIBUTE]: 'team-a' }],
      [request(4).body, { [PRODUCER_ATTRIBUTE]: DEFAULT_PRODUCER_ATTRIBUTE }],
    ]);
    const held = events.detailsOf<HeldDetail>('Requests Held');
    expect(held).toEqual([
      {
        reason: 'budget_daily',
        producer: 'team-a',
        provider: 'openai',
        model: 'gpt-4o-mini',
        requests: 1,
        custom_ids: ['c-3'],
        retry_in_seconds: 900,
        held_at: '2026-11-26T10:00:00.000Z',
      },
      expect.objectContaining({ reason: 'budget_daily', custom_ids: ['c-4'] }),
    ]);
    expect(held[1]).not.toHaveProperty('producer');
    expect(metrics.total(METRIC.RequestsHeld, { reason: 'budget_daily' })).toBe(2);
  });

  it('holds by the monthly budget when the day has room and the month has not', async () => {
    const { admit, budgets } = setUp({ dailyNanoUsd: 100_000, monthlyNanoUsd: 200_000 });
    await budgets.reserve({ day: '2026-11-25', month: '2026-11' }, 180_000, {
      dailyNanoUsd: null,
      monthlyNanoUsd: null,
    });
    const outcome = await admit([request(1)]);
    expect(outcome.admitted).toEqual([]);
    expect(await budgets.read(TODAY)).toEqual({ dayNanoUsd: 0, monthNanoUsd: 180_000 });
  });

  it('reads again and admits what still fits when another collector reserved first', async () => {
    const shared = new InMemoryBudgetReservations();
    let raced = false;
    // Another collector's reservation lands between this one's read and its write.
    const racing: BudgetReservations = {
      read: (period) => shared.read(period),
      settle: (id, period, delta) => shared.settle(id, period, delta),
      reserve: async (period, nanoUsd, limits) => {
        if (!raced) {
          raced = true;
          await shared.reserve(period, 50_000, limits);
        }
        return shared.reserve(period, nanoUsd, limits);
      },
    };
    const { admit, metrics } = setUp(
      { dailyNanoUsd: 100_000, monthlyNanoUsd: null },
      { budgets: racing },
    );
    const outcome = await admit([request(1), request(2), request(3)]);
    expect(outcome.admitted.map((r) => r.customId)).toEqual(['c-1']);
    expect(await shared.read(TODAY)).toEqual({ dayNanoUsd: 80_000, monthNanoUsd: 80_000 });
    expect(metrics.total(METRIC.BudgetReservationConflicts)).toBe(1);
  });

  it('admits a lone request with its one conditional write, reading only to tell why one is held', async () => {
    const shared = new InMemoryBudgetReservations();
    const calls: string[] = [];
    const counting: BudgetReservations = {
      read: (period) => {
        calls.push('read');
        return shared.read(period);
      },
      settle: (id, period, delta) => shared.settle(id, period, delta),
      reserve: (period, nanoUsd, limits) => {
        calls.push('reserve');
        return shared.reserve(period, nanoUsd, limits);
      },
    };
    const { admit, events } = setUp(
      { dailyNanoUsd: 100_000, monthlyNanoUsd: 50_000 },
      { budgets: counting },
    );
    expect((await admit([request(1)])).admitted).toHaveLength(1);
    expect(calls).toEqual(['reserve']);

    calls.length = 0;
    await shared.reserve(TODAY, 15_000, { dailyNanoUsd: null, monthlyNanoUsd: null });
    expect((await admit([request(2)])).admitted).toEqual([]);
    expect(calls).toEqual(['reserve', 'read']);
    // 45 000 of the month's 50 000 reserved: held by the month, as the read tells.
    expect(await shared.read(TODAY)).toEqual({ dayNanoUsd: 45_000, monthNanoUsd: 45_000 });
    expect(events.detailsOf<HeldDetail>('Requests Held').map((d) => d.reason)).toEqual([
      'budget_monthly',
    ]);
  });

  it('holds everything, passing no budget, while it keeps losing the race', async () => {
    const losing: BudgetReservations = {
      read: async () => ({ dayNanoUsd: 0, monthNanoUsd: 0 }),
      reserve: async () => false,
      settle: async () => undefined,
    };
    const { admit, metrics, queue, clock } = setUp(
      { dailyNanoUsd: 100_000, monthlyNanoUsd: null },
      { budgets: losing },
    );
    const outcome = await admit([request(1), request(2)]);
    expect(outcome).toEqual({ admitted: [], failedMessageIds: [], reservedIn: TODAY });
    expect(metrics.total(METRIC.BudgetReservationConflicts)).toBe(4);
    clock.advanceSeconds(900);
    expect(queue.drain()).toHaveLength(2);
  });

  it('hands the held messages back to SQS when they cannot be requeued, reporting no hold', async () => {
    const { admit, events, requeuer } = setUp({ dailyNanoUsd: 40_000, monthlyNanoUsd: null });
    requeuer.failWith(new UnavailableError('queue unreachable', { code: 'unavailable' }));
    const outcome = await admit([request(1), request(2), request(3)]);
    expect(outcome.admitted.map((r) => r.customId)).toEqual(['c-1']);
    expect(outcome.failedMessageIds).toEqual(['m-2', 'm-3']);
    expect(events.published()).toEqual([]);
  });

  it('leaves held messages to SQS when the intake queue is not known', async () => {
    const { admit } = setUp({ dailyNanoUsd: 40_000, monthlyNanoUsd: null }, { requeue: false });
    expect((await admit([request(1), request(2)])).failedMessageIds).toEqual(['m-2']);
  });

  it('keeps the hold when its event cannot be published, counting the lost report', async () => {
    const { admit, events, metrics, queue, clock } = setUp({
      dailyNanoUsd: 40_000,
      monthlyNanoUsd: null,
    });
    events.failNextEntries(10, 'InternalFailure');
    const outcome = await admit([request(1), request(2)]);
    expect(outcome.failedMessageIds).toEqual([]);
    clock.advanceSeconds(900);
    expect(queue.drain().map((m) => m.body)).toEqual([request(2).body]);
    expect(metrics.total(METRIC.EventPublishFailures, { detailType: 'Requests Held' })).toBe(1);
  });
});
