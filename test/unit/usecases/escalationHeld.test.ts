import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../../shared/contract/events.js';
import type { BatchRecord } from '../../../shared/domain/records.js';
import { DEFAULT_STUCK_SETTINGS } from '../../../shared/domain/stuckBatch.js';
import { createCollector } from '../../../shared/usecases/createCollector.js';
import { createCompletion } from '../../../shared/usecases/createCompletion.js';
import { createPoller } from '../../../shared/usecases/createPoller.js';
import type { RuntimeDeps } from '../../../shared/usecases/RuntimeDeps.js';
import { type FakeRuntime, fakeRuntime } from '../../support/fakeRuntime.js';
import { anthropicRequest } from '../../support/requests.js';

const START = '2026-03-02T00:00:00.000Z';
const HOUR_MS = 3_600_000;
const at = (hours: number): string => new Date(Date.parse(START) + hours * HOUR_MS).toISOString();

/** An `auto` request whose deadline leaves room for a batch (24 h window plus an hour). */
const autoRequest = (id: string, deadlineHours: number) => ({
  messageId: `m-${id}`,
  body: JSON.stringify(
    anthropicRequest(
      id,
      { type: 'sqs', queue_url: 'https://sqs.us-east-1.amazonaws.com/111111111111/results' },
      { tier: 'auto', deadline: at(deadlineHours) },
    ),
  ),
});

/** The poller of the same runtime under a daily budget: a tiny one holds every escalation. */
const pollerWithBudget = (runtime: FakeRuntime, dailyNanoUsd: number) => {
  const deps: RuntimeDeps = {
    ...runtime.deps,
    settings: {
      ...runtime.deps.settings,
      budget: { dailyNanoUsd, monthlyNanoUsd: null },
    },
  };
  return createPoller(deps);
};

const heldEvents = (runtime: FakeRuntime) =>
  runtime.events
    .published()
    .filter((e) => e.detailType === DETAIL_TYPES.requestsHeld)
    .map((e) => e.detail as { custom_ids: string[]; reason: string; batch_id?: string });

describe('escalations held by a budget', () => {
  it('are reported once per hold episode, and again when a later hold begins', async () => {
    // Batches run two days here, so their members come near their deadlines while running.
    const runtime = fakeRuntime({ start: START, processingMs: 48 * HOUR_MS });
    const collected = await createCollector(runtime.deps)([
      autoRequest('early', 26),
      autoRequest('late', 30),
    ]);
    const [batchId] = collected.batches;
    if (batchId === undefined) throw new Error('no batch was made');
    expect((await createCompletion(runtime.deps)(batchId)).outcome).toBe('submitted');
    const batch = async (): Promise<BatchRecord> => {
      const record = await runtime.store.getBatch(batchId);
      if (record === null) throw new Error('the batch is gone');
      return record;
    };
    const held = pollerWithBudget(runtime, 1);
    const free = pollerWithBudget(runtime, 1e15);

    // `early` is 30 minutes from its deadline: its escalation is held on poll after poll.
    runtime.clock.advance(25.6 * HOUR_MS);
    await held();
    expect(heldEvents(runtime)).toEqual([
      expect.objectContaining({ reason: 'budget_daily', custom_ids: ['early'], batch_id: batchId }),
    ]);
    const episode = (await batch()).escalationHeldAt;
    expect(episode).toBe(runtime.clock.now().toISOString());
    for (let poll = 0; poll < 3; poll += 1) {
      runtime.clock.advance(2 * 60_000);
      await held();
    }
    expect(heldEvents(runtime)).toHaveLength(1);
    expect((await batch()).escalationHeldAt).toBe(episode);
    expect(runtime.realtimeQueue.size).toBe(0);

    // The budget has room again: `early` is escalated, and the episode ends.
    runtime.clock.advance(2 * 60_000);
    await free();
    expect(runtime.realtimeQueue.size).toBe(1);
    expect((await batch()).escalationHeldAt ?? null).toBeNull();
    expect(heldEvents(runtime)).toHaveLength(1);

    // `late` comes near its deadline under the tiny budget: a new episode, reported anew.
    runtime.clock.advance(4 * HOUR_MS);
    await held();
    runtime.clock.advance(2 * 60_000);
    await held();
    expect(heldEvents(runtime).map((e) => e.custom_ids)).toEqual([['early'], ['late']]);
    expect((await batch()).escalationHeldAt ?? null).not.toBeNull();
  });

  it('are reported once per hold episode whichever path meets the hold: stuck, then late', async () => {
    // A stuck batch (no progress for 2 h) escalates its members with deadlines at once.
    const runtime = fakeRuntime({
      start: START,
      processingMs: 48 * HOUR_MS,
      settings: {
        stuckBatches: {
          ...DEFAULT_STUCK_SETTINGS,
          defaultPolicy: 'escalate',
          floorMs: 2 * HOUR_MS,
        },
      },
    });
    const collected = await createCollector(runtime.deps)([
      autoRequest('early', 26),
      autoRequest('late', 30),
    ]);
    const [batchId] = collected.batches;
    if (batchId === undefined) throw new Error('no batch was made');
    expect((await createCompletion(runtime.deps)(batchId)).outcome).toBe('submitted');
    const batch = async (): Promise<BatchRecord> => {
      const record = await runtime.store.getBatch(batchId);
      if (record === null) throw new Error('the batch is gone');
      return record;
    };
    const stuckEvents = () =>
      runtime.events.published().filter((e) => e.detailType === DETAIL_TYPES.batchStuck);
    const held = pollerWithBudget(runtime, 1);
    const free = pollerWithBudget(runtime, 1e15);

    // Stuck: the `escalate` policy's escalations are held by the budget, and reported.
    runtime.clock.advance(3 * HOUR_MS);
    await held();
    expect(stuckEvents()).toHaveLength(1);
    expect(heldEvents(runtime).map((e) => e.custom_ids.sort())).toEqual([['early', 'late']]);
    const episode = (await batch()).escalationHeldAt;
    expect(episode).toBe(runtime.clock.now().toISOString());

    // `early` comes near its deadline: the late-member path meets the same hold, silently.
    runtime.clock.advance(22.6 * HOUR_MS);
    for (let poll = 0; poll < 3; poll += 1) {
      await held();
      runtime.clock.advance(2 * 60_000);
    }
    expect(heldEvents(runtime)).toHaveLength(1);
    expect((await batch()).escalationHeldAt).toBe(episode);
    expect(runtime.realtimeQueue.size).toBe(0);

    // The hold clears: `early` is escalated and the episode ends.
    await free();
    expect(runtime.realtimeQueue.size).toBe(1);
    expect((await batch()).escalationHeldAt ?? null).toBeNull();

    // A new hold, when `late` comes near its deadline: reported once more.
    runtime.clock.advance(4 * HOUR_MS);
    await held();
    runtime.clock.advance(2 * 60_000);
    await held();
    expect(heldEvents(runtime).map((e) => e.custom_ids)).toEqual([['early', 'late'], ['late']]);
    expect(stuckEvents()).toHaveLength(1);
  });
});
