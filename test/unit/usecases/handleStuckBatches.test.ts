import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type BatchStuckDetail, DETAIL_TYPES } from '../../../shared/contract/events.js';
import { METRIC } from '../../../shared/contract/metrics.js';
import { newBatchRecord } from '../../../shared/domain/newBatchRecord.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import type { RealtimeJob } from '../../../shared/domain/RealtimeJob.js';
import type { BatchItem, BatchRecord } from '../../../shared/domain/records.js';
import {
  DEFAULT_STUCK_SETTINGS,
  type StuckBatchSettings,
} from '../../../shared/domain/stuckBatch.js';
import type { BatchTimes } from '../../../shared/domain/turnaround.js';
import type { ProviderBatchSnapshot } from '../../../shared/ports/BatchProvider.js';
import type { StateStore } from '../../../shared/ports/StateStore.js';
import {
  createStuckBatchWatch,
  type StuckBatchDeps,
} from '../../../shared/usecases/handleStuckBatches.js';
import type { RuntimeSettings } from '../../../shared/usecases/RuntimeDeps.js';
import { FakeClock } from '../../support/fakes/FakeClock.js';
import { InMemoryBatchProvider } from '../../support/fakes/InMemoryBatchProvider.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';
import { InMemoryBudgetReservations } from '../../support/fakes/InMemoryBudgetReservations.js';
import { InMemoryEventPublisher } from '../../support/fakes/InMemoryEventPublisher.js';
import { InMemoryQueue } from '../../support/fakes/InMemoryQueue.js';
import { InMemoryRealtimeDispatcher } from '../../support/fakes/InMemoryQueuePorts.js';
import { InMemoryTurnaroundLog } from '../../support/fakes/InMemoryTurnaroundLog.js';
import { RecordingLogger, RecordingMetrics } from '../../support/fakes/RecordingObservability.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const MODEL = 'claude-sonnet-4-5';

/**
 * The members of one batch: all the watch reads of the state store, and the escalation mark;
 * no batch is active for admission to count (it reads them only when quotas are set).
 */
class FakeMembers implements Pick<StateStore, 'listItems' | 'escalateMember' | 'listDueBatches'> {
  readonly items = new Map<string, BatchItem>();

  async listDueBatches(): Promise<BatchRecord[]> {
    return [];
  }

  async *listItems(batchId: string): AsyncIterable<BatchItem[]> {
    yield [...this.items.values()].filter((item) => item.batchId === batchId);
  }

  async escalateMember(batchId: string, providerCustomId: string, at: string): Promise<boolean> {
    const item = this.items.get(providerCustomId);
    if (item === undefined || item.batchId !== batchId || item.escalatedAt !== null) return false;
    this.items.set(providerCustomId, { ...item, escalatedAt: at });
    return true;
  }
}

const member = (batchId: string, index: number, deadline: string | null): BatchItem => ({
  batchId,
  providerCustomId: `r${index}`,
  producer: '',
  customId: `req-${index}`,
  model: MODEL,
  destination: { type: 'sqs', queue_url: 'https://sqs.us-east-1.amazonaws.com/1/results' },
  metadata: null,
  attempts: 1,
  acceptedAt: '2026-11-26T09:00:00.000Z',
  deadline,
  status: null,
  deliveredAt: null,
  escalatedAt: null,
  lane: { requested: deadline === null ? 'batch' : 'auto', reason: 'test' },
  cost: null,
});

