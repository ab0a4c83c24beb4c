import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

const MINUTE = 60_000;
/**
 * How long before the window opens the stack starts, in simulated (= real) time: room for a
 * slow start on a loaded machine, so the requests are still sent in peak hours.
 */
const LEAD_MS = 150_000;

/**
 * The next weekday 04:00 UTC (12:00 Beijing), when a DeepSeek off-peak window opens after the
 * 01:00-04:00 peak; holidays skipped (October's National Day week and Mid-Autumn).
 */
const nextWindowOpening = (): number => {
  const now = Date.now();
  for (let day = 1; day < 14; day += 1) {
    const date = new Date(now + day * 86_400_000);
    const at = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), 4);
    const weekday = new Date(at).getUTCDay();
    const iso = new Date(at).toISOString().slice(0, 10);
    if (weekday !== 0 && weekday !== 6 && !iso.startsWith('2026-10-0')) return at;
  }
  throw new Error('no weekday in two weeks');
};

const opensAt = nextWindowOpening();

beforeAll(async () => {
  // The functions and the simulator both run LEAD_MS before the window opens, in peak hours.
  pipeline = await startPipeline({ clockOffsetMs: opensAt - LEAD_MS - Date.now() });
});

afterAll(async () => {
  await pipeline?.stop();
});

const deepseek = (id: string, extra: Record<string, unknown>) => ({
  custom_id: id,
  provider: 'deepseek',
  body: {
    model: 'deepseek-flash',
    messages: [{ role: 'user', content: `Label the sentiment of review ${id}.` }],
    max_tokens: 32,
  },
  destination: pipeline.destinations.sqs,
  ...extra,
});

const only = (id: string): ResultV1 => {
  const results = pipeline.resultsFor(id);
  expect(results, id).toHaveLength(1);
  return results[0] as ResultV1;
};

describe('Pipeline: DeepSeek off-peak lane', () => {
  it('holds a patient request until the window opens and serves an urgent one at once at peak', async () => {
    const offset = Number(pipeline.stack.env.BATCHLANE_CLOCK_OFFSET_MS);
    const simulatedNow = (): number => Date.now() + offset;
    expect(simulatedNow()).toBeLessThan(opensAt - 20_000);
    await pipeline.send([
      deepseek('ds-held', {
        tier: 'off_peak',
        deadline: new Date(opensAt + 120 * MINUTE).toISOString(),
      }),
      deepseek('ds-auto', {
        tier: 'auto',
        deadline: new Date(opensAt + 60 * MINUTE).toISOString(),
      }),
      deepseek('ds-urgent', {
        tier: 'auto',
        deadline: new Date(opensAt + 5 * MINUTE).toISOString(),
      }),
      deepseek('ds-flex', { tier: 'flex' }),
    ]);
    const ids = ['ds-held', 'ds-auto', 'ds-urgent', 'ds-flex'];
    await pipeline.waitForResults(ids, 360_000);

    for (const id of ['ds-held', 'ds-auto']) {
      const held = only(id);
      expect(held, id).toMatchObject({
        status: 'succeeded',
        provider: 'deepseek',
        lane: { served_by: 'off_peak' },
        cost: { basis: 'usage', billed_as: 'off_peak' },
      });
      expect(held.lane.reason, id).toContain('held');
      // DeepSeek processed it inside the window: its own timestamp says so.
      expect((held.response as { created: number }).created * 1000, id).toBeGreaterThanOrEqual(
        opensAt,
      );
      expect(held.cost.realtime_usd, id).toBeCloseTo(held.cost.usd * 2, 9);
    }

    // Sent in peak hours with a deadline that cannot wait: served at once, on the standard
    // lane, and billed by the hour DeepSeek says it processed it (on a loaded machine the
    // window may have opened by then, and then it is billed off-peak, as DeepSeek would).
    const urgent = only('ds-urgent');
    expect(urgent).toMatchObject({
      status: 'succeeded',
      lane: { requested: 'auto', served_by: 'realtime' },
      cost: { basis: 'usage' },
    });
    expect(urgent.lane.reason).toContain('cannot wait for the off-peak window');
    const urgentAt = (urgent.response as { created: number }).created * 1000;
    expect(urgent.cost.billed_as).toBe(urgentAt < opensAt ? 'standard' : 'off_peak');

    expect(only('ds-flex')).toMatchObject({
      status: 'rejected',
      error: { type: 'unsupported_tier' },
    });

    const billed = pipeline.stack.simulator?.stats().deepseek;
    expect(billed).toMatchObject({
      calls: 3,
      peakCalls: urgentAt < opensAt ? 1 : 0,
      offPeakCalls: urgentAt < opensAt ? 2 : 3,
    });
    const ours = ['ds-held', 'ds-auto', 'ds-urgent'].reduce(
      (sum, id) => sum + only(id).cost.usd,
      0,
    );
    expect(ours).toBeCloseTo((billed?.billedNanoUsd ?? 0) / 1e9, 8);
  }, 420_000);
});
