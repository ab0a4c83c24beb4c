import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../../../shared/contract/events.js';
import { canonicalJson } from '../../../../shared/domain/canonicalJson.js';
import { batchIdOfCompletionMessage } from '../../../../shared/domain/completionMessage.js';
import {
  type CollectorReport,
  createCollector,
  type IntakeMessage,
} from '../../../../shared/usecases/createCollector.js';
import { createPoller } from '../../../../shared/usecases/createPoller.js';
import type { RuntimeSettings } from '../../../../shared/usecases/RuntimeDeps.js';
import { type FakeRuntime, fakeRuntime } from '../../../support/fakeRuntime.js';
import { InjectedCrash, type IoLog, instrumentIo } from '../../../support/ioCrashes.js';
import {
  drainSealing,
  ledgerEntryOf,
  message,
  RESULTS,
  rejectionsOf,
  requestBody,
  requests,
  resumeSealing,
  submittedBatches,
} from './collectorScenario.js';

/*
 * A crash at every I/O call of one collector invocation and the sealing that follows it (the
 * poller stopping a batch whose filling time is up, the completion function taking up the
 * batches handed to it), each from the same start: then SQS redelivers what the crashed invocation did not acknowledge, and the deployment
 * (completion queue, poller) finishes what was cut off. Whatever the crash point, every
 * accepted request is a member of exactly one submitted batch, sent to the provider once, and
 * every refusal is still refused.
 */

/** Provider batches that run for a day: submitted batches stay `submitted` here. */
const RUNNING = 86_400_000;

/** Accepted: c-1…c-6 (two batches of at most four). */
const ACCEPTED = ['c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6'];

/** One SQS batch: requests, an identical resend, a conflicting body, two refusals. */
const invocation = () => {
  const [m1, m2, m3, ...rest] = requests(1, 6);
  if (m1 === undefined || m2 === undefined || m3 === undefined) throw new Error('no requests');
  return [
    m1,
    m2,
    message('m-2-again', m2.body),
    m3,
    message('m-3-other', requestBody('c-3', 'a different question')),
    message('m-bad', '{"custom_id": "c-bad", '),
    message('m-nobody', JSON.stringify({ ...JSON.parse(requestBody('c-u')), provider: 'nobody' })),
    ...rest,
  ];
};

/** The code each refused message is refused with. */
const REFUSED = {
  'm-3-other': 'conflicting_resend',
  'm-bad': 'malformed_json',
  'm-nobody': 'unknown_provider',
};

/** Where the crash window starts from, and what runs in it. */
interface Scenario {
  readonly settings: Partial<RuntimeSettings>;
  /** Invocations run, clean and acknowledged, before the crash window. */
  readonly before: readonly (readonly IntakeMessage[])[];
  /** The invocation the crash window opens with. */
  readonly messages: readonly IntakeMessage[];
  /** Whether the poller seals the batch (its filling time up) inside the window. */
  readonly pollerSeals: boolean;
}

/** One invocation that fills two batches of at most four and hands both to sealing. */
const ONE_INVOCATION: Scenario = {
  settings: { maxRequestsPerBatch: 4 },
  before: [],
  messages: invocation(),
  pollerSeals: false,
};

/** A second invocation adds a part to a batch still filling; the poller seals it. */
const SECOND_PART: Scenario = {
  settings: { batchMaxAgeMs: 3_600_000 },
  before: [requests(1, 3)],
  messages: invocation().filter((m) => !['m-1', 'm-2', 'm-3'].includes(m.messageId)),
  pollerSeals: true,
};

interface RunOutcome {
  readonly fake: FakeRuntime;
  readonly calls: readonly string[];
  readonly crashedIn: 'collector' | 'sealing' | null;
  readonly batchIds: Set<string>;
  /** Provider batches created, by every `submit` that returned. */
  readonly providerSubmits: number;
}

/**
 * Runs a step of the crash window. A crash ends it, whatever it was wrapped in on the way
 * out (the poller reports its batches' failures as one `AggregateError`).
 */
const unlessCrashed = async (log: IoLog, step: () => Promise<unknown>): Promise<void> => {
  try {
    await step();
  } catch (error) {
    if (!(error instanceof InjectedCrash) && log.crashed === null) throw error;
  }
};