const setup = async (stuck: Partial<StuckBatchSettings> = {}) => {
  const clock = new FakeClock('2026-11-26T10:00:00.000Z');
  const provider = new InMemoryBatchProvider(clock, { processingMs: 100 * HOUR });
  const events = new InMemoryEventPublisher();
  const metrics = new RecordingMetrics();
  const logger = new RecordingLogger();
  const turnarounds = new InMemoryTurnaroundLog();
  const realtimeQueue = new InMemoryQueue(clock);
  const blobs = new InMemoryBlobStore();
  const store = new FakeMembers();
  const settings = {
    escalateBeforeDeadlineMs: 30 * MIN,
    budget: { dailyNanoUsd: null, monthlyNanoUsd: null },
    quotas: {},
    priceTable: defaultPriceTable,
    unpricedCeilingNanoUsdPerToken: null,
    stuckBatches: { ...DEFAULT_STUCK_SETTINGS, floorMs: 2 * HOUR, minHistory: 3, ...stuck },
  } as unknown as RuntimeSettings;
  // The runtime as far as the watch and the escalation path use it; the rest is never read.
  const deps = {
    providers: { anthropic: provider },
    turnarounds,
    events,
    blobs,
    budgets: new InMemoryBudgetReservations(),
    realtime: new InMemoryRealtimeDispatcher(realtimeQueue),
    realtimeProviders: {},
    clock,
    logger,
    metrics,
    settings,
    store,
  } as unknown as StuckBatchDeps;

  // A submitted batch of three members, two of them with deadlines, and its input file.
  const batchId = 'bl_stuck';
  const deadline = new Date(clock.now().getTime() + 20 * HOUR).toISOString();
  const members = [
    member(batchId, 0, deadline),
    member(batchId, 1, null),
    member(batchId, 2, deadline),
  ];
  for (const item of members) store.items.set(item.providerCustomId, item);
  const lines = members.map(
    (item) =>
      `${JSON.stringify({ custom_id: item.providerCustomId, params: { model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] } })}\n`,
  );
  const snapshot = await provider.submit({
    batchId,
    endpoint: '/v1/messages',
    openInput: async () => Readable.from(lines),
    requestCount: lines.length,
    inputBytes: lines.join('').length,
  });
  let batch: BatchRecord = {
    ...newBatchRecord({
      batchId,
      provider: 'anthropic',
      endpoint: '/v1/messages',
      models: [MODEL],
      state: 'submitted',
      createdAt: clock.now().toISOString(),
      nextPollAt: clock.now().toISOString(),
    }),
    requestCount: lines.length,
    providerBatchId: snapshot.providerBatchId,
    providerStatus: snapshot.providerStatus,
    providerExpiresAt: snapshot.expiresAt,
    submittedAt: clock.now().toISOString(),
  };
  await blobs.put(batch.inputKey, lines.join(''));

  const watch = createStuckBatchWatch(deps);
  /** One poll as the poller does it: retrieve, watch, write the marks back. */
  const observe = async (seen: ProviderBatchSnapshot) => {
    const result = await watch(batch, seen, clock.now());
    batch = { ...batch, providerStatus: seen.providerStatus, ...result.patch };
    return { seen, result };
  };
  const poll = async () => observe(await provider.retrieve(snapshot.providerBatchId));
  const stuckEvents = () => events.detailsOf<BatchStuckDetail>(DETAIL_TYPES.batchStuck);
  return {
    clock,
    provider,
    events,
    metrics,
    turnarounds,
    realtimeQueue,
    store,
    poll,
    observe,
    stuckEvents,
    batch: () => batch,
    setBatch: (next: BatchRecord) => {
      batch = next;
    },
  };
};

const history = (batches: number, turnaroundMs: number, start = Date.parse('2026-11-01')) =>
  Array.from(
    { length: batches },
    (_, i): BatchTimes => ({
      batchId: `old_${i}`,
      provider: 'anthropic',
      model: MODEL,
      requestCount: 10,
      submittedAt: new Date(start + i * HOUR).toISOString(),
      inProgressAt: null,
      endedAt: new Date(start + i * HOUR + turnaroundMs).toISOString(),
      firstDeliveredAt: null,
      lastDeliveredAt: new Date(start + i * HOUR + turnaroundMs).toISOString(),
    }),
  );

