import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { DynamoDbBudgetReservations } from '../../../shared/adapters/aws/DynamoDbBudgetReservations.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import type { BatchlaneEvent } from '../../../shared/contract/events.js';
import { type BudgetPeriod, budgetExpiryOf } from '../../../shared/domain/budgetPeriod.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import type { RequeuedMessage } from '../../../shared/ports/IntakeRequeuer.js';
import { noMetrics, silentLogger } from '../../../shared/ports/Logger.js';
import type { StateStore } from '../../../shared/ports/StateStore.js';
import { createAdmission } from '../../../shared/usecases/createAdmission.js';
import type { RuntimeDeps } from '../../../shared/usecases/RuntimeDeps.js';
import { emulatorClients, uniqueName } from './awsTestKit.js';

/** A fresh period per test (each table is this file's own), so no two share a counter. */
let nextYear = 3000;
const periodOf = (): BudgetPeriod => {
  nextYear += 1;
  return { day: `${nextYear}-01-01`, month: `${nextYear}-01` };
};

describe('DynamoDbBudgetReservations on DynamoDB Local', () => {
  let clients: AwsClients;
  let tableName: string;
  let budgets: DynamoDbBudgetReservations;

  beforeAll(async () => {
    clients = emulatorClients();
    tableName = uniqueName('budget');
    await ensureStateTable(clients.dynamodb, tableName);
    budgets = new DynamoDbBudgetReservations({ client: clients.documentClient, tableName });
  });

  afterAll(() => clients.destroy());

  it('reserves while the day and the month stay within their limits, and no further', async () => {
    const period = periodOf();
    const limits = { dailyNanoUsd: 100, monthlyNanoUsd: 150 };
    expect(await budgets.reserve(period, 60, limits)).toBe(true);
    expect(await budgets.reserve(period, 41, limits)).toBe(false);
    expect(await budgets.reserve(period, 40, limits)).toBe(true);
    expect(await budgets.read(period)).toEqual({ dayNanoUsd: 100, monthNanoUsd: 100 });
    // The first reservation of a period must fit on its own too.
    const other = periodOf();
    expect(await budgets.reserve(other, 101, limits)).toBe(false);
    expect(await budgets.read(other)).toEqual({ dayNanoUsd: 0, monthNanoUsd: 0 });
  });

  it('holds a monthly limit across days: a new day does not reset the month', async () => {
    const period = periodOf();
    const nextDay = { ...period, day: `${period.month}-02` };
    const limits = { dailyNanoUsd: 100, monthlyNanoUsd: 150 };
    expect(await budgets.reserve(period, 100, limits)).toBe(true);
    expect(await budgets.reserve(nextDay, 60, limits)).toBe(false);
    expect(await budgets.reserve(nextDay, 50, limits)).toBe(true);
    // Neither counter moved for the refused one: the two updates are one transaction.
    expect(await budgets.read(nextDay)).toEqual({ dayNanoUsd: 50, monthNanoUsd: 150 });
  });

  it('settles once per settlement id, releasing what was not spent', async () => {
    const period = periodOf();
    await budgets.reserve(period, 1_000, { dailyNanoUsd: 1_000, monthlyNanoUsd: null });
    await budgets.settle('batch:b1', period, -700);
    await budgets.settle('batch:b1', period, -700);
    expect(await budgets.read(period)).toEqual({ dayNanoUsd: 300, monthNanoUsd: 300 });
    await budgets.settle('batch:b2', period, 50);
    expect(await budgets.read(period)).toEqual({ dayNanoUsd: 350, monthNanoUsd: 350 });
  });

  it('expires the counters after their month, so an unsettled reservation cannot last', async () => {
    const period = { day: '2099-02-10', month: '2099-02' };
    await budgets.reserve(period, 5, { dailyNanoUsd: null, monthlyNanoUsd: null });
    const item = await clients.documentClient.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'BUDGET#day#2099-02-10', sk: 'BUDGET' } }),
    );
    expect(item.Item?.['expires_at']).toBe(budgetExpiryOf(period));
    expect(budgetExpiryOf(period)).toBe(Date.UTC(2099, 2, 2) / 1000);
  });

  it('lets no two racing reservations pass the limit together', async () => {
    const period = periodOf();
    const outcomes = await Promise.all(
      Array.from({ length: 24 }, () =>
        budgets.reserve(period, 10, { dailyNanoUsd: 95, monthlyNanoUsd: null }),
      ),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(9);
    expect((await budgets.read(period)).dayNanoUsd).toBe(90);
  });
});

