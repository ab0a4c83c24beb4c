import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeDevFile } from '../../../cli/devFile.js';
import { runReport } from '../../../cli/runReport.js';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { DynamoDbCostLedger } from '../../../shared/adapters/aws/DynamoDbCostLedger.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import type { CostEntry } from '../../../shared/domain/costs/CostEntry.js';
import type { Clock } from '../../../shared/ports/Clock.js';
import { emulatorClients, uniqueName } from '../aws/awsTestKit.js';

const clock: Clock = { now: () => new Date('2026-11-26T12:00:00.000Z') };

const entry = (overrides: Partial<CostEntry>): CostEntry => ({
  day: '2026-11-24',
  source: 'bl_01',
  provider: 'anthropic',
  model: 'claude-sonnet-4-6',
  lane: 'batch',
  tag: '',
  requests: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  nanoUsd: 0,
  realtimeNanoUsd: 0,
  ...overrides,
});

const ENTRIES: readonly CostEntry[] = [
  entry({
    day: '2026-11-24',
    source: 'bl_01',
    tag: 'nightly',
    requests: 1_000,
    inputTokens: 812_000,
    outputTokens: 96_000,
    cacheReadTokens: 120_000,
    nanoUsd: 2_650_000_000,
    realtimeNanoUsd: 5_300_000_000,
  }),
  entry({
    day: '2026-11-25',
    source: 'bl_02',
    provider: 'openai',
    model: 'gpt-4o-mini',
    tag: 'nightly',
    requests: 400,
    inputTokens: 200_000,
    outputTokens: 40_000,
    nanoUsd: 18_000_000,
    realtimeNanoUsd: 36_000_000,
  }),
  entry({
    day: '2026-11-26',
    source: 'req:chat-1',
    provider: 'openai',
    model: 'gpt-4o-mini',
    lane: 'realtime',
    requests: 1,
    inputTokens: 1_200,
    outputTokens: 300,
    nanoUsd: 360_000,
    realtimeNanoUsd: 360_000,
  }),
  entry({
    day: '2026-11-26',
    source: 'bl_03',
    model: 'claude-haiku-4-5',
    lane: 'flex',
    tag: 'backfill',
    requests: 50,
    inputTokens: 50_000,
    outputTokens: 5_000,
    cacheReadTokens: 10_000,
    cacheWriteTokens: 2_000,
    nanoUsd: 42_123_456,
    realtimeNanoUsd: 84_246_912,
  }),
  // A day before the default 7 days: never part of the report.
  entry({ day: '2026-11-19', source: 'bl_00', requests: 9, nanoUsd: 999_000_000_000_000 }),
];

