import { describe, expect, it } from 'vitest';
import type { CostEntry } from '../../../shared/domain/costs/CostEntry.js';
import { newBatchRecord } from '../../../shared/domain/newBatchRecord.js';
import type { BatchRecord } from '../../../shared/domain/records.js';
import type { BatchFacts } from '../../../shared/ports/StatusReader.js';
import { readStatus } from '../../../shared/usecases/readStatus.js';
import { InMemoryStatusReader } from '../../support/fakes/InMemoryStatusReader.js';

const clock = { now: () => new Date('2026-12-06T12:00:00.000Z') };
const settings = { maxRequestsPerBatch: null, batchMaxAgeSeconds: null };

const batch = (id: string, overrides: Partial<BatchRecord> = {}): BatchRecord =>
  newBatchRecord({
    batchId: id,
    provider: 'anthropic',
    endpoint: '/v1/messages',
    models: ['claude-haiku-4-5'],
    state: 'completed',
    createdAt: '2026-12-06T11:00:00.000Z',
    nextPollAt: null,
    ...overrides,
  });

const cost = (day: string, source: string): CostEntry => ({
  day,
  source,
  provider: 'anthropic',
  model: 'claude-haiku-4-5',
  lane: 'batch',
  tag: '',
  requests: 1,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  nanoUsd: 10,
  realtimeNanoUsd: 20,
});

/** The fake, counting the batch ids each read asks for. */
class CountingReader extends InMemoryStatusReader {
  readonly asked: string[][] = [];
  override async batches(ids: readonly string[]): Promise<BatchFacts[]> {
    this.asked.push([...ids]);
    return super.batches(ids);
  }
}

describe('readStatus', () => {
  it("reads the range's costs, the batches they name and the active ones", async () => {
    const reader = new CountingReader();
    reader.putBatch(batch('bl_today'));
    reader.putBatch(batch('bl_active', { state: 'submitted' }));
    reader.putBatch(batch('bl_old'));
    reader.putCosts([
      cost('2026-12-06', 'bl_today'),
      cost('2026-12-06', 'bl_active'),
      cost('2026-12-06', 'req:chat-1'),
      cost('2026-12-01', 'bl_old'),
    ]);
    const status = await readStatus({ reader, clock, settings, days: 2 });
    expect(status.range).toEqual({ since: '2026-12-05', until: '2026-12-06' });
    expect(status.batches.map((b) => b.batch_id)).toEqual(['bl_active', 'bl_today']);
    // Active batches come from their own read; `req:` sources are not batches.
    expect(reader.asked).toEqual([['bl_today']]);
  });

  it('reads a completed batch once across reads that share what they learnt', async () => {
    const reader = new CountingReader();
    reader.putBatch(batch('bl_done'));
    reader.putBatch(batch('bl_ended', { state: 'ended' }));
    reader.putCosts([cost('2026-12-06', 'bl_done')]);
    const completed = new Map<string, BatchFacts>();
    await readStatus({ reader, clock, settings, completed });
    const again = await readStatus({ reader, clock, settings, completed });
    expect(reader.asked).toEqual([['bl_done'], []]);
    expect(again.batches.map((b) => [b.batch_id, b.state])).toEqual([
      ['bl_ended', 'ended'],
      ['bl_done', 'completed'],
    ]);
    expect([...completed.keys()]).toEqual(['bl_done']);
  });

  it('reports more parked objects than it reads as a lower bound', async () => {
    const reader = new InMemoryStatusReader();
    for (let n = 0; n < 1_001; n++) {
      reader.putParked(`parked/sqs/abcd/bl_${n}/0.jsonl`, 10, '2026-12-06T11:00:00.000Z');
    }
    const status = await readStatus({ reader, clock, settings });
    expect(status.parked).toMatchObject({ objects: 1_000, bytes: 10_000, truncated: true });
  });
});