describe('createStuckBatchWatch: detection', () => {
  it('raises nothing while the batch is within its p99 turnaround', async () => {
    const t = await setup();
    for (const times of history(10, 30 * MIN)) await t.turnarounds.record(times);
    t.clock.advance(29 * MIN);
    const { result } = await t.poll();
    expect(result.patch.stuckAt).toBeNull();
    expect(t.stuckEvents()).toEqual([]);
  });

  it('raises Batch Stuck past the p99 of recorded history, with its basis', async () => {
    const t = await setup();
    for (const times of history(10, 30 * MIN)) await t.turnarounds.record(times);
    t.clock.advance(31 * MIN);
    const { result } = await t.poll();
    expect(result.patch.stuckAt).toBe(t.clock.now().toISOString());
    expect(t.stuckEvents()).toEqual([
      expect.objectContaining({
        batch_id: 'bl_stuck',
        provider: 'anthropic',
        reason: 'no_progress',
        limit_seconds: 1800,
        basis: { batches: 10 },
        policy: 'leave',
        action: { cancel: false, escalate: false },
      }),
    ]);
    expect(t.metrics.total(METRIC.BatchesStuck, { provider: 'anthropic' })).toBe(1);
  });

  it('uses the floor while history is thin', async () => {
    const t = await setup();
    for (const times of history(2, 10 * MIN)) await t.turnarounds.record(times);
    t.clock.advance(HOUR);
    await t.poll();
    expect(t.stuckEvents()).toEqual([]);
    t.clock.advance(HOUR + MIN);
    await t.poll();
    expect(t.stuckEvents()).toEqual([
      expect.objectContaining({ reason: 'no_progress', limit_seconds: 7200, basis: null }),
    ]);
  });

  it('raises once per stuck episode, and again after progress and a new stall', async () => {
    const t = await setup();
    t.clock.advance(2 * HOUR + MIN);
    await t.poll();
    t.clock.advance(10 * MIN);
    await t.poll();
    t.clock.advance(10 * MIN);
    await t.poll();
    expect(t.stuckEvents()).toHaveLength(1);
    expect(t.metrics.total(METRIC.BatchesStuck)).toBe(1);

    // The provider reports a new status: the episode is over.
    t.setBatch({ ...t.batch(), providerStatus: 'validating' });
    const progressed = await t.poll();
    expect(progressed.result.patch).toMatchObject({
      stuckAt: null,
      progressAt: t.clock.now().toISOString(),
    });
    t.clock.advance(HOUR);
    await t.poll();
    expect(t.stuckEvents()).toHaveLength(1);
    t.clock.advance(HOUR + MIN);
    await t.poll();
    expect(t.stuckEvents()).toHaveLength(2);
    expect(t.stuckEvents()[1]?.no_progress_since).toBe(progressed.result.patch.progressAt);
  });

  it('raises when the batch will pass an auto member’s deadline', async () => {
    const t = await setup();
    // The most urgent auto member is due in 90 min (escalateAt is that less the 30 min lead).
    t.setBatch({
      ...t.batch(),
      escalateAt: new Date(t.clock.now().getTime() + 60 * MIN).toISOString(),
    });
    t.clock.advance(30 * MIN);
    await t.poll();
    expect(t.stuckEvents()).toEqual([]);
    // 50 min without progress, 40 min left.
    t.clock.advance(20 * MIN);
    await t.poll();
    expect(t.stuckEvents()).toEqual([
      expect.objectContaining({
        reason: 'deadline',
        deadline: new Date(Date.parse('2026-11-26T10:00:00.000Z') + 90 * MIN).toISOString(),
      }),
    ]);
  });

  it('records when the provider first reported the batch running', async () => {
    const t = await setup();
    t.setBatch({ ...t.batch(), providerStatus: 'validating' });
    t.clock.advance(MIN);
    const first = await t.poll();
    expect(first.seen.providerStatus).toBe('in_progress');
    expect(first.result.patch.inProgressAt).toBe(t.clock.now().toISOString());
    t.clock.advance(MIN);
    const second = await t.poll();
    expect(second.result.patch.inProgressAt).toBe(first.result.patch.inProgressAt);
  });
});