/**
 * The scenario's invocation, then sealing (by the poller when the filling time is up, and
 * the completion function), with a crash at I/O call `crashAt`; then, clean, SQS's
 * redelivery of what was not acknowledged (until every message is) and the deployment
 * finishing every batch.
 */
const runWithCrashAt = async (scenario: Scenario, crashAt: number | null): Promise<RunOutcome> => {
  const fake = fakeRuntime({ processingMs: RUNNING, settings: scenario.settings });
  const batchIds = new Set<string>();
  for (const messages of scenario.before) {
    for (const id of (await createCollector(fake.deps)(messages)).batches) batchIds.add(id);
  }
  // A process that died at call `crashAt` makes no call after it.
  const crashing = instrumentIo(fake.deps, crashAt === null ? null : { at: crashAt, mode: 'die' });
  const crashed = () => crashing.log.crashed !== null;

  // The invocation: a crash loses its answer, so SQS sends every message again.
  let report = null as CollectorReport | null;
  await unlessCrashed(crashing.log, async () => {
    report = await createCollector(crashing.deps)(scenario.messages);
  });
  const crashedInCollector = crashed();
  const answered: CollectorReport | null = crashedInCollector ? null : report;
  for (const id of answered?.batches ?? []) batchIds.add(id);

  // The poller seals what has filled long enough; the completion function takes it up.
  if (scenario.pollerSeals && !crashed()) {
    fake.clock.advance(fake.deps.settings.batchMaxAgeMs + 1_000);
    await unlessCrashed(crashing.log, () => createPoller(crashing.deps)());
  }
  if (!crashed()) {
    for (const queued of fake.completionQueue.drain()) {
      const batchId = batchIdOfCompletionMessage(queued.body);
      if (batchId === null || crashed()) continue;
      // Left in the queue after a crash: it comes back after its visibility timeout.
      await unlessCrashed(crashing.log, async () => {
        await resumeSealing(crashing.deps, batchId);
        fake.completionQueue.delete(queued.receiptHandle);
      });
    }
  }
  const crashedIn = crashedInCollector ? 'collector' : crashed() ? 'sealing' : null;

  // From here on, nothing crashes: redelivery, then the poller and completion function.
  const clean = instrumentIo(fake.deps, null);
  const collect = createCollector(clean.deps);
  let pending =
    answered === null
      ? [...scenario.messages]
      : scenario.messages.filter((m) => answered.failedMessageIds.includes(m.messageId));
  for (let delivery = 0; pending.length > 0 && delivery < 3; delivery++) {
    const again = await collect(pending);
    for (const id of again.batches) batchIds.add(id);
    pending = pending.filter((m) => again.failedMessageIds.includes(m.messageId));
  }
  expect(
    pending.map((m) => m.messageId),
    'messages never acknowledged',
  ).toEqual([]);
  await drainSealing({ ...fake, deps: clean.deps });

  const submits = [...crashing.log.returned, ...clean.log.returned].filter(
    (call) => call === 'providers.anthropic.submit',
  ).length;
  return { fake, calls: crashing.log.calls, crashedIn, batchIds, providerSubmits: submits };
};

