import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReport } from '../../../cli/runReport.js';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { DynamoDbCostLedger } from '../../../shared/adapters/aws/DynamoDbCostLedger.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import { costOutcome, type OutcomeToPrice } from '../../../shared/domain/costOutcome.js';
import type { CostEntry } from '../../../shared/domain/costs/CostEntry.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import { sumItemCosts } from '../../../shared/domain/sumItemCosts.js';
import { costEntriesOf } from '../../../shared/usecases/costEntriesOf.js';
import { emulatorClients, uniqueName } from '../aws/awsTestKit.js';

/**
 * A fixture workload with known usage, priced by the shipped table, kept in the ledger and
 * printed by `batchlane report`; every amount is worked out by hand below (prices per million
 * tokens, from shared/domain/pricing/defaultPriceTable.ts).
 */
const at = new Date('2026-11-26T10:00:00.000Z');

const anthropicMessage = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-6',
  content: [{ type: 'text', text: 'ok' }],
  stop_reason: 'end_turn',
  usage: {
    input_tokens: 1000,
    cache_creation_input_tokens: 3000,
    cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 1000 },
    cache_read_input_tokens: 10_000,
    output_tokens: 500,
    service_tier: 'batch',
  },
};

const chat = (model: string, prompt: number, cached: number, completion: number, tier: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model,
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  },
  service_tier: tier,
});

const workload: (OutcomeToPrice & { name: string; source: string })[] = [
  {
    name: 'anthropic batch with cache writes and reads',
    source: 'bl_a',
    provider: 'anthropic',
    endpoint: '/v1/messages',
    model: 'claude-sonnet-4-6',
    lane: 'batch',
    response: anthropicMessage,
    at,
    metadata: { tag: 'evals' },
  },
  {
    name: 'openai batch with cached input',
    source: 'bl_o',
    provider: 'openai',
    endpoint: '/v1/chat/completions',
    model: 'gpt-5',
    lane: 'batch',
    // Batch result bodies say "default": the Batch API is its own price column.
    response: chat('gpt-5', 5000, 4000, 1000, 'default'),
    at,
    metadata: { tag: 'evals' },
  },
  {
    name: 'openai flex, served flex',
    source: 'req:flex-1',
    provider: 'openai',
    endpoint: '/v1/chat/completions',
    model: 'gpt-5-mini',
    lane: 'flex',
    response: chat('gpt-5-mini', 2000, 0, 400, 'flex'),
    at,
    metadata: { tag: 'judge' },
  },
  {
    name: 'openai flex, downgraded to default',
    source: 'req:flex-2',
    provider: 'openai',
    endpoint: '/v1/chat/completions',
    model: 'gpt-5-mini',
    lane: 'flex',
    response: chat('gpt-5-mini', 2000, 0, 400, 'default'),
    at,
    metadata: { tag: 'judge' },
  },
  {
    name: 'expired: nothing ran',
    source: 'bl_o',
    provider: 'openai',
    endpoint: '/v1/chat/completions',
    model: 'gpt-5',
    lane: 'batch',
    response: null,
    at,
    metadata: { tag: 'evals' },
  },
];

/** [cost, realtime] in USD, by hand. */
const expected: Record<string, [number, number]> = {
  // standard: 1000×$3 + 2000×$3.75 + 1000×$6 + 10000×$0.30 + 500×$15 = $27,000/M = $0.027
  // batch: every term × 0.5 = $0.0135
  'anthropic batch with cache writes and reads': [0.0135, 0.027],
  // standard: 1000 uncached×$1.25 + 4000 cached×$0.125 + 1000×$10 = $11,750/M = $0.01175
  // batch: 1000×$0.625 + 4000×$0.0625 + 1000×$5 = $5,875/M = $0.005875
  'openai batch with cached input': [0.005875, 0.01175],
  // standard: 2000×$0.25 + 400×$2 = $1,300/M = $0.0013; flex × 0.5 = $0.00065
  'openai flex, served flex': [0.00065, 0.0013],
  // The response says it ran at default: standard price, nothing saved.
  'openai flex, downgraded to default': [0.0013, 0.0013],
  'expired: nothing ran': [0, 0],
};

let clients: AwsClients;
let tableName: string;

beforeAll(async () => {
  clients = emulatorClients();
  tableName = uniqueName('cost-truth');
  await ensureStateTable(clients.dynamodb, tableName);
});

afterAll(() => clients.destroy());

describe('Cost truth on a fixture workload', () => {
  it('prices each request as computed by hand, keeps it in the ledger and reports it', async () => {
    const priced = workload.map((w) => ({
      ...w,
      ...costOutcome(w, defaultPriceTable, 'tag'),
    }));
    for (const p of priced) {
      const [usd, realtime] = expected[p.name] ?? [Number.NaN, Number.NaN];
      expect(p.cost.usd, p.name).toBe(usd);
      expect(p.cost.realtime_usd, p.name).toBe(realtime);
      expect(p.cost.saved_usd, p.name).toBeCloseTo(realtime - usd, 9);
    }
    expect(priced.find((p) => p.name.startsWith('expired'))?.cost.basis).toBe('no_usage');
    expect(priced.find((p) => p.name.includes('downgraded'))?.cost.billed_as).toBe('standard');
    expect(priced.find((p) => p.name.includes('served flex'))?.cost.billed_as).toBe('flex');

    // Ledger entries as the pipeline writes them: per source, summed per day, model and tag.
    const entries: CostEntry[] = [];
    for (const source of new Set(priced.map((p) => p.source))) {
      const mine = priced.filter((p) => p.source === source);
      const first = mine[0];
      if (first === undefined) continue;
      entries.push(
        ...costEntriesOf(
          source,
          first.provider,
          first.lane,
          sumItemCosts(mine.map((p) => p.itemCost)).groups,
        ),
      );
    }
    const ledger = new DynamoDbCostLedger({ client: clients.documentClient, tableName });
    await ledger.record(entries);

    const lines: string[] = [];
    const clock = { now: () => new Date('2026-11-26T12:00:00.000Z') };
    expect(
      await runReport(['--since', '1d', '--by', 'tag', '--json'], (l) => lines.push(l), {
        ledger,
        clock,
      }),
    ).toBe(0);
    const report = JSON.parse(lines.join('\n')) as {
      rows: { key: string; requests: number; cost_usd: number; realtime_usd: number }[];
      total: { requests: number; cost_usd: number; realtime_usd: number; saved_usd: number };
    };
    // evals: $0.0135 + $0.005875 = $0.019375 (realtime $0.027 + $0.01175 = $0.03875)
    // judge: $0.00065 + $0.0013 = $0.00195 (realtime $0.0026)
    expect(report.rows.map((r) => [r.key, r.requests, r.cost_usd, r.realtime_usd])).toEqual([
      ['evals', 3, 0.019375, 0.03875],
      ['judge', 2, 0.00195, 0.0026],
    ]);
    expect(report.total).toMatchObject({
      requests: 5,
      cost_usd: 0.021325,
      realtime_usd: 0.04135,
      saved_usd: 0.020025,
    });

    const table: string[] = [];
    await runReport(['--since', '1d', '--by', 'model'], (l) => table.push(l), { ledger, clock });
    const printed = table.join('\n');
    console.log(printed);
    expect(printed).toMatch(/claude-sonnet-4-6 .* 0\.0135 .* 0\.027/);
    // $0.021325 → 0.0213, $0.04135 → 0.0414, saved $0.020025 → 0.0200 (48.4 %).
    expect(printed).toMatch(/TOTAL\s+5 .* 0\.0213\s+0\.0414\s+0\.0200\s+48\.4/);
  });
});
