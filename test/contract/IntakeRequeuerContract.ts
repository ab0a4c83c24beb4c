import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PRODUCER_ATTRIBUTE, PRODUCER_ATTRIBUTE } from '../../shared/domain/producer.js';
import type { IntakeRequeuer } from '../../shared/ports/IntakeRequeuer.js';
import type { QueueProbe } from './queueProbe.js';
import type { Subject } from './subject.js';

interface QueueSubject<Port> extends Subject<Port> {
  /** The queue the port sends to, empty at the start. */
  readonly queue: QueueProbe;
  /** A port of the same kind whose queue cannot be reached. */
  readonly unreachable: Port;
}

/** A fresh subject per test: a queue holds what an earlier test left visible later. */
type MakeQueueSubject<Port> = () => Promise<QueueSubject<Port>>;

/**
 * How long a delayed message stays hidden in these tests: long enough that a loaded machine
 * still reads the queue before it is up (a real queue is waited for).
 */
const DELAY_SECONDS = 4;

const bodyOf = (id: string, padding = 0): string =>
  JSON.stringify({ custom_id: id, params: { text: 'x'.repeat(padding) } });

/**
 * What every {@link IntakeRequeuer} does: each message is sent anew, body unchanged, with its
 * producer as the `batchlane-producer` attribute (`(default)` for the default producer ''), visible
 * after the delay (clamped to SQS's 0–900 s), however many messages and bytes one call holds;
 * a queue that cannot be reached is a retryable error.
 */
const describeIntakeRequeuerContract = (
  name: string,
  makeSubject: MakeQueueSubject<IntakeRequeuer>,
) => {
  describe(`IntakeRequeuer contract: ${name}`, () => {
    let subject: QueueSubject<IntakeRequeuer>;

    beforeEach(async () => {
      subject = await makeSubject();
      return () => subject.close?.();
    });

    it('sends each message anew, its producer as an attribute (a marker for the default one)', async () => {
      await subject.port.requeue(
        [
          { body: bodyOf('a'), producer: 'team-a' },
          { body: bodyOf('b'), producer: '' },
        ],
        0,
      );
      const received = await subject.queue.receive();
      expect(received.map((m) => [JSON.parse(m.body).custom_id, m.attributes])).toEqual(
        expect.arrayContaining([
          ['a', { [PRODUCER_ATTRIBUTE]: 'team-a' }],
          ['b', { [PRODUCER_ATTRIBUTE]: DEFAULT_PRODUCER_ATTRIBUTE }],
        ]),
      );
      expect(received).toHaveLength(2);
      expect(received.every((m) => m.receiveCount === 1)).toBe(true);
    });

    it('makes the messages visible only after the delay', async () => {
      await subject.port.requeue([{ body: bodyOf('later'), producer: 'p' }], DELAY_SECONDS);
      expect(await subject.queue.receive()).toEqual([]);
      await subject.queue.elapse(DELAY_SECONDS);
      expect((await subject.queue.receive()).map((m) => m.body)).toEqual([bodyOf('later')]);
    });

    it('sends every message once, past ten messages and 1 MiB in one call', async () => {
      const messages = [
        ...Array.from({ length: 14 }, (_, i) => ({ body: bodyOf(`small-${i}`), producer: 'p' })),
        ...Array.from({ length: 6 }, (_, i) => ({
          body: bodyOf(`large-${i}`, 200 * 1024),
          producer: 'p',
        })),
      ];
      await subject.port.requeue(messages, 0);
      const received = await subject.queue.receive();
      expect(received.map((m) => m.body).sort()).toEqual(messages.map((m) => m.body).sort());
    });

    it('clamps a delay outside 0–900 s instead of failing', async () => {
      await subject.port.requeue([{ body: bodyOf('too-late'), producer: 'p' }], 3600);
      await subject.port.requeue([{ body: bodyOf('negative'), producer: 'p' }], -5);
      expect((await subject.queue.receive()).map((m) => m.body)).toEqual([bodyOf('negative')]);
    });

    it('sends nothing for no messages', async () => {
      await subject.port.requeue([], 10);
      await subject.queue.elapse(0);
      expect(await subject.queue.receive()).toEqual([]);
    });

    it('fails with a retryable error when the queue cannot be reached', async () => {
      await expect(
        subject.unreachable.requeue([{ body: bodyOf('x'), producer: 'p' }], 0),
      ).rejects.toMatchObject({ retryable: true });
    });
  });
};

export { DELAY_SECONDS, describeIntakeRequeuerContract, type MakeQueueSubject, type QueueSubject };