describe('createStuckBatchWatch: policies', () => {
  it('leave: the event and metric only; the batch runs on', async () => {
    const t = await setup({ policies: { anthropic: 'leave' } });
    t.clock.advance(3 * HOUR);
    const { result } = await t.poll();
    expect(result.pollSoon).toBe(false);
    expect(t.stuckEvents()[0]?.policy).toBe('leave');
    t.clock.advance(MIN);
    expect((await t.poll()).seen.providerStatus).toBe('in_progress');
    expect(t.realtimeQueue.size).toBe(0);
  });

  it('cancel_resubmit: cancels at the provider once, and asks to be polled soon', async () => {
    const t = await setup({ policies: { anthropic: 'cancel_resubmit' }, defaultPolicy: 'leave' });
    t.clock.advance(3 * HOUR);
    const { result } = await t.poll();
    expect(result.pollSoon).toBe(true);
    expect(t.stuckEvents()).toEqual([
      expect.objectContaining({
        policy: 'cancel_resubmit',
        action: { cancel: true, escalate: false },
      }),
    ]);
    // The fake ends a cancelled batch with every request `canceled`: completion sends them on.
    t.clock.advance(MIN);
    const after = await t.poll();
    expect(after.seen.phase).toBe('ended');
    expect(t.stuckEvents()).toHaveLength(1);
  });

  it('cancel_resubmit: the event comes before the cancel; a failed cancel is raised and tried again', async () => {
    const t = await setup({ policies: { anthropic: 'cancel_resubmit' } });
    t.clock.advance(3 * HOUR);
    const seen = await t.provider.retrieve(t.batch().providerBatchId ?? '');
    // The provider refuses the cancel (the key was revoked since the poll's retrieve).
    t.provider.authorize(false);
    await expect(t.observe(seen)).rejects.toThrow();
    // Told before acting (a run dying after the cancel must not leave it untold), not marked.
    expect(t.stuckEvents()).toHaveLength(1);
    expect(t.batch().stuckAt ?? null).toBeNull();
    expect(t.metrics.total(METRIC.BatchesStuck)).toBe(0);
    t.provider.authorize(true);
    const { result } = await t.poll();
    expect(result.pollSoon).toBe(true);
    expect(result.patch.stuckAt).toBe(t.clock.now().toISOString());
    expect(t.stuckEvents()).toHaveLength(2);
    expect(t.metrics.total(METRIC.BatchesStuck)).toBe(1);
  });

  it('cancel_resubmit: a batch found cancelling (its mark lost after the cancel, or cancelled by hand) is not raised again', async () => {
    const t = await setup({ policies: { anthropic: 'cancel_resubmit' } });
    t.clock.advance(3 * HOUR);
    const seen = await t.provider.retrieve(t.batch().providerBatchId ?? '');
    // The batch record still reads in_progress and unmarked; the provider says canceling.
    const { result } = await t.observe({ ...seen, providerStatus: 'canceling' });
    expect(result).toEqual({
      patch: expect.objectContaining({ stuckAt: null, progressAt: null }),
      pollSoon: true,
    });
    expect(t.stuckEvents()).toEqual([]);
    expect(t.metrics.total(METRIC.BatchesStuck)).toBe(0);
  });

  it('escalate: members with deadlines go to the realtime lane, the rest stay', async () => {
    const t = await setup({ defaultPolicy: 'escalate' });
    t.clock.advance(3 * HOUR);
    await t.poll();
    expect(t.stuckEvents()).toEqual([
      expect.objectContaining({ policy: 'escalate', action: { cancel: false, escalate: true } }),
    ]);
    const received = t.realtimeQueue.drain();
    for (const message of received) t.realtimeQueue.delete(message.receiptHandle);
    const jobs = received.map((m) => JSON.parse(m.body) as RealtimeJob);
    expect(jobs.map((job) => job.custom_id).sort()).toEqual(['req-0', 'req-2']);
    expect(jobs.every((job) => job.lane === 'realtime' && job.target.kind === 'member')).toBe(true);
    expect(t.store.items.get('r0')?.escalatedAt).not.toBeNull();
    expect(t.store.items.get('r1')?.escalatedAt).toBeNull();
    // Once per episode: a later poll escalates nothing more.
    t.clock.advance(MIN);
    await t.poll();
    expect(t.realtimeQueue.size).toBe(0);
  });
});
