import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CostEntry, CostRange } from '../../shared/domain/costs/CostEntry.js';
import { InvalidInputError } from '../../shared/domain/errors.js';
import type { CostLedger } from '../../shared/ports/CostLedger.js';
import type { Subject } from './subject.js';

/** A run of days no other test uses: a real ledger outlives a test. */
let nextYear = 3000 + Math.floor(Math.random() * 5000);
const freshYear = (): string => {
  nextYear += 1;
  return String(nextYear);
};

const entry = (overrides: Partial<CostEntry> & Pick<CostEntry, 'day'>): CostEntry => ({
  source: 'b_1',
  provider: 'openai',
  model: 'gpt-4o-mini',
  lane: 'batch',
  tag: '',
  requests: 2,
  inputTokens: 100,
  outputTokens: 50,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  nanoUsd: 1_500,
  realtimeNanoUsd: 3_000,
  ...overrides,
});

const read = async (ledger: CostLedger, range: CostRange): Promise<CostEntry[]> => {
  const all: CostEntry[] = [];
  for await (const e of ledger.entries(range)) all.push(e);
  return all;
};

/** Entries in a fixed order, to compare what a day holds whatever order it comes back in. */
const sorted = (entries: readonly CostEntry[]): CostEntry[] =>
  [...entries].sort((a, b) =>
    JSON.stringify([a.day, a.source, a.provider, a.model, a.lane, a.tag]).localeCompare(
      JSON.stringify([b.day, b.source, b.provider, b.model, b.lane, b.tag]),
    ),
  );

/**
 * What every {@link CostLedger} does: entries are stored whole and replaced by key (day,
 * source, provider, model, lane, tag), so repeating a write changes nothing; they are read
 * back day by day in ascending order; a malformed entry, or two different ones for one key,
 * refuses the whole call before anything is written; a range not in order is refused.
 */
const describeCostLedgerContract = (
  name: string,
  makeSubject: () => Promise<Subject<CostLedger>>,
) => {
  describe(`CostLedger contract: ${name}`, () => {
    let subject: Subject<CostLedger>;
    let ledger: CostLedger;

    beforeAll(async () => {
      subject = await makeSubject();
      ledger = subject.port;
    });
    afterAll(() => subject.close?.());

    it('reads back what was recorded, day by day in ascending order, within the range', async () => {
      const y = freshYear();
      const days = [`${y}-03-01`, `${y}-02-28`, `${y}-03-02`, `${y}-02-27`];
      await ledger.record(days.map((day, i) => entry({ day, nanoUsd: 100 + i })));
      const found = await read(ledger, { since: `${y}-02-28`, until: `${y}-03-01` });
      expect(found).toEqual([
        entry({ day: `${y}-02-28`, nanoUsd: 101 }),
        entry({ day: `${y}-03-01`, nanoUsd: 100 }),
      ]);
      expect(await read(ledger, { since: `${y}-03-02`, until: `${y}-03-02` })).toHaveLength(1);
      expect(await read(ledger, { since: `${y}-04-01`, until: `${y}-04-30` })).toEqual([]);
    });

    it('replaces an entry written again under its key, and repeating a write changes nothing', async () => {
      const day = `${freshYear()}-05-05`;
      const first = entry({ day, requests: 1, nanoUsd: 10 });
      await ledger.record([first]);
      await ledger.record([first]);
      expect(await read(ledger, { since: day, until: day })).toEqual([first]);
      const whole = entry({ day, requests: 3, nanoUsd: 30 });
      await ledger.record([whole]);
      expect(await read(ledger, { since: day, until: day })).toEqual([whole]);
    });

    it('keeps apart entries that differ in any key part, separators in names included', async () => {
      const day = `${freshYear()}-06-01`;
      const distinct = [
        entry({ day }),
        entry({ day, source: 'req:c-1' }),
        entry({ day, provider: 'anthropic' }),
        entry({ day, model: 'gpt-5-mini' }),
        entry({ day, lane: 'flex' }),
        entry({ day, lane: 'realtime' }),
        entry({ day, tag: 'team-a' }),
        // Joined naively with '#', these two would be one key.
        entry({ day, model: 'm#x', tag: 't' }),
        entry({ day, model: 'm', tag: 'x#t' }),
        entry({ day, model: 'm%23x', tag: 't' }),
      ].map((e, i) => ({ ...e, nanoUsd: i + 1 }));
      await ledger.record(distinct);
      expect(sorted(await read(ledger, { since: day, until: day }))).toEqual(sorted(distinct));
    });

    it('records many entries in one call', async () => {
      const day = `${freshYear()}-07-01`;
      const many = Array.from({ length: 60 }, (_, i) => entry({ day, source: `b_${i}` }));
      await ledger.record(many);
      expect(await read(ledger, { since: day, until: day })).toHaveLength(60);
      await expect(ledger.record([])).resolves.toBeUndefined();
    });

    it.each([
      ['a day that is not a date', { day: '2026-02-30' }],
      ['an empty source', { source: '' }],
      ['an unknown lane', { lane: 'priority' as CostEntry['lane'] }],
      ['a negative count', { outputTokens: -1 }],
      ['a fractional amount', { nanoUsd: 1.5 }],
      ['a key longer than the store takes', { tag: 't'.repeat(1100) }],
    ])('refuses %s with InvalidInputError, writing nothing of the call', async (_, bad) => {
      const day = `${freshYear()}-08-01`;
      const good = entry({ day });
      const write = ledger.record([good, { ...entry({ day, source: 'b_bad' }), ...bad }]);
      await expect(write).rejects.toBeInstanceOf(InvalidInputError);
      await expect(write).rejects.toMatchObject({ code: 'invalid_cost_entry' });
      expect(await read(ledger, { since: day, until: day })).toEqual([]);
    });

    it('refuses two different entries for one key in one call; two equal ones are one', async () => {
      const day = `${freshYear()}-09-01`;
      const write = ledger.record([entry({ day, nanoUsd: 1 }), entry({ day, nanoUsd: 2 })]);
      await expect(write).rejects.toBeInstanceOf(InvalidInputError);
      expect(await read(ledger, { since: day, until: day })).toEqual([]);
      await ledger.record([entry({ day }), entry({ day })]);
      expect(await read(ledger, { since: day, until: day })).toEqual([entry({ day })]);
    });

    it('refuses a range whose days are not dates or not in order', async () => {
      for (const range of [
        { since: '2026-03-02', until: '2026-03-01' },
        { since: '2026-3-1', until: '2026-03-02' },
        { since: '2026-03-01', until: 'today' },
      ]) {
        await expect(read(ledger, range)).rejects.toMatchObject({
          constructor: InvalidInputError,
          code: 'invalid_range',
        });
      }
    });
  });
};

export { describeCostLedgerContract };
