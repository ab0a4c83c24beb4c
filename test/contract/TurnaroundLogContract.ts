import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BatchTimes } from '../../shared/domain/turnaround.js';
import type { TurnaroundLog } from '../../shared/ports/TurnaroundLog.js';

const MINUTE = 60_000;

/** A batch submitted at `start` that ran `minutes`. */
const timesOf = (model: string, start: number, minutes: number): BatchTimes => ({
  batchId: `bl_${randomUUID().replaceAll('-', '')}`,
  provider: 'openai',
  model,
  requestCount: 10,
  submittedAt: new Date(start).toISOString(),
  inProgressAt: null,
  endedAt: new Date(start + minutes * MINUTE).toISOString(),
  firstDeliveredAt: new Date(start + minutes * MINUTE + 500).toISOString(),
  lastDeliveredAt: new Date(start + minutes * MINUTE + 900).toISOString(),
});

/** What every `TurnaroundLog` must do; run against the fake and against DynamoDB. */
const describeTurnaroundLogContract = (
  name: string,
  make: () => Promise<TurnaroundLog> | TurnaroundLog,
): void => {
  describe(`TurnaroundLog contract: ${name}`, () => {
    it('knows nothing of a model no batch of which ended', async () => {
      const log = await make();
      expect(await log.turnaroundOf('openai', `never-${randomUUID()}`)).toBeNull();
      expect(await log.recent('openai', `never-${randomUUID()}`)).toEqual([]);
    });

    it('gives p50/p90/p99 over the recorded batches of one provider and model', async () => {
      const log = await make();
      const model = `m-${randomUUID()}`;
      const start = Date.parse('2026-12-01T00:00:00Z');
      // 1..100 minutes, recorded out of order.
      const minutes = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
      for (const [i, m] of minutes.entries())
        await log.record(timesOf(model, start + i * MINUTE, m));
      // Another model's batches do not count.
      await log.record(timesOf(`${model}-other`, start, 1000));
      const stats = await log.turnaroundOf('openai', model);
      expect(stats).toEqual({
        provider: 'openai',
        model,
        batches: 100,
        p50Ms: 50 * MINUTE,
        p90Ms: 90 * MINUTE,
        p99Ms: 99 * MINUTE,
      });
    });

    it('counts a batch recorded twice once, and lists the newest first', async () => {
      const log = await make();
      const model = `m-${randomUUID()}`;
      const start = Date.parse('2026-12-02T00:00:00Z');
      const first = timesOf(model, start, 5);
      const second = timesOf(model, start + MINUTE, 10);
      await log.record(first);
      await log.record(second);
      await log.record(first);
      expect((await log.recent('openai', model)).map((t) => t.batchId)).toEqual([
        second.batchId,
        first.batchId,
      ]);
      expect((await log.turnaroundOf('openai', model))?.batches).toBe(2);
    });

    it('rests the distribution on the most recent batches only', async () => {
      const log = await make();
      const model = `m-${randomUUID()}`;
      const start = Date.parse('2026-12-03T00:00:00Z');
      for (let i = 0; i < 5; i += 1) await log.record(timesOf(model, start + i * MINUTE, 60));
      // Ended after the first five.
      for (let i = 0; i < 3; i += 1)
        await log.record(timesOf(model, start + (100 + i) * MINUTE, 2));
      expect(await log.turnaroundOf('openai', model, 3)).toMatchObject({
        batches: 3,
        p99Ms: 2 * MINUTE,
      });
    });
  });
};

export { describeTurnaroundLogContract, timesOf };
