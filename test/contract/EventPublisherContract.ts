import { beforeEach, describe, expect, it } from 'vitest';
import type { BatchlaneEvent } from '../../shared/contract/events.js';
import { InvalidInputError } from '../../shared/domain/errors.js';
import type { EventPublisher } from '../../shared/ports/EventPublisher.js';
import type { Subject } from './subject.js';

interface EventPublisherSubject extends Subject<EventPublisher> {
  /** What reached the bus: source, detail type and parsed detail, oldest first. */
  published(): Promise<{ source: string; detailType: string; detail: unknown }[]>;
  /** The bus fails the next `count` entries with `errorCode`, as EventBridge does under load. */
  failNextEntries(count: number, errorCode: string): void;
  /** Tries per entry the port was built with. */
  readonly maxAttempts: number;
}

const rejected = (n: number, padding = 0): BatchlaneEvent => ({
  detailType: 'Request Rejected',
  detail: {
    custom_id: `c-${n}`,
    reason: { code: 'invalid_body', message: `bad “${n}” ${'x'.repeat(padding)}`, issues: [] },
    message_id: `m-${n}`,
    result_delivered: false,
    rejected_at: '2026-11-26T10:00:00.000Z',
  },
});

const idsOf = (events: readonly { detail: unknown }[]): string[] =>
  events.map((e) => (e.detail as { custom_id: string }).custom_id);

/**
 * What every {@link EventPublisher} does: every event reaches the bus once with source
 * `batchlane`, its detail type and detail unchanged, however many and however large (up to
 * 256 KB each) they are; entries the bus fails for now are tried again inside; what still
 * fails, or can never pass (too large, malformed), is thrown, retryable or not as it is.
 */
const describeEventPublisherContract = (
  name: string,
  makeSubject: () => Promise<EventPublisherSubject>,
) => {
  describe(`EventPublisher contract: ${name}`, () => {
    let subject: EventPublisherSubject;

    beforeEach(async () => {
      subject = await makeSubject();
      return () => subject.close?.();
    });

    it('publishes every event once, with source batchlane and its detail unchanged', async () => {
      const events = Array.from({ length: 23 }, (_, n) => rejected(n));
      await subject.port.publish(events);
      const published = await subject.published();
      expect(published).toHaveLength(23);
      expect(idsOf(published).sort()).toEqual(idsOf(events).sort());
      expect(published.find((e) => idsOf([e])[0] === 'c-7')).toEqual({
        source: 'batchlane',
        detailType: 'Request Rejected',
        detail: rejected(7).detail,
      });
    });

    it('publishes nothing for no events', async () => {
      await subject.port.publish([]);
      expect(await subject.published()).toEqual([]);
    });

    it('publishes large events whose sum passes what one call carries', async () => {
      await subject.port.publish(Array.from({ length: 5 }, (_, n) => rejected(n, 100_000)));
      expect(idsOf(await subject.published()).sort()).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    });

    it('refuses an event over 256 KB for good, and still publishes the rest', async () => {
      const publish = subject.port.publish([rejected(1), rejected(2, 300_000), rejected(3)]);
      await expect(publish).rejects.toBeInstanceOf(InvalidInputError);
      await expect(publish).rejects.toMatchObject({
        code: 'event_too_large',
        details: { failedEvents: 1, events: 3 },
      });
      expect(idsOf(await subject.published()).sort()).toEqual(['c-1', 'c-3']);
    });

    it('tries again the entries the bus failed for now, until they pass', async () => {
      subject.failNextEntries(3, 'ThrottlingException');
      await subject.port.publish(Array.from({ length: 5 }, (_, n) => rejected(n)));
      expect(idsOf(await subject.published()).sort()).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    });

    it('throws a retryable error when entries keep failing', async () => {
      subject.failNextEntries(2 * subject.maxAttempts, 'InternalFailure');
      const publish = subject.port.publish([rejected(1), rejected(2)]);
      await expect(publish).rejects.toMatchObject({
        retryable: true,
        details: { failedEvents: 2, events: 2 },
      });
      expect(await subject.published()).toEqual([]);
    });

    it('throws at once, not retryable, when the bus refuses an entry for good', async () => {
      subject.failNextEntries(1, 'MalformedDetail');
      await expect(subject.port.publish([rejected(1)])).rejects.toMatchObject({
        constructor: InvalidInputError,
        retryable: false,
      });
      expect(await subject.published()).toEqual([]);
    });
  });
};

export { describeEventPublisherContract, type EventPublisherSubject };
