import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../../../shared/contract/events.js';
import { canonicalJson } from '../../../../shared/domain/canonicalJson.js';
import { batchIdOfCompletionMessage } from '../../../../shared/domain/completionMessage.js';
import {
  type CollectorReport,
  createCollector,
} from '../../../../shared/usecases/createCollector.js';
import { type FakeRuntime, fakeRuntime } from '../../../support/fakeRuntime.js';
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
import { type CallRecord, Crash, crashablePorts } from './crashablePorts.js';

/*
 * A crash at every I/O call of one collector invocation and the sealing that follows it (the
 * completion function taking up the batch the invocation filled), each from the same start:
 * then SQS redelivers what the crashed invocation did not acknowledge, and the deployment
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

const setUp = (): FakeRuntime =>
  fakeRuntime({ processingMs: RUNNING, settings: { maxRequestsPerBatch: 4 } });

interface RunOutcome {
  readonly fake: FakeRuntime;
  readonly calls: readonly CallRecord[];
  readonly crashedIn: 'collector' | 'sealing' | null;
  readonly batchIds: Set<string>;
  /** Provider batches created, by every `submit` that returned. */
  readonly providerSubmits: number;
}

/**
 * The invocation and the sealing it hands to the completion function, with a crash at I/O
 * call `crashAt`; then, clean, SQS's redelivery of what was not acknowledged (until every
 * message is) and the deployment finishing every batch.
 */
const runWithCrashAt = async (crashAt: number | null): Promise<RunOutcome> => {
  const fake = setUp();
  const messages = invocation();
  const crashing = crashablePorts(fake.deps, crashAt);
  const batchIds = new Set<string>();

  // The invocation: a crash loses its answer, so SQS sends every message again.
  let report: CollectorReport | null = null;
  try {
    report = await createCollector(crashing.deps)(messages);
  } catch (error) {
    if (!(error instanceof Crash)) throw error;
  }
  const crashedInCollector = crashing.crashed();
  if (crashedInCollector) report = null;
  for (const id of report?.batches ?? []) batchIds.add(id);

  // The completion function takes up the batches the invocation sealed.
  if (!crashing.crashed()) {
    for (const queued of fake.completionQueue.drain()) {
      const batchId = batchIdOfCompletionMessage(queued.body);
      if (batchId === null) continue;
      try {
        await resumeSealing(crashing.deps, batchId);
        fake.completionQueue.delete(queued.receiptHandle);
      } catch (error) {
        if (!(error instanceof Crash)) throw error;
        // Left in the queue: it comes back after its visibility timeout.
      }
    }
  }
  const crashedIn = crashedInCollector ? 'collector' : crashing.crashed() ? 'sealing' : null;

  // From here on, nothing crashes: redelivery, then the poller and completion function.
  const clean = crashablePorts(fake.deps, null);
  const collect = createCollector(clean.deps);
  let pending =
    report === null
      ? messages
      : messages.filter((m) => report?.failedMessageIds.includes(m.messageId));
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

  const submits = [...crashing.calls, ...clean.calls].filter(
    (c) => c.call === 'providers.anthropic.submit' && c.outcome === 'ok',
  ).length;
  return { fake, calls: crashing.calls, crashedIn, batchIds, providerSubmits: submits };
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

describe('collector and sealing: a crash at every I/O call', () => {
  it('without a crash, submits every accepted request once and refuses the rest', async () => {
    const run = await runWithCrashAt(null);

    expect(run.crashedIn).toBeNull();
    await expectEveryRequestOnce(run, 'clean');
    // The filled batch was sealed and submitted by the run itself (two batches of ≤ 4).
    expect(run.calls.filter((c) => c.call === 'providers.anthropic.submit').length).toBe(2);
  });

  it('after a crash at any I/O call, redelivery and the poller still submit every accepted request exactly once', async () => {
    const clean = await runWithCrashAt(null);
    const total = clean.calls.length;
    expect(total).toBeGreaterThan(20);

    const crashedAt = new Map<string, number>();
    for (let k = 1; k <= total; k++) {
      const run = await runWithCrashAt(k);
      const call = run.calls[k - 1]?.call ?? '?';
      expect(run.crashedIn, `crash at ${k} (${call})`).not.toBeNull();
      crashedAt.set(
        `${run.crashedIn}:${call}`,
        (crashedAt.get(`${run.crashedIn}:${call}`) ?? 0) + 1,
      );
      await expectEveryRequestOnce(run, `crash at ${k} (${call}, in ${run.crashedIn})`);
    }
    // Both halves were cut at each kind of call they make.
    const kinds = (c: CallRecord) => c.call;
    for (const call of new Set(clean.calls.map(kinds))) {
      expect(
        [...crashedAt.keys()].some((key) => key.endsWith(`:${call}`)),
        call,
      ).toBe(true);
    }
  });
});
