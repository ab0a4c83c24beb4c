import { describe, expect, it } from 'vitest';
import { METRIC } from '../../../shared/contract/metrics.js';
import type { BudgetPeriod } from '../../../shared/domain/budgetPeriod.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { newBatchRecord } from '../../../shared/domain/newBatchRecord.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import type { BatchItem, BatchRecord } from '../../../shared/domain/records.js';
import type { BatchPatch, StateStore } from '../../../shared/ports/StateStore.js';
import { awaitsAdmission } from '../../../shared/usecases/admitRetryBatch.js';
import { createRetryBatch } from '../../../shared/usecases/createRetryBatch.js';
import { dispatchEscalations } from '../../../shared/usecases/escalateLateMembers.js';
import type { RuntimeDeps } from '../../../shared/usecases/RuntimeDeps.js';
import { submitBatch } from '../../../shared/usecases/submitBatch.js';
import { FakeClock, SequentialIds } from '../../support/fakes/FakeClock.js';
import { InMemoryBatchProvider } from '../../support/fakes/InMemoryBatchProvider.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';
import { InMemoryBudgetReservations } from '../../support/fakes/InMemoryBudgetReservations.js';
import { InMemoryEventPublisher } from '../../support/fakes/InMemoryEventPublisher.js';
import { InMemoryQueue } from '../../support/fakes/InMemoryQueue.js';
import { InMemoryRealtimeDispatcher } from '../../support/fakes/InMemoryQueuePorts.js';
import { RecordingLogger, RecordingMetrics } from '../../support/fakes/RecordingObservability.js';

/**
 * Retry batches and escalations are admitted like new work: against the fakes of every port
 * but the state store, which has no fake; the few of its operations these paths use are kept
 * in maps below, versioned as the real store's are.
 */
const TODAY: BudgetPeriod = { day: '2026-11-26', month: '2026-11' };
const NO_LIMIT = { dailyNanoUsd: null, monthlyNanoUsd: null };
const MODEL = 'claude-haiku-4-5';

class MapStateStore {
  readonly batches = new Map<string, BatchRecord>();
  readonly items = new Map<string, Map<string, BatchItem>>();

  async createBatch(record: BatchRecord): Promise<void> {
    if (this.batches.has(record.batchId)) throw new Error(`batch ${record.batchId} exists`);
    this.batches.set(record.batchId, record);
  }

  async getBatch(batchId: string): Promise<BatchRecord | null> {
    return this.batches.get(batchId) ?? null;
  }

  async updateBatch(batchId: string, version: number, patch: BatchPatch): Promise<BatchRecord> {
    const current = this.batches.get(batchId);
    if (current === undefined || current.version !== version) throw new Error('version conflict');
    const next = { ...current, ...patch, version: version + 1 } as BatchRecord;
    this.batches.set(batchId, next);
    return next;
  }

  async listDueBatches(): Promise<BatchRecord[]> {
    return [...this.batches.values()];
  }

  async *listItems(batchId: string): AsyncIterable<BatchItem[]> {
    yield [...(this.items.get(batchId)?.values() ?? [])];
  }

  async moveToRetryBatch(from: BatchItem, to: BatchItem): Promise<boolean> {
    const old = this.items.get(from.batchId)?.get(from.providerCustomId);
    if (old === undefined || old.status !== null) return false;
    this.put({ ...old, status: 'retried' });
    this.put(to);
    return true;
  }

  async escalateMember(batchId: string, providerCustomId: string, at: string): Promise<boolean> {
    const item = this.items.get(batchId)?.get(providerCustomId);
    if (item === undefined || item.escalatedAt !== null) return false;
    this.put({ ...item, escalatedAt: at });
    return true;
  }

  put(item: BatchItem): void {
    const members = this.items.get(item.batchId) ?? new Map<string, BatchItem>();
    members.set(item.providerCustomId, item);
    this.items.set(item.batchId, members);
  }
}

const setUp = (budget: { dailyNanoUsd: number | null; monthlyNanoUsd: number | null }) => {
  const clock = new FakeClock('2026-11-26T10:00:00.000Z');
  const store = new MapStateStore();
  const blobs = new InMemoryBlobStore();
  const budgets = new InMemoryBudgetReservations();
  const events = new InMemoryEventPublisher({ maxAttempts: 1 });
  const provider = new InMemoryBatchProvider(clock);
  const realtimeQueue = new InMemoryQueue(clock);
  const metrics = new RecordingMetrics();
  const deps = {
    store: store as unknown as StateStore,
    blobs,
    budgets,
    events,
    clock,
    ids: new SequentialIds(),
    providers: { anthropic: provider },
    realtime: new InMemoryRealtimeDispatcher(realtimeQueue),
    realtimeProviders: {},
    completion: { notifyEnded: async () => undefined, retrySoon: async () => undefined },
    logger: new RecordingLogger(),
    metrics,
    settings: {
      budget,
      quotas: {},
      quotaRetrySeconds: 60,
      pollIntervalSeconds: 60,
      leaseMs: 300_000,
      escalateBeforeDeadlineMs: 1_800_000,
      maxConcurrentBatchesPerModel: {},
      maxRequestsPerBatch: null,
      priceTable: defaultPriceTable,
      unpricedCeilingNanoUsdPerToken: null,
    },
  } as unknown as RuntimeDeps;
  return { budgets, blobs, clock, deps, events, metrics, provider, realtimeQueue, store };
};

