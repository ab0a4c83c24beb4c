import { beforeEach, describe, expect, it } from 'vitest';
import type { CostEntry } from '../../shared/domain/costs/CostEntry.js';
import { newBatchRecord } from '../../shared/domain/newBatchRecord.js';
import type { BatchRecord } from '../../shared/domain/records.js';
import type { StatusReader } from '../../shared/ports/StatusReader.js';

/** A reader and the means to put state where it reads, as the pipeline would. */
interface StatusReaderSubject {
  readonly reader: StatusReader;
  putBatches(records: readonly BatchRecord[]): Promise<void>;
  putCosts(entries: readonly CostEntry[]): Promise<void>;
  putParked(key: string, body: string): Promise<void>;
  /** Puts `waiting` messages on the intake queue and `delayed` ones with a delay. */
  putIntake(waiting: number, delayed: number): Promise<void>;
}

const batch = (id: string, overrides: Partial<BatchRecord> = {}): BatchRecord =>
  newBatchRecord({
    batchId: id,
    provider: 'anthropic',
    endpoint: '/v1/messages',
    models: ['claude-sonnet-4-6'],
    state: 'filling',
    createdAt: '2026-12-06T10:00:00.000Z',
    nextPollAt: '2026-12-06T10:00:05.000Z',
    ...overrides,
  });

const cost = (overrides: Partial<CostEntry>): CostEntry => ({
  day: '2026-12-06',
  source: 'bl_a',
  provider: 'anthropic',
  model: 'claude-sonnet-4-6',
  lane: 'batch',
  tag: '',
  requests: 1,
  inputTokens: 10,
  outputTokens: 5,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  nanoUsd: 1_000,
  realtimeNanoUsd: 2_000,
  ...overrides,
});

const COMPLETED: Partial<BatchRecord> = {
  state: 'completed',
  requestCount: 7,
  submittedAt: '2026-12-06T10:00:03.000Z',
  endedAt: '2026-12-06T10:05:03.000Z',
  completedAt: '2026-12-06T10:05:09.000Z',
  providerExpiresAt: '2026-12-07T10:00:03.000Z',
  nextPollAt: null,
  counts: { succeeded: 6, errored: 1, expired: 0, canceled: 0, rejected: 0, retried: 0 },
};

/**
 * What every {@link StatusReader} must do, run against the in-memory fake and the DynamoDB,
 * S3 and SQS adapter alike.
 */
const describeStatusReaderContract = (
  name: string,
  makeSubject: () => Promise<StatusReaderSubject>,
): void => {
  describe(`StatusReader contract: ${name}`, () => {
    let subject: StatusReaderSubject;

    beforeEach(async () => {
      subject = await makeSubject();
    });

    it('lists every batch not yet completed, with the facts the view shows', async () => {
      await subject.putBatches([
        batch('bl_filling', { requestCount: 3 }),
        batch('bl_submitted', {
          provider: 'openai',
          endpoint: '/v1/chat/completions',
          models: ['gpt-4o-mini'],
          state: 'submitted',
          requestCount: 12,
          submittedAt: '2026-12-06T10:00:02.000Z',
          providerExpiresAt: '2026-12-07T10:00:02.000Z',
        }),
        batch('bl_done', COMPLETED),
      ]);
      const active = await subject.reader.activeBatches();
      expect(active.map((b) => b.batchId).sort()).toEqual(['bl_filling', 'bl_submitted']);
      expect(active.find((b) => b.batchId === 'bl_submitted')).toEqual({
        batchId: 'bl_submitted',
        provider: 'openai',
        models: ['gpt-4o-mini'],
        state: 'submitted',
        requestCount: 12,
        createdAt: '2026-12-06T10:00:00.000Z',
        submittedAt: '2026-12-06T10:00:02.000Z',
        endedAt: null,
        completedAt: null,
        providerExpiresAt: '2026-12-07T10:00:02.000Z',
        counts: null,
        lastError: null,
      });
    });

    it('reads named batches, completed ones too, each once, past one BatchGetItem call', async () => {
      const many = Array.from({ length: 105 }, (_, n) => batch(`bl_${n}`, COMPLETED));
      await subject.putBatches(many);
      const ids = [...many.map((b) => b.batchId), 'bl_0', 'bl_missing'];
      const found = await subject.reader.batches(ids);
      expect(found).toHaveLength(105);
      expect(new Set(found.map((b) => b.batchId)).size).toBe(105);
      expect(found.find((b) => b.batchId === 'bl_7')).toMatchObject({
        state: 'completed',
        requestCount: 7,
        endedAt: '2026-12-06T10:05:03.000Z',
        counts: { succeeded: 6, errored: 1 },
      });
      expect(await subject.reader.batches([])).toEqual([]);
    });

    it('reads the cost entries of the days asked for, day by day', async () => {
      await subject.putCosts([
        cost({ day: '2026-12-04', source: 'bl_old' }),
        cost({ day: '2026-12-06', source: 'bl_b', lane: 'flex', requests: 4 }),
        cost({ day: '2026-12-05', source: 'req:chat-1', lane: 'realtime' }),
      ]);
      const entries: CostEntry[] = [];
      for await (const e of subject.reader.costEntries({
        since: '2026-12-05',
        until: '2026-12-06',
      })) {
        entries.push(e);
      }
      expect(entries.map((e) => [e.day, e.source, e.lane, e.requests])).toEqual([
        ['2026-12-05', 'req:chat-1', 'realtime', 1],
        ['2026-12-06', 'bl_b', 'flex', 4],
      ]);
    });

    it('lists parked objects with their destination type and size, up to the limit', async () => {
      await subject.putParked('parked/sqs/0123456789abcdef/bl_a/0.jsonl', '{"a":1}\n');
      await subject.putParked('parked/webhook/fedcba9876543210/bl_b/0.jsonl', '{"b":22}\n');
      await subject.putParked('parked/webhook/fedcba9876543210/bl_c/0.jsonl', '{"c":333}\n');
      const all = await subject.reader.parkedResults(10);
      expect(all.map((p) => [p.destinationType, p.bytes])).toEqual([
        ['sqs', 8],
        ['webhook', 9],
        ['webhook', 10],
      ]);
      expect(
        all.every((p) => p.lastModified !== null && !Number.isNaN(Date.parse(p.lastModified))),
      ).toBe(true);
      expect(await subject.reader.parkedResults(2)).toHaveLength(2);
    });

    it('counts the intake queue: waiting, and delayed (held by admission)', async () => {
      await subject.putIntake(2, 3);
      expect(await subject.reader.intakeDepth()).toEqual({ waiting: 2, delayed: 3, inFlight: 0 });
    });
  });
};

export { describeStatusReaderContract, type StatusReaderSubject };
