import { describe, expect, it } from 'vitest';
import { summarizeOutcome } from '../../../cli/smoke/summarizeOutcome.js';
import {
  parseResultMessage,
  type ReceivedResult,
  waitForResults,
} from '../../../cli/smoke/waitForResults.js';

const result = (customId: string, status = 'succeeded'): ReceivedResult => ({
  customId,
  status,
  errorType: status === 'succeeded' ? null : 'missing_result',
  errorMessage: status === 'succeeded' ? null : 'the provider returned no result',
});

/**
 * A fake clock and receiver: each receive "long-polls" by advancing the clock `pollMs` and
 * hands back the next scripted batch (empty once the script runs out).
 */
const scripted = (batches: readonly (readonly ReceivedResult[])[], pollMs = 20_000) => {
  let now = 0;
  let calls = 0;
  return {
    now: () => now,
    receive: async () => {
      now += pollMs;
      return batches[calls++] ?? [];
    },
    calls: () => calls,
  };
};

describe('Function: waitForResults()', () => {
  it('returns as soon as every expected id has a result, reporting each as it arrives', async () => {
    const fake = scripted([[result('a')], [], [result('b'), result('c', 'errored')]]);
    const lines: string[] = [];
    const outcome = await waitForResults({
      expected: ['a', 'b', 'c'],
      receive: fake.receive,
      now: fake.now,
      timeoutMs: 3_600_000,
      progress: (line) => lines.push(line),
    });
    expect(fake.calls()).toBe(3);
    expect(outcome).toMatchObject({ missing: [], duplicates: 0, foreign: 0, timedOut: false });
    expect(outcome.elapsedMs).toBe(60_000);
    expect(lines).toEqual([
      '1/3 a: succeeded',
      '2/3 b: succeeded',
      '3/3 c: errored (missing_result)',
    ]);
  });

  it('stops at the timeout with what is missing, saying it is still waiting meanwhile', async () => {
    const fake = scripted([[result('a')]]);
    const lines: string[] = [];
    const outcome = await waitForResults({
      expected: ['a', 'b'],
      receive: fake.receive,
      now: fake.now,
      timeoutMs: 200_000,
      heartbeatMs: 60_000,
      progress: (line) => lines.push(line),
    });
    expect(outcome.timedOut).toBe(true);
    expect(outcome.missing).toEqual(['b']);
    // 10 receives of 20 s each fill the 200 s.
    expect(fake.calls()).toBe(10);
    expect(lines.filter((line) => line.startsWith('still waiting'))).toEqual([
      'still waiting: 1/2 results after 80 s',
      'still waiting: 1/2 results after 140 s',
      'still waiting: 1/2 results after 200 s',
    ]);
  });

  it("counts duplicates and other runs' results without mistaking them for this run's", async () => {
    const fake = scripted([
      [result('a'), result('zz')],
      [result('a', 'errored'), result('b')],
    ]);
    const outcome = await waitForResults({
      expected: ['a', 'b'],
      receive: fake.receive,
      now: fake.now,
      timeoutMs: 600_000,
      progress: () => undefined,
    });
    expect(outcome.duplicates).toBe(1);
    expect(outcome.foreign).toBe(1);
    // The first result of an id is the one kept.
    expect(outcome.results.get('a')?.status).toBe('succeeded');
  });
});

describe('Function: parseResultMessage()', () => {
  it('reads results and result pointers, and nothing else', () => {
    expect(
      parseResultMessage(
        JSON.stringify({
          schema: 'batchlane.result.v1',
          custom_id: 'a',
          status: 'errored',
          error: { type: 'batch_failed', message: 'refused' },
        }),
      ),
    ).toEqual({
      customId: 'a',
      status: 'errored',
      errorType: 'batch_failed',
      errorMessage: 'refused',
    });
    expect(
      parseResultMessage(
        JSON.stringify({
          schema: 'batchlane.result-pointer.v1',
          custom_id: 'b',
          status: 'succeeded',
          s3_uri: 's3://bucket/key',
        }),
      ),
    ).toEqual({ customId: 'b', status: 'succeeded', errorType: null, errorMessage: null });
    expect(parseResultMessage('not json')).toBeNull();
    expect(parseResultMessage('{"custom_id":"a","status":"succeeded"}')).toBeNull();
  });
});

describe('Function: summarizeOutcome()', () => {
  it('passes only when every request succeeded with exactly one result', async () => {
    const fake = scripted([[result('a'), result('b')]]);
    const outcome = await waitForResults({
      expected: ['a', 'b'],
      receive: fake.receive,
      now: fake.now,
      timeoutMs: 60_000,
      progress: () => undefined,
    });
    const summary = summarizeOutcome(outcome, 2);
    expect(summary.ok).toBe(true);
    expect(summary.lines).toEqual([
      'results:    2 of 2 in 20 s (succeeded 2)',
      'OK: 2 of 2 requests succeeded, one result each',
    ]);
  });

  it('fails on an errored result or a missing one, naming them', async () => {
    const fake = scripted([[result('a', 'errored')]]);
    const outcome = await waitForResults({
      expected: ['a', 'b'],
      receive: fake.receive,
      now: fake.now,
      timeoutMs: 40_000,
      progress: () => undefined,
    });
    const summary = summarizeOutcome(outcome, 2);
    expect(summary.ok).toBe(false);
    expect(summary.lines).toContain('  a: errored missing_result: the provider returned no result');
    expect(summary.lines).toContain('missing:    1 (b)');
    expect(summary.lines.at(-1)).toBe('FAILED');
  });
});