type Fixture = ReturnType<typeof setUp>;

const member = (batchId: string, n: number, producer: string): BatchItem => ({
  batchId,
  providerCustomId: `r${String(n).padStart(6, '0')}`,
  producer,
  customId: `c-${n}`,
  model: MODEL,
  destination: null,
  metadata: null,
  attempts: 1,
  acceptedAt: '2026-11-26T09:00:00.000Z',
  deadline: null,
  status: null,
  deliveredAt: null,
  escalatedAt: null,
  lane: { requested: 'auto', reason: 'test' },
  cost: null,
});

/** An ended parent batch of `producers.length` members, its input file written, est. 10 000 n$ each. */
const endedParent = async (f: Fixture, producers: readonly string[]) => {
  const batchId = 'bl_parent';
  const members = producers.map((producer, i) => member(batchId, i, producer));
  const record: BatchRecord = {
    ...newBatchRecord({
      batchId,
      provider: 'anthropic',
      endpoint: '/v1/messages',
      models: [MODEL],
      state: 'ended',
      createdAt: '2026-11-26T09:00:00.000Z',
      nextPollAt: null,
      estimate: {
        byModel: { [MODEL]: { requests: members.length, tokens: members.length * 100 } },
        nanoUsd: members.length * 10_000,
      },
    }),
    requestCount: members.length,
  };
  await f.store.createBatch(record);
  for (const m of members) f.store.put(m);
  const lines = members.map((m) =>
    formatProviderLine('anthropic', '/v1/messages', m.providerCustomId, {
      model: MODEL,
      max_tokens: 16,
      messages: [{ role: 'user', content: `question ${m.customId}` }],
    }),
  );
  await f.blobs.put(record.inputKey, `${lines.join('\n')}\n`);
  return { record, members: new Map(members.map((m) => [m.providerCustomId, m])) };
};

interface HeldDetail {
  reason: string;
  producer?: string;
  batch_id?: string;
  custom_ids: string[];
  requests: number;
  retry_in_seconds: number;
}

describe('Retry batches are admitted like new work, against the fakes', () => {
  it('reserves a retry batch that fits and submits it at once', async () => {
    const f = setUp({ dailyNanoUsd: 100_000, monthlyNanoUsd: null });
    const { record, members } = await endedParent(f, ['team-a', 'team-a']);

    const retryId = await createRetryBatch(f.deps, record, members, 300_000);

    const retry = f.store.batches.get(retryId ?? '');
    expect(retry).toMatchObject({ state: 'submitted', lastError: null });
    expect(await f.budgets.read(TODAY)).toEqual({ dayNanoUsd: 20_000, monthNanoUsd: 20_000 });
    expect(f.events.detailsOf('Requests Held')).toEqual([]);
  });

  it('holds a retry batch over the budget: made, members moved, not submitted, reported per producer', async () => {
    const f = setUp({ dailyNanoUsd: 100_000, monthlyNanoUsd: null });
    await f.budgets.reserve(TODAY, 95_000, NO_LIMIT);
    const { record, members } = await endedParent(f, ['team-a', 'team-b', 'team-a']);

    const retryId = await createRetryBatch(f.deps, record, members, 300_000);

    // Never dropped: every member moved to the retry batch, which waits to be admitted.
    const retry = f.store.batches.get(retryId ?? '') as BatchRecord;
    expect(retry.state).toBe('open');
    expect(awaitsAdmission(retry)).toBe(true);
    expect(retry.lastError).toContain('budget_daily');
    expect(retry.nextPollAt).toBe('2026-11-26T10:15:00.000Z');
    expect([...(f.store.items.get(retry.batchId)?.values() ?? [])]).toHaveLength(3);
    expect(
      [...members.keys()].map((id) => f.store.items.get('bl_parent')?.get(id)?.status),
    ).toEqual(['retried', 'retried', 'retried']);
    // Nothing reserved past the budget, nothing at the provider.
    expect(await f.budgets.read(TODAY)).toEqual({ dayNanoUsd: 95_000, monthNanoUsd: 95_000 });
    expect(retry.providerBatchId).toBeNull();
    // Each producer told about its own ids only.
    const held = f.events.detailsOf<HeldDetail>('Requests Held');
    expect(held).toEqual([
      expect.objectContaining({
        reason: 'budget_daily',
        producer: 'team-a',
        batch_id: retry.batchId,
        custom_ids: ['c-0', 'c-2'],
        requests: 2,
        retry_in_seconds: 900,
      }),
      expect.objectContaining({ producer: 'team-b', custom_ids: ['c-1'], requests: 1 }),
    ]);
    expect(f.metrics.total(METRIC.RequestsHeld, { reason: 'budget_daily' })).toBe(3);
  });

  it('keeps a held retry batch waiting while the budget has no room, and submits it once it has', async () => {
    const f = setUp({ dailyNanoUsd: 100_000, monthlyNanoUsd: null });
    await f.budgets.reserve(TODAY, 95_000, NO_LIMIT);
    const { record, members } = await endedParent(f, ['team-a', 'team-a']);
    const retryId = (await createRetryBatch(f.deps, record, members, 300_000)) as string;
    const eventsAfterHold = f.events.detailsOf('Requests Held').length;

    // The poller hands it back: still no room, so it waits again, reported once only.
    f.clock.advanceSeconds(900);
    const stillHeld = await submitBatch(f.deps, f.store.batches.get(retryId) as BatchRecord);
    expect(stillHeld.state).toBe('open');
    expect(awaitsAdmission(stillHeld)).toBe(true);
    expect(stillHeld.nextPollAt).toBe('2026-11-26T10:30:00.000Z');
    expect(f.events.detailsOf('Requests Held')).toHaveLength(eventsAfterHold);

    // Other work settles below what it reserved: the retry fits now.
    await f.budgets.settle('batch:other', TODAY, -50_000);
    f.clock.advanceSeconds(900);
    const released = await submitBatch(f.deps, f.store.batches.get(retryId) as BatchRecord);
    expect(released).toMatchObject({ state: 'submitted', lastError: null });
    expect(released.providerBatchId).not.toBeNull();
    // Reserved in the period it was admitted in, which its costing settles against.
    expect(released.createdAt).toBe('2026-11-26T10:30:00.000Z');
    expect(await f.budgets.read(TODAY)).toEqual({ dayNanoUsd: 65_000, monthNanoUsd: 65_000 });
  });

  it('submits a retry batch without any reservation when no budget is set', async () => {
    const f = setUp(NO_LIMIT);
    const { record, members } = await endedParent(f, ['team-a']);
    const retryId = await createRetryBatch(f.deps, record, members, 300_000);
    expect(f.store.batches.get(retryId ?? '')?.state).toBe('submitted');
    expect(await f.budgets.read(TODAY)).toEqual({ dayNanoUsd: 0, monthNanoUsd: 0 });
  });
});

