import { beforeEach, describe, expect, it } from 'vitest';
import type { CompletionNotifier } from '../../shared/ports/CompletionNotifier.js';
import {
  DELAY_SECONDS,
  type MakeQueueSubject,
  type QueueSubject,
} from './IntakeRequeuerContract.js';

/**
 * What every {@link CompletionNotifier} does: `notifyEnded` queues `{"batch_id": …}` for the
 * completion function, once per call; `retrySoon` brings a received message back after the
 * delay given (not the queue's visibility timeout), counted as another receive; a receipt
 * handle the queue does not know is refused for good; an unreachable queue is retryable.
 */
const describeCompletionNotifierContract = (
  name: string,
  makeSubject: MakeQueueSubject<CompletionNotifier>,
) => {
  describe(`CompletionNotifier contract: ${name}`, () => {
    let subject: QueueSubject<CompletionNotifier>;

    beforeEach(async () => {
      subject = await makeSubject();
      return () => subject.close?.();
    });

    it('queues the batch id for the completion function, once per call', async () => {
      await subject.port.notifyEnded('b_1');
      await subject.port.notifyEnded('b_1');
      await subject.port.notifyEnded('b_2');
      const received = await subject.queue.receive();
      expect(
        received.map((m) => JSON.parse(m.body)).sort((a, b) => (a.batch_id < b.batch_id ? -1 : 1)),
      ).toEqual([{ batch_id: 'b_1' }, { batch_id: 'b_1' }, { batch_id: 'b_2' }]);
    });

    it('brings a received message back after the delay given, as another receive', async () => {
      await subject.port.notifyEnded('b_retry');
      const [first] = await subject.queue.receive();
      if (first === undefined) throw new Error('the notification did not arrive');
      await subject.port.retrySoon(first.receiptHandle, DELAY_SECONDS);
      expect(await subject.queue.receive()).toEqual([]);
      await subject.queue.elapse(DELAY_SECONDS);
      const [again] = await subject.queue.receive();
      expect(again?.body).toBe(first.body);
      expect(again?.receiveCount).toBe(2);
    });

    it('brings a message back at once with no delay', async () => {
      await subject.port.notifyEnded('b_now');
      const [first] = await subject.queue.receive();
      await subject.port.retrySoon(first?.receiptHandle ?? '', 0);
      expect((await subject.queue.receive()).map((m) => m.body)).toEqual([first?.body]);
    });

    it('refuses a receipt handle the queue does not know, for good', async () => {
      await subject.port.notifyEnded('b_gone');
      const [first] = await subject.queue.receive();
      await subject.queue.delete(first as NonNullable<typeof first>);
      await expect(subject.port.retrySoon(first?.receiptHandle ?? '', 5)).rejects.toMatchObject({
        retryable: false,
      });
    });

    it('fails with a retryable error when the queue cannot be reached', async () => {
      await expect(subject.unreachable.notifyEnded('b_x')).rejects.toMatchObject({
        retryable: true,
      });
    });
  });
};

export { describeCompletionNotifierContract };
