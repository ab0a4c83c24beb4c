import { BatchWriteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import {
  costItemKey,
  DynamoDbCostLedger,
} from '../../../shared/adapters/aws/DynamoDbCostLedger.js';
import { ensureStateTable } from '../../../shared/adapters/aws/stateTable.js';
import type { CostEntry, CostRange } from '../../../shared/domain/costs/CostEntry.js';
import { summarizeCostStream } from '../../../shared/domain/costs/summarizeCosts.js';
import {
  InvalidInputError,
  NotFoundError,
  UnavailableError,
} from '../../../shared/domain/errors.js';
import type { CostLedger } from '../../../shared/ports/CostLedger.js';
import { emulatorClients, uniqueName } from './awsTestKit.js';

const entry = (overrides: Partial<CostEntry> = {}): CostEntry => ({
  day: '2026-11-20',
  source: 'bl_01',
  provider: 'anthropic',
  model: 'claude-sonnet-4-6',
  lane: 'batch',
  tag: '',
  requests: 3,
  inputTokens: 1_200,
  outputTokens: 300,
  cacheReadTokens: 40,
  cacheWriteTokens: 5,
  nanoUsd: 1_800_000,
  realtimeNanoUsd: 3_600_000,
  ...overrides,
});

const readAll = async (ledger: CostLedger, range: CostRange): Promise<CostEntry[]> => {
  const entries: CostEntry[] = [];
  for await (const e of ledger.entries(range)) entries.push(e);
  return entries;
};

/** Order-free comparison: entries of one day come back in key order. */
const bySource = (a: CostEntry, b: CostEntry): number =>
  `${a.day}/${a.source}/${a.model}/${a.tag}`.localeCompare(
    `${b.day}/${b.source}/${b.model}/${b.tag}`,
  );

const noSleep = async (): Promise<void> => {};

/**
 * The real client, except that the first `faults` BatchWriteItem calls write only half their
 * items and hand the rest back as UnprocessedItems, as DynamoDB does under throttling.
 */
const partialWrites = (
  client: DynamoDBDocumentClient,
  faults: number,
): { client: DynamoDBDocumentClient; calls: number[] } => {
  const calls: number[] = [];
  let left = faults;
  const send = async (command: unknown) => {
    if (!(command instanceof BatchWriteCommand)) return client.send(command as never);
    const [table, requests] = Object.entries(command.input.RequestItems ?? {})[0] ?? [];
    if (table === undefined || requests === undefined) throw new Error('no request items');
    calls.push(requests.length);
    if (left === 0) return client.send(command);
    left--;
    const kept = requests.slice(0, Math.floor(requests.length / 2));
    const refused = requests.slice(kept.length);
    const response =
      kept.length === 0
        ? {}
        : await client.send(new BatchWriteCommand({ RequestItems: { [table]: kept } }));
    return { ...response, UnprocessedItems: { [table]: refused } };
  };
  const proxy = new Proxy(client, {
    get: (target, property, receiver) =>
      property === 'send' ? send : Reflect.get(target, property, receiver),
  });
  return { client: proxy, calls };
};

describe('DynamoDbCostLedger on DynamoDB Local', () => {
  let clients: AwsClients;
  let tableName: string;

  /** A ledger without TTL unless asked, so fixed test days never expire under the test. */
  const ledgerOn = (
    overrides: Partial<ConstructorParameters<typeof DynamoDbCostLedger>[0]> = {},
  ): DynamoDbCostLedger =>
    new DynamoDbCostLedger({
      client: clients.documentClient,
      tableName,
      retentionDays: null,
      sleep: noSleep,
      ...overrides,
    });

  beforeAll(async () => {
    clients = emulatorClients();
    tableName = uniqueName('costs');
    await ensureStateTable(clients.dynamodb, tableName);
  });

  afterAll(() => clients.destroy());

  it('records entries and reads back those of the days asked for, days ascending', async () => {
    // Prepare
    const ledger = ledgerOn();
    const evalRun = entry({ day: '2025-03-02', source: 'bl_a', tag: 'eval' });
    const haiku = entry({
      day: '2025-03-01',
      source: 'bl_b',
      model: 'claude-haiku-4-5',
      nanoUsd: 7,
    });
    const realtime = entry({
      day: '2025-03-03',
      source: 'req:c-1',
      lane: 'realtime',
      provider: 'openai',
    });
    const large = entry({
      day: '2025-03-01',
      source: 'bl_c',
      requests: 1,
      nanoUsd: 123_456_789_012,
    });
    // Act
    await ledger.record([evalRun, haiku, realtime, large]);
    const firstTwo = await readAll(ledger, { since: '2025-03-01', until: '2025-03-02' });
    const all = await readAll(ledger, { since: '2025-02-28', until: '2025-03-04' });
    // Assess
    expect(firstTwo.map((e) => e.day)).toEqual(['2025-03-01', '2025-03-01', '2025-03-02']);
    expect([...firstTwo].sort(bySource)).toEqual([haiku, large, evalRun].sort(bySource));
    expect(all).toHaveLength(4);
    expect(all.find((e) => e.source === 'req:c-1')).toEqual(realtime);
  });

  it('does not count twice when the same entries are written again', async () => {
    // Prepare
    const ledger = ledgerOn();
    const first = entry({ day: '2025-04-01', source: 'bl_x', nanoUsd: 1_000 });
    const second = entry({ day: '2025-04-01', source: 'bl_y', nanoUsd: 2_000 });
    const range = { since: '2025-04-01', until: '2025-04-01' };
    // Act
    await ledger.record([first, second]);
    await ledger.record([first, second]);
    await ledger.record([first, first]);
    const summary = await summarizeCostStream(ledger.entries(range), 'day');
    // Assess
    expect(summary.total).toMatchObject({
      requests: 6,
      nanoUsd: 3_000,
      realtimeNanoUsd: 7_200_000,
    });
  });

  it('replaces an entry with the full values of a later write', async () => {
    const ledger = ledgerOn();
    const range = { since: '2025-04-02', until: '2025-04-02' };
    await ledger.record([entry({ day: '2025-04-02', nanoUsd: 5_000 })]);
    await ledger.record([entry({ day: '2025-04-02', nanoUsd: 4_000, requests: 2 })]);
    expect(await readAll(ledger, range)).toEqual([
      entry({ day: '2025-04-02', nanoUsd: 4_000, requests: 2 }),
    ]);
  });

  it('keeps entries apart whose model or tag contain # or %', async () => {
    // Prepare: unescaped, the first two would both be s#p#gpt#batch#batch#.
    const ledger = ledgerOn();
    const day = '2025-05-01';
    const entries = [
      entry({ day, source: 's', provider: 'p', model: 'gpt#batch', tag: '', nanoUsd: 1 }),
      entry({ day, source: 's', provider: 'p', model: 'gpt', tag: 'batch#', nanoUsd: 2 }),
      entry({ day, source: 's', provider: 'p', model: 'gpt', tag: 'a%23b', nanoUsd: 3 }),
      entry({ day, source: 's', provider: 'p', model: 'gpt', tag: 'a#b', nanoUsd: 4 }),
    ];
    // Act
    await ledger.record(entries);
    const read = await readAll(ledger, { since: day, until: day });
    // Assess
    expect(read.map((e) => e.nanoUsd).sort()).toEqual([1, 2, 3, 4]);
    expect(read.find((e) => e.nanoUsd === 4)?.tag).toBe('a#b');
    expect(read.find((e) => e.nanoUsd === 3)?.tag).toBe('a%23b');
    expect(
      costItemKey({ day, source: 's', provider: 'p', model: 'gpt#batch', lane: 'batch', tag: '' }),
    ).toEqual({
      pk: 'COST#2025-05-01',
      sk: 's#p#gpt%23batch#batch#',
    });
    expect(
      costItemKey({ day, source: 's', provider: 'p', model: 'gpt', lane: 'batch', tag: 'a%23b' })
        .sk,
    ).toBe('s#p#gpt#batch#a%2523b');
  });

  it('writes more than 25 entries in chunks and reads them back page by page', async () => {
    // Prepare
    const ledger = ledgerOn({ pageSize: 7 });
    const day = '2025-06-01';
    const entries = Array.from({ length: 61 }, (_, n) =>
      entry({ day, source: `bl_${String(n).padStart(3, '0')}`, nanoUsd: n }),
    );
    // Act
    await ledger.record(entries);
    const read = await readAll(ledger, { since: day, until: day });
    // Assess
    expect(read).toEqual(entries);
  });

  it('reads nothing for days without entries', async () => {
    const ledger = ledgerOn();
    expect(await readAll(ledger, { since: '2019-01-01', until: '2019-01-31' })).toEqual([]);
    await ledger.record([]);
  });

  it('stores expires_at for the retention, and no active-batches index key', async () => {
    // Prepare
    const ledger = ledgerOn({ retentionDays: 400 });
    const stored = entry({ day: '2026-11-20', source: 'bl_ttl' });
    // Act
    await ledger.record([stored]);
    const { Item } = await clients.documentClient.send(
      new GetCommand({ TableName: tableName, Key: costItemKey(stored) }),
    );
    // Assess: 2026-11-20 + 400 days is 2027-12-25.
    expect(Item?.expires_at).toBe(Date.parse('2027-12-25T00:00:00Z') / 1000);
    expect(Item).not.toHaveProperty('gsi1pk');
    expect(Item).not.toHaveProperty('gsi1sk');
    expect(Item).toMatchObject({ pk: 'COST#2026-11-20', nano_usd: 1_800_000 });
  });

  it('retries the items DynamoDB leaves unprocessed until all are written', async () => {
    // Prepare
    const flaky = partialWrites(clients.documentClient, 3);
    const ledger = ledgerOn({ client: flaky.client, writeConcurrency: 1 });
    const day = '2025-07-01';
    const entries = Array.from({ length: 30 }, (_, n) =>
      entry({ day, source: `bl_${String(n).padStart(2, '0')}` }),
    );
    // Act
    await ledger.record(entries);
    // Assess: 25 → 13 left → 7 left → 4 left (written), then the second chunk of 5.
    expect(flaky.calls).toEqual([25, 13, 7, 4, 5]);
    expect(await readAll(ledgerOn(), { since: day, until: day })).toEqual(entries);
  });

  it('gives up with a retryable UnavailableError when items stay unprocessed', async () => {
    const flaky = partialWrites(clients.documentClient, Number.POSITIVE_INFINITY);
    const ledger = ledgerOn({ client: flaky.client, maxAttempts: 3 });
    const error = await ledger.record([entry({ day: '2025-07-02' })]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).retryable).toBe(true);
    expect(flaky.calls).toEqual([1, 1, 1]);
  });

  it('refuses malformed entries before writing any of them', async () => {
    const ledger = ledgerOn();
    const day = '2025-08-01';
    const good = entry({ day, source: 'bl_good' });
    for (const bad of [
      entry({ day: '2025-8-1' }),
      entry({ day, model: '' }),
      entry({ day, lane: 'cheap' as CostEntry['lane'] }),
      entry({ day, nanoUsd: 1.5 }),
      entry({ day, requests: -1 }),
      entry({ day, tag: 'x'.repeat(1_100) }),
    ]) {
      await expect(ledger.record([good, bad])).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(ledger.record([good, { ...good, nanoUsd: good.nanoUsd + 1 }])).rejects.toThrow(
      /two different cost entries/,
    );
    expect(await readAll(ledger, { since: day, until: day })).toEqual([]);
  });

  it('refuses a range out of order, and translates a missing table', async () => {
    const ledger = ledgerOn();
    await expect(readAll(ledger, { since: '2025-01-02', until: '2025-01-01' })).rejects.toThrow(
      InvalidInputError,
    );
    const missing = ledgerOn({ tableName: uniqueName('missing') });
    await expect(readAll(missing, { since: '2025-01-01', until: '2025-01-01' })).rejects.toThrow(
      NotFoundError,
    );
    await expect(missing.record([entry()])).rejects.toThrow(NotFoundError);
  });
});