describe('Escalations are admitted like new work, against the fakes', () => {
  const escalate = (f: Fixture, record: BatchRecord, members: Map<string, BatchItem>) =>
    dispatchEscalations(f.deps, record, f.clock.now(), new Map(members), {
      lane: 'realtime',
      reasonOf: () => 'late',
    });

  it('holds escalations over the budget: reported, left with their batch, nothing dispatched', async () => {
    const f = setUp({ dailyNanoUsd: 1_000, monthlyNanoUsd: null });
    const { record, members } = await endedParent(f, ['team-a', 'team-b']);

    const outcome = await escalate(f, record, members);

    expect(outcome.escalated).toBe(0);
    expect(outcome.failed.map((m) => m.customId).sort()).toEqual(['c-0', 'c-1']);
    expect(f.realtimeQueue.drain()).toEqual([]);
    expect(await f.budgets.read(TODAY)).toEqual({ dayNanoUsd: 0, monthNanoUsd: 0 });
    for (const m of members.values()) {
      expect(f.store.items.get('bl_parent')?.get(m.providerCustomId)?.escalatedAt).toBeNull();
    }
    const held = f.events.detailsOf<HeldDetail>('Requests Held');
    expect(held).toEqual([
      expect.objectContaining({
        reason: 'budget_daily',
        producer: 'team-a',
        batch_id: 'bl_parent',
        custom_ids: ['c-0'],
      }),
      expect.objectContaining({ reason: 'budget_daily', producer: 'team-b', custom_ids: ['c-1'] }),
    ]);
    expect(f.metrics.total(METRIC.EscalationsHeld, { provider: 'anthropic' })).toBe(2);
  });

  it('escalates a held member once the budget has room, its worst case reserved', async () => {
    const f = setUp({ dailyNanoUsd: 100_000_000, monthlyNanoUsd: null });
    await f.budgets.reserve(TODAY, 99_999_999, NO_LIMIT);
    const { record, members } = await endedParent(f, ['team-a']);
    expect((await escalate(f, record, members)).escalated).toBe(0);
    expect(f.events.detailsOf('Requests Held')).toHaveLength(1);

    // Other work settles below what it reserved: the next try, as the poller's next poll
    // makes it, escalates the member.
    await f.budgets.settle('batch:other', TODAY, -50_000_000);
    const outcome = await escalate(f, record, members);

    expect(outcome).toEqual({ escalated: 1, failed: [], held: 0 });
    const jobs = f.realtimeQueue.drain().map((m) => JSON.parse(m.body));
    expect(jobs).toHaveLength(1);
    const reserved = (await f.budgets.read(TODAY)).dayNanoUsd - 49_999_999;
    expect(reserved).toBeGreaterThan(0);
    expect(jobs[0]).toMatchObject({ custom_id: 'c-0', reserved_nano_usd: reserved });
    expect(f.store.items.get('bl_parent')?.get('r000000')?.escalatedAt).not.toBeNull();
    expect(f.events.detailsOf('Requests Held')).toHaveLength(1);
  });
});