describe('Admission: concurrent collectors racing one budget', () => {
  let clients: AwsClients;
  let tableName: string;

  beforeAll(async () => {
    clients = emulatorClients();
    tableName = uniqueName('race');
    await ensureStateTable(clients.dynamodb, tableName);
  });

  afterAll(() => clients.destroy());

  /** One collector's admission, as each execution environment builds its own. */
  const collectorAdmission = (
    requeued: RequeuedMessage[],
    events: BatchlaneEvent[],
    budget: { dailyNanoUsd: number | null; monthlyNanoUsd: number | null },
  ) => {
    const unused = (what: string) => () => Promise.reject(new Error(`${what} is not used here`));
    const deps = {
      store: { listDueBatches: unused('the batch list') } as unknown as StateStore,
      budgets: new DynamoDbBudgetReservations({ client: clients.documentClient, tableName }),
      requeue: {
        requeue: async (messages: readonly RequeuedMessage[]) => {
          requeued.push(...messages);
        },
      },
      events: {
        publish: async (published: readonly BatchlaneEvent[]) => {
          events.push(...published);
        },
      },
      clock: { now: () => new Date() },
      logger: silentLogger,
      metrics: noMetrics,
      settings: {
        quotas: {},
        budget,
        quotaRetrySeconds: 60,
        priceTable: defaultPriceTable,
        unpricedCeilingNanoUsdPerToken: null,
      },
    } as unknown as RuntimeDeps;
    return createAdmission(deps);
  };

  it('admits no more than the budget across eight collectors, and holds the rest', async () => {
    const requeued: RequeuedMessage[] = [];
    const events: BatchlaneEvent[] = [];
    // $0.001 a day; each request's worst case is $0.00003: at most 33 fit.
    const budget = { dailyNanoUsd: 1_000_000, monthlyNanoUsd: null };
    const perRequest = 30_000;
    const collectors = Array.from({ length: 8 }, () =>
      collectorAdmission(requeued, events, budget),
    );
    const requests = (collector: number) =>
      Array.from({ length: 10 }, (_, i) => ({
        provider: 'openai' as const,
        model: 'gpt-4o-mini',
        batch: true,
        inputTokens: 100,
        nanoUsd: perRequest,
        customId: `c${collector}-${i}`,
        producer: `team-${collector % 2}`,
        messageId: `m${collector}-${i}`,
        body: JSON.stringify({ custom_id: `c${collector}-${i}` }),
      }));
    const outcomes = await Promise.all(
      collectors.map((admit, collector) => admit(requests(collector))),
    );
    const admitted = outcomes.flatMap((o) => o.admitted);
    const failed = outcomes.flatMap((o) => o.failedMessageIds);
    expect(admitted.length * perRequest).toBeLessThanOrEqual(budget.dailyNanoUsd);
    // Each collector that lost a race read again and took what was left: the budget is used.
    expect(admitted.length).toBeGreaterThanOrEqual(30);
    // Nothing lost: every request was admitted, or sent back to the queue with its producer.
    expect(admitted.length + requeued.length + failed.length).toBe(80);
    expect(failed).toEqual([]);
    const admittedIds = new Set(admitted.map((r) => r.customId));
    for (const message of requeued) {
      const { custom_id: id } = JSON.parse(message.body) as { custom_id: string };
      expect(admittedIds.has(id)).toBe(false);
      expect(message.producer).toBe(`team-${Number(id.slice(1, id.indexOf('-'))) % 2}`);
    }
    const held = events.filter((e) => e.detailType === 'Requests Held');
    expect(held.length).toBeGreaterThan(0);
    for (const event of held) {
      expect(event.detail).toMatchObject({ reason: 'budget_daily', retry_in_seconds: 900 });
      expect(['team-0', 'team-1']).toContain((event.detail as { producer?: string }).producer);
    }
    const reservedIn = outcomes.find((o) => o.reservedIn !== null)?.reservedIn;
    expect(reservedIn).toBeDefined();
  });
});
