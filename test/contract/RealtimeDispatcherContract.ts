import { beforeEach, describe, expect, it } from 'vitest';
import { type RealtimeJob, RealtimeJobSchema } from '../../shared/domain/RealtimeJob.js';
import type { RealtimeDispatcher } from '../../shared/ports/RealtimeDispatcher.js';
import {
  DELAY_SECONDS,
  type MakeQueueSubject,
  type QueueSubject,
} from './IntakeRequeuerContract.js';

const job = (customId: string): RealtimeJob =>
  RealtimeJobSchema.parse({
    schema: 'batchlane.realtime-job.v1',
    custom_id: customId,
    producer: 'team-a',
    request_hash: 'h1',
    request_key: `realtime/team-a/${customId}/h1.request.json`,
    provider: 'openai',
    endpoint: '/v1/chat/completions',
    model: 'gpt-5-mini',
    lane: 'flex',
    requested: 'auto',
    reason: 'deadline too close for a batch',
    destination: null,
    metadata: { ticket: customId },
    deadline: '2026-11-26T12:00:00.000Z',
    accepted_at: '2026-11-26T10:00:00.000Z',
    target: { kind: 'member', batch_id: 'b_1', provider_custom_id: 'p-1', attempts: 2 },
  });

/**
 * What every {@link RealtimeDispatcher} does: the job reaches the worker's queue as JSON the
 * worker's schema reads back to the same job, visible at once or after the delay (clamped to
 * SQS's 0–900 s); a queue that cannot be reached is a retryable error.
 */
const describeRealtimeDispatcherContract = (
  name: string,
  makeSubject: MakeQueueSubject<RealtimeDispatcher>,
) => {
  describe(`RealtimeDispatcher contract: ${name}`, () => {
    let subject: QueueSubject<RealtimeDispatcher>;

    beforeEach(async () => {
      subject = await makeSubject();
      return () => subject.close?.();
    });

    it('queues the job as JSON that reads back as the same job, visible at once', async () => {
      await subject.port.dispatch(job('c-1'));
      const received = await subject.queue.receive();
      expect(received).toHaveLength(1);
      expect(RealtimeJobSchema.parse(JSON.parse(received[0]?.body ?? ''))).toEqual(job('c-1'));
    });

    it('makes the job visible only after its delay', async () => {
      await subject.port.dispatch(job('c-2'), { delaySeconds: DELAY_SECONDS });
      expect(await subject.queue.receive()).toEqual([]);
      await subject.queue.elapse(DELAY_SECONDS);
      expect(await subject.queue.receive()).toHaveLength(1);
    });

    it('clamps a delay outside 0–900 s instead of failing', async () => {
      await subject.port.dispatch(job('late'), { delaySeconds: 5000 });
      await subject.port.dispatch(job('now'), { delaySeconds: -1 });
      const received = await subject.queue.receive();
      expect(received.map((m) => JSON.parse(m.body).custom_id)).toEqual(['now']);
    });

    it('queues a job dispatched twice twice (the worker folds it by lease)', async () => {
      await subject.port.dispatch(job('c-3'));
      await subject.port.dispatch(job('c-3'));
      expect(await subject.queue.receive()).toHaveLength(2);
    });

    it('fails with a retryable error when the queue cannot be reached', async () => {
      await expect(subject.unreachable.dispatch(job('x'))).rejects.toMatchObject({
        retryable: true,
      });
    });
  });
};

export { describeRealtimeDispatcherContract, job as sampleRealtimeJob };
