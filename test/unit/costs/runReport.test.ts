import { describe, expect, it } from 'vitest';
import { runReport } from '../../../cli/runReport.js';
import type { CostEntry, CostRange } from '../../../shared/domain/costs/CostEntry.js';
import type { Clock } from '../../../shared/ports/Clock.js';
import type { CostLedger } from '../../../shared/ports/CostLedger.js';

const clock: Clock = { now: () => new Date('2026-11-26T12:00:00.000Z') };

const entry = (overrides: Partial<CostEntry> = {}): CostEntry => ({
  day: '2026-11-25',
  source: 'bl_1',
  provider: 'openai',
  model: 'gpt-4o-mini',
  lane: 'batch',
  tag: 'eval',
  requests: 10,
  inputTokens: 1_000,
  outputTokens: 500,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  nanoUsd: 450_000,
  realtimeNanoUsd: 900_000,
  ...overrides,
});

/** An array behind the port, remembering which ranges were asked for. */
const arrayLedger = (entries: readonly CostEntry[]) => {
  const ranges: CostRange[] = [];
  const ledger: CostLedger = {
    record: async () => {},
    entries: async function* (range) {
      ranges.push(range);
      for (const e of entries) if (e.day >= range.since && e.day <= range.until) yield e;
    },
  };
  return { ledger, ranges };
};

const run = async (args: string[], entries: readonly CostEntry[] = [entry()]) => {
  const lines: string[] = [];
  const { ledger, ranges } = arrayLedger(entries);
  const code = await runReport(args, (line) => lines.push(line), { ledger, clock });
  return { code, output: lines.join('\n'), ranges };
};

describe('Function: runReport()', () => {
  it('reads the last 7 days by model from the ledger by default', async () => {
    // Act
    const { code, output, ranges } = await run([]);
    // Assess
    expect(code).toBe(0);
    expect(ranges).toEqual([{ since: '2026-11-20', until: '2026-11-26' }]);
    expect(output.split('\n')).toEqual([
      'batchlane costs by model, 2026-11-20 to 2026-11-26 (UTC days)',
      'model        requests  input tok  output tok  cache read  cache write   cost $  realtime $  saved $  saved %',
      '-----------  --------  ---------  ----------  ----------  -----------  -------  ----------  -------  -------',
      'gpt-4o-mini        10      1,000         500           0            0  0.00045     0.00090  0.00045     50.0',
      '-----------  --------  ---------  ----------  ----------  -----------  -------  ----------  -------  -------',
      'TOTAL              10      1,000         500           0            0  0.00045     0.00090  0.00045     50.0',
    ]);
  });

  it('prints JSON for --json, over the days and grouping asked for', async () => {
    const { code, output, ranges } = await run(
      ['--since', '2026-11-25', '--until', '2026-11-25', '--by', 'lane', '--json'],
      [entry(), entry({ day: '2026-11-24', lane: 'flex' })],
    );
    expect(code).toBe(0);
    expect(ranges).toEqual([{ since: '2026-11-25', until: '2026-11-25' }]);
    const json = JSON.parse(output);
    expect(json).toMatchObject({ since: '2026-11-25', until: '2026-11-25', by: 'lane' });
    expect(json.rows).toHaveLength(1);
    expect(json.rows[0]).toMatchObject({ key: 'batch', cost_nano_usd: 450_000, cost_usd: 0.00045 });
    expect(json.total).toMatchObject({ key: 'TOTAL', requests: 10, saved_percent: 50 });
  });

  it('refuses a bad --by, a bad range and an unknown option with exit code 2 (a usage error)', async () => {
    const badBy = await run(['--by', 'color']);
    expect(badBy.code).toBe(2);
    expect(badBy.output).toContain(
      'batchlane report: --by must be one of model, tag, day, lane, provider, source',
    );
    expect(badBy.ranges).toEqual([]);

    const badRange = await run(['--since', '2026-11-27']);
    expect(badRange.code).toBe(2);
    expect(badRange.output).toContain(
      'batchlane report: --since 2026-11-27 is after --until 2026-11-26',
    );

    const unknown = await run(['--colour']);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('usage: batchlane report');
  });

  it('says how to name a table when there is no dev stack, --table or environment', async () => {
    const lines: string[] = [];
    const code = await runReport([], (line) => lines.push(line), {
      clock,
      env: {},
      devFilePath: '/nonexistent/batchlane-dev.json',
    });
    expect(code).toBe(2);
    expect(lines[0]).toBe(
      'batchlane report: no table: start `batchlane dev` (it writes .batchlane/dev.json), pass --table or set BATCHLANE_TABLE_NAME',
    );
  });
});
