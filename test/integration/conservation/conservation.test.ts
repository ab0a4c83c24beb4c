import { describe, expect, it } from 'vitest';
import {
  type ConservationOptions,
  type ConservationReport,
  formatReport,
  runConservation,
  TERMINAL_STATUSES,
} from './conservationRun.js';

const MAX_ATTEMPTS = 3;
/**
 * Passes by invocations allowed to crash after which a step must have crashed. Three, not two:
 * completion has up to two deliveries and a checkpoint write in flight at once, so which call
 * is an invocation's k-th varies from run to run near its end.
 */
const RARE_STEP_REACH = 3;

/** Everything the conservation property says, checked on one run's report. */
const assertConserved = (report: ConservationReport): void => {
  // Every accepted custom_id: exactly one result, at the destination it named.
  const missing = report.ids.filter((id) => (report.deliveries.get(id) ?? []).length === 0);
  const duplicated = report.ids
    .map((id) => ({ id, deliveries: report.deliveries.get(id) ?? [] }))
    .filter(({ deliveries }) => deliveries.length > 1)
    .map(({ id, deliveries }) => ({
      id,
      deliveries: deliveries.map((d) => ({
        via: d.via,
        where: d.where,
        status: d.result.status,
        batch: d.result.batch_id,
        attempts: d.result.attempts,
        delivered_at: d.result.delivered_at,
      })),
    }));
  // For each id delivered twice: the crashes between its first and its last delivery.
  const crashesAround = duplicated.slice(0, 5).map(({ id, deliveries }) => {
    const times = deliveries.map((d) => Date.parse(d.delivered_at ?? ''));
    const from = Math.min(...times) - 2000;
    const to = Math.max(...times);
    return {
      id,
      crashes: report.crashes
        .filter((c) => Date.parse(c.at) >= from && Date.parse(c.at) <= to)
        .map((c) => `${c.at} ${c.functionName} step ${c.step} before ${c.call} (${c.mode})`),
    };
  });
  if (duplicated.length > 0) console.log(JSON.stringify({ duplicated, crashesAround }, null, 1));
  const unknown = [...report.deliveries.keys()].filter((id) => !report.expected.has(id));
  expect(missing.slice(0, 20), `${missing.length} ids without a result`).toEqual([]);
  // Exactly one delivery per id: S3 deliveries are named by their content (a rerun rewrites
  // the same object) and SQS results go to a FIFO queue that drops a rerun's resend by its
  // MessageDeduplicationId. A repeat would also show whether its outcome differed.
  expect(duplicated.slice(0, 5), `${duplicated.length} ids delivered more than once`).toEqual([]);
  expect(unknown, 'results for ids never sent').toEqual([]);
  expect(report.vanished.slice(0, 5), 'results lost when an S3 object was rewritten').toEqual([]);

  const wrong: string[] = [];
  for (const id of report.ids) {
    const result = report.deliveries.get(id)?.[0]?.result;
    const expected = report.expected.get(id);
    if (result === undefined || expected === undefined) continue;
    const via = report.deliveries.get(id)?.[0]?.via;
    const problems = [
      via === expected.via ? null : `delivered via ${via}`,
      (TERMINAL_STATUSES as readonly string[]).includes(result.status)
        ? null
        : `status ${result.status}`,
      result.status === 'errored' && !result.error?.type ? 'errored without error.type' : null,
      result.status === 'succeeded' && result.response === null
        ? 'succeeded without response'
        : null,
      Number.isInteger(result.attempts) && result.attempts >= 1 && result.attempts <= MAX_ATTEMPTS
        ? null
        : `attempts ${result.attempts}`,
      (result.metadata as { index?: unknown } | null)?.index === expected.index
        ? null
        : 'metadata not echoed',
    ].filter((p) => p !== null);
    if (problems.length > 0) wrong.push(`${id}: ${problems.join(', ')}`);
  }
  expect(wrong.slice(0, 20), `${wrong.length} results with the wrong content`).toEqual([]);

  // Nothing left to do, nothing given up on.
  expect(
    report.activeBatches,
    `batches still on the active-batches index at ${new Date().toISOString()}`,
  ).toEqual([]);
  expect(
    Object.keys(report.batchesByState).filter((s) => s !== 'completed'),
    'batches not completed',
  ).toEqual([]);
  expect(report.queueDepths).toEqual({ intake: 0, intakeDlq: 0, completion: 0, completionDlq: 0 });

  // The faults really happened.
  expect(report.expiringBatches).toBeGreaterThanOrEqual(1);
  // A batch sat stuck; the poller found it and cancelled it, its members went on.
  expect(report.stuck.created).toBeGreaterThanOrEqual(1);
  expect(report.stuck.cancelled).toBeGreaterThanOrEqual(1);
  expect(report.stuck.events.length).toBeGreaterThanOrEqual(report.stuck.cancelled);
  expect(report.simulator.injectedHttpErrors).toBeGreaterThan(0);
  expect(report.byStatus['errored'] ?? 0).toBeGreaterThan(0);
  for (const coverage of report.coverage) {
    expect(coverage.crashes, `${coverage.functionName} crashes`).toBeGreaterThan(0);
    expect(coverage.exits, `${coverage.functionName} exits`).toBeGreaterThan(0);
    expect(coverage.hangs, `${coverage.functionName} hangs`).toBeGreaterThan(0);
    // Steps only the very largest invocations reach can come after every record has used up
    // its crash allowance (crashing them then would push messages into a DLQ). Every step
    // that invocations allowed to crash passed through often enough must have crashed (a pass
    // may be an invocation that went by it while another held that step as its target).
    expect(
      coverage.missingSteps.filter((step) => (coverage.reachedBy[step] ?? 0) >= RARE_STEP_REACH),
      `${coverage.functionName} steps never crashed at`,
    ).toEqual([]);
  }
  expect(report.timedOut, 'the run gave up waiting').toBe(false);
  // Every pushed batch was announced twice, and forged and late webhooks were refused alone.
  expect(report.webhooks.delivered).toBeGreaterThanOrEqual(2);
  expect(report.webhooks.answers['invalid_signature'] ?? 0).toBeGreaterThan(0);
  expect(report.webhooks.answers['stale_timestamp'] ?? 0).toBeGreaterThan(0);
  expect(Object.keys(report.webhooks.answers).sort()).toEqual([
    'invalid_signature',
    'stale_timestamp',
  ]);
  // Every call each function made, crashes and retries included, is granted to its role.
  expect(report.ungranted, 'AWS calls without a grant').toEqual([]);
};

const run = async (options: Omit<ConservationOptions, 'log'>): Promise<ConservationReport> => {
  const report = await runConservation({
    ...options,
    log: (line) => console.log(`[conservation] ${line}`),
  });
  console.log(formatReport(report));
  return report;
};

const common = {
  duplicateShare: 0.05,
  lateDuplicateShare: 0.01,
  maxAttempts: MAX_ATTEMPTS,
  seed: 11,
} as const;

describe('Conservation: one result per accepted request, whatever fails', () => {
  it('holds for 500 requests with provider faults, duplicates and a crash at every step', async () => {
    assertConserved(
      await run({
        ...common,
        requests: 500,
        collectorBatchSize: 20,
        storms: 2,
        deadlineMs: 240_000,
      }),
    );
  }, 330_000);

  it.runIf(process.env['BATCHLANE_CONSERVATION_FULL'] === '1')(
    'holds for 10,000 requests with provider faults, duplicates and a crash at every step',
    async () => {
      assertConserved(
        await run({
          ...common,
          requests: 10_000,
          collectorBatchSize: 100,
          storms: 4,
          deadlineMs: 540_000,
        }),
      );
    },
    720_000,
  );
});
