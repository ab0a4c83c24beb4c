import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../shared/domain/errors.js';
import type { RealtimeCall, RealtimeProvider } from '../../shared/ports/RealtimeProvider.js';
import type { Subject } from './subject.js';

interface RealtimeProviderSubject extends Subject<RealtimeProvider> {
  /** A call the provider answers. */
  call(lane: RealtimeCall['lane']): RealtimeCall;
  /** A call the provider refuses as a bad request, and the error type it names. */
  badCall(): RealtimeCall;
  readonly badCallErrorType: string;
  /** The provider fails the next try of each call with a 5xx; `persist`: every try. */
  failTries(persist: boolean): void;
  /** Back to no failures. */
  clearFailures(): void;
  /** Requests the provider has received so far. */
  requestsReceived(): number;
  /** A provider of the same kind whose key is refused. */
  readonly wrongKey: RealtimeProvider;
}

/**
 * What every {@link RealtimeProvider} does: an answered call is `succeeded` with the
 * provider's object, its model and the tier that served it; a request the provider refuses is
 * an `errored` outcome, not retryable and with no tier; a transient failure is tried again and
 * every try counted; one that persists is thrown, retryable; a refused key is a non-retryable
 * `AuthError`; past the deadline, or once aborted, nothing is sent and a retryable error is
 * thrown.
 */
const describeRealtimeProviderContract = (
  name: string,
  makeSubject: () => Promise<RealtimeProviderSubject>,
) => {
  describe(`RealtimeProvider contract: ${name}`, () => {
    let subject: RealtimeProviderSubject;

    beforeAll(async () => {
      subject = await makeSubject();
    });
    afterEach(() => subject.clearFailures());
    afterAll(() => subject.close?.());

    it('answers a call with the provider object, its model and the tier that served it', async () => {
      const call = subject.call('realtime');
      const outcome = await subject.port.invoke(call);
      expect(outcome).toMatchObject({
        status: 'succeeded',
        error: null,
        retryable: false,
        httpAttempts: 1,
      });
      expect(outcome.response).not.toBeNull();
      expect(outcome.model).toBe(call.body['model'] ?? call.model);
      // The provider's own word for its standard tier (OpenAI `default`, Anthropic `standard`).
      expect(outcome.serviceTier).toEqual(expect.any(String));
      expect(outcome.serviceTier).not.toBe('flex');
    });

    it('serves the flex lane at flex where the provider has it, else at its standard tier', async () => {
      const standard = (await subject.port.invoke(subject.call('realtime'))).serviceTier;
      const outcome = await subject.port.invoke(subject.call('flex'));
      expect(outcome.status).toBe('succeeded');
      expect(outcome.serviceTier).toBe(subject.port.supportsFlex ? 'flex' : standard);
    });

    it('returns a refused request as errored, not retryable and with no tier', async () => {
      const outcome = await subject.port.invoke(subject.badCall());
      expect(outcome).toMatchObject({
        status: 'errored',
        response: null,
        retryable: false,
        serviceTier: null,
      });
      expect(outcome.error?.type).toBe(subject.badCallErrorType);
    });

    it('tries a transient failure again, counting every try', async () => {
      subject.failTries(false);
      const outcome = await subject.port.invoke(subject.call('realtime'));
      expect(outcome).toMatchObject({ status: 'succeeded', httpAttempts: 2 });
    });

    it('throws a retryable error when the failure persists', async () => {
      subject.failTries(true);
      await expect(subject.port.invoke(subject.call('realtime'))).rejects.toMatchObject({
        retryable: true,
      });
    });

    it('throws a non-retryable AuthError for a refused key', async () => {
      const call = subject.wrongKey.invoke(subject.call('realtime'));
      await expect(call).rejects.toBeInstanceOf(AuthError);
      await expect(call).rejects.toMatchObject({ retryable: false });
    });

    it('sends nothing past the deadline, or once aborted, and throws a retryable error', async () => {
      const before = subject.requestsReceived();
      const late = { ...subject.call('realtime'), deadline: new Date(Date.now() - 1000) };
      await expect(subject.port.invoke(late)).rejects.toMatchObject({ retryable: true });
      const aborted = AbortSignal.abort();
      await expect(
        subject.port.invoke(subject.call('realtime'), { signal: aborted }),
      ).rejects.toMatchObject({ retryable: true });
      expect(subject.requestsReceived()).toBe(before);
    });
  });
};

export { describeRealtimeProviderContract, type RealtimeProviderSubject };