/** `batchlane report` against DynamoDB Local, the way the CLI builds its own ledger. */
describe('batchlane report on DynamoDB Local', () => {
  let clients: AwsClients;
  let tableName: string;
  let devDir: string;

  const report = async (args: string[], deps: Parameters<typeof runReport>[2] = {}) => {
    const lines: string[] = [];
    const code = await runReport(args, (line) => lines.push(line), { clock, ...deps });
    return { code, output: lines.join('\n') };
  };

  beforeAll(async () => {
    clients = emulatorClients();
    tableName = uniqueName('report');
    await ensureStateTable(clients.dynamodb, tableName);
    const ledger = new DynamoDbCostLedger({
      client: clients.documentClient,
      tableName,
      retentionDays: null,
    });
    await ledger.record(ENTRIES);
    devDir = mkdtempSync(join(tmpdir(), 'batchlane-report-'));
  });

  afterAll(() => {
    clients.destroy();
    rmSync(devDir, { recursive: true, force: true });
  });

  it('prints the last 7 days by model from the table named by --table', async () => {
    // Act
    const { code, output } = await report(['--table', tableName], { env: inject('awsEnv') });
    // Assess
    expect(code).toBe(0);
    expect(output.split('\n')).toEqual([
      'batchlane costs by model, 2026-11-20 to 2026-11-26 (UTC days)',
      'model              requests  input tok  output tok  cache read  cache write  cost $  realtime $  saved $  saved %',
      '-----------------  --------  ---------  ----------  ----------  -----------  ------  ----------  -------  -------',
      'claude-sonnet-4-6     1,000    812,000      96,000     120,000            0    2.65        5.30     2.65     50.0',
      'claude-haiku-4-5         50     50,000       5,000      10,000        2,000  0.0421      0.0842   0.0421     50.0',
      'gpt-4o-mini             401    201,200      40,300           0            0  0.0184      0.0364   0.0180     49.5',
      '-----------------  --------  ---------  ----------  ----------  -----------  ------  ----------  -------  -------',
      'TOTAL                 1,451  1,063,200     141,300     130,000        2,000    2.71        5.42     2.71     50.0',
    ]);
  });

  it('prints exact JSON by tag, finding the table through the dev file', async () => {
    // Prepare: endpoints and credentials only in the dev file, as `batchlane dev` writes them.
    const devFilePath = join(devDir, 'dev.json');
    writeDevFile(
      {
        intake_queue_url: 'unused',
        results_queue_url: 'unused',
        results_bucket: 'unused',
        results_event_bus: 'unused',
        artifacts_bucket: 'unused',
        table_name: tableName,
        event_bus_name: 'unused',
        events_queue_url: 'unused',
        env: { ...inject('awsEnv') },
        providers: { anthropic: 'unused', openai: 'unused', gemini: 'unused', bedrock: 'unused' },
        pid: process.pid,
        started_at: '2026-11-26T11:00:00.000Z',
      },
      devFilePath,
    );
    // Act
    const { code, output } = await report(['--by', 'tag', '--json', '--since', '2026-11-20'], {
      env: {},
      devFilePath,
    });
    // Assess
    expect(code).toBe(0);
    expect(output).toContain('"cost_usd": 0.00036,');
    expect(JSON.parse(output)).toEqual({
      since: '2026-11-20',
      until: '2026-11-26',
      by: 'tag',
      rows: [
        {
          key: 'nightly',
          requests: 1_400,
          input_tokens: 1_012_000,
          output_tokens: 136_000,
          cache_read_tokens: 120_000,
          cache_write_tokens: 0,
          cost_usd: 2.668,
          realtime_usd: 5.336,
          saved_usd: 2.668,
          saved_percent: 50,
          cost_nano_usd: 2_668_000_000,
          realtime_nano_usd: 5_336_000_000,
          saved_nano_usd: 2_668_000_000,
        },
        {
          key: 'backfill',
          requests: 50,
          input_tokens: 50_000,
          output_tokens: 5_000,
          cache_read_tokens: 10_000,
          cache_write_tokens: 2_000,
          cost_usd: 0.042123456,
          realtime_usd: 0.084246912,
          saved_usd: 0.042123456,
          saved_percent: 50,
          cost_nano_usd: 42_123_456,
          realtime_nano_usd: 84_246_912,
          saved_nano_usd: 42_123_456,
        },
        {
          key: '',
          requests: 1,
          input_tokens: 1_200,
          output_tokens: 300,
          cache_read_tokens: 0,
          cache_write_tokens: 0,
          cost_usd: 0.00036,
          realtime_usd: 0.00036,
          saved_usd: 0,
          saved_percent: 0,
          cost_nano_usd: 360_000,
          realtime_nano_usd: 360_000,
          saved_nano_usd: 0,
        },
      ],
      total: {
        key: 'TOTAL',
        requests: 1_451,
        input_tokens: 1_063_200,
        output_tokens: 141_300,
        cache_read_tokens: 130_000,
        cache_write_tokens: 2_000,
        cost_usd: 2.710483456,
        realtime_usd: 5.420606912,
        saved_usd: 2.710123456,
        saved_percent: 50,
        cost_nano_usd: 2_710_483_456,
        realtime_nano_usd: 5_420_606_912,
        saved_nano_usd: 2_710_123_456,
      },
    });
  });

  it('includes an earlier day when asked, by day ascending', async () => {
    const { code, output } = await report(
      ['--table', tableName, '--since', '2026-11-19', '--until', '2026-11-24', '--by', 'day'],
      { env: inject('awsEnv') },
    );
    expect(code).toBe(0);
    const lines = output.split('\n');
    expect([...lines.slice(3, 5), lines.at(-1)]).toEqual([
      '2026-11-19         9          0           0           0            0  999,000.00        0.00  -999,000.00            -',
      '2026-11-24     1,000    812,000      96,000     120,000            0        2.65        5.30         2.65         50.0',
      'TOTAL          1,009    812,000      96,000     120,000            0  999,002.65        5.30  -998,997.35  -18849006.6',
    ]);
  });
});