/** Every invariant of a finished run, whatever crashed where. */
const expectEveryRequestOnce = async (run: RunOutcome, label: string): Promise<void> => {
  const { fake } = run;
  // The batches the deployment ended up with: those the runs reported, and any the poller
  // found (a batch whose collector crashed before reporting it is known only to the store).
  const due = await fake.store.listDueBatches('9999-12-31T23:59:59.999Z', 100);
  const ids = new Set([...run.batchIds, ...due.map((b) => b.batchId)]);
  const submitted = await submittedBatches(fake, ids);

  // Nothing left half-way: every batch is submitted, or closed with no member.
  for (const id of ids) {
    const batch = await fake.store.getBatch(id);
    expect(
      batch?.state === 'submitted' || (batch?.state === 'completed' && batch.requestCount === 0),
      `${label}: batch ${id} is ${batch?.state}`,
    ).toBe(true);
  }
  expect(fake.completionQueue.size, `${label}: completion queue`).toBe(0);

  // Every accepted request a member of exactly one submitted batch; nothing else a member.
  const memberships = submitted.flatMap((s) =>
    [...s.members.values()].map((customId) => ({ customId, batchId: s.batch.batchId })),
  );
  expect(memberships.map((m) => m.customId).sort(), `${label}: members`).toEqual(ACCEPTED);
  for (const s of submitted) {
    // What the provider received is exactly the members, each once; the counts are exact.
    expect([...s.providerLines].sort(), `${label}: lines of ${s.batch.batchId}`).toEqual(
      [...s.members.keys()].sort(),
    );
    expect(s.batch.requestCount, `${label}: count of ${s.batch.batchId}`).toBe(s.members.size);
    expect(s.batch.inputBytes, `${label}: bytes of ${s.batch.batchId}`).toBe(s.inputBytes);
  }
  // One provider batch per submitted batch: no submission made twice.
  expect(run.providerSubmits, `${label}: provider batches`).toBe(submitted.length);
  expect(
    fake.events.detailsOf<{ batch_id: string }>(DETAIL_TYPES.batchSubmitted).length,
    `${label}: Batch Submitted events`,
  ).toBeLessThanOrEqual(submitted.length);

  // The ledger holds each accepted id, claimed by the batch it is a member of.
  for (const { customId, batchId } of memberships) {
    const entry = await ledgerEntryOf(fake.deps, customId);
    expect(entry, `${label}: ledger entry of ${customId}`).toMatchObject({
      state: 'claimed',
      batchId,
    });
  }

  // Refusals are still refusals, with their codes; the one with a readable id is recorded.
  const rejections = rejectionsOf(fake);
  for (const [messageId, code] of Object.entries(REFUSED)) {
    const events = rejections.get(messageId) ?? [];
    expect(events.length, `${label}: Request Rejected for ${messageId}`).toBeGreaterThan(0);
    for (const event of events) expect(event.reason.code, `${label}: ${messageId}`).toBe(code);
  }
  expect(await ledgerEntryOf(fake.deps, 'c-u'), `${label}: c-u`).toMatchObject({
    state: 'rejected',
  });
  // c-u's `rejected` result may be sent again after a crash, always the same result.
  const delivered = fake.deliverer.receivedAt(RESULTS);
  expect(delivered.length, `${label}: rejected results`).toBeGreaterThan(0);
  expect(new Set(delivered.map((r) => canonicalJson(r))).size, `${label}: one result`).toBe(1);
  expect(delivered[0], label).toMatchObject({ custom_id: 'c-u', status: 'rejected' });
};

/** Crashes at every I/O call of a scenario's window, each from the same start. */
const crashEverywhere = async (scenario: Scenario) => {
  const clean = await runWithCrashAt(scenario, null);
  await expectEveryRequestOnce(clean, 'clean');
  const crashedAt = new Set<string>();
  for (let k = 1; k <= clean.calls.length; k++) {
    const run = await runWithCrashAt(scenario, k);
    const call = run.calls[k - 1] ?? '?';
    expect(run.crashedIn, `crash at ${k} (${call})`).not.toBeNull();
    crashedAt.add(call);
    await expectEveryRequestOnce(run, `crash at ${k} (${call}, in ${run.crashedIn})`);
  }
  return { clean, crashedAt };
};

describe('collector and sealing: a crash at every I/O call', () => {
  it('without a crash, submits every accepted request once and refuses the rest', async () => {
    const run = await runWithCrashAt(ONE_INVOCATION, null);

    expect(run.crashedIn).toBeNull();
    await expectEveryRequestOnce(run, 'clean');
    // Both batches were sealed and submitted in the window itself.
    expect(run.calls.filter((c) => c === 'providers.anthropic.submit').length).toBe(2);
  });

  it('one invocation and its sealing: after a crash at any I/O call, every accepted request is submitted exactly once', async () => {
    const { clean, crashedAt } = await crashEverywhere(ONE_INVOCATION);

    expect(clean.calls.length).toBeGreaterThan(20);
    // Every kind of call the window makes was cut off at least once.
    expect([...new Set(clean.calls)].filter((c) => !crashedAt.has(c))).toEqual([]);
  });

  it('a second part of a filling batch and the poller sealing it: after a crash at any I/O call, every accepted request is submitted exactly once', async () => {
    const { clean, crashedAt } = await crashEverywhere(SECOND_PART);

    const calls = new Set(clean.calls);
    // The window adds a part, and the poller (not the collector) stops the filling.
    expect(calls).toContain('store.reservePart');
    expect(calls).toContain('store.listDueBatches');
    expect(calls).toContain('store.stopFilling');
    expect([...calls].filter((c) => !crashedAt.has(c))).toEqual([]);
  });
});
