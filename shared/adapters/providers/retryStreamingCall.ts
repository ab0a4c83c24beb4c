import { setTimeout as sleep } from 'node:timers/promises';
import * as Anthropic from '@anthropic-ai/sdk';
import * as OpenAI from 'openai';
import { backoffDelayMs, SDK_BACKOFF } from '../../domain/backoff.js';
import {
  type ProviderErrorContext,
  retryAdviceFor,
  translateProviderError,
} from './translateProviderError.js';

/** Wraps a request body so that a failure of the body's own source can be told apart. */
type WatchBody = <C>(chunks: AsyncIterable<C>) => AsyncIterable<C>;

interface StreamingCall<T> {
  readonly context: ProviderErrorContext;
  /** Retries after the first try, as the client's own `maxRetries` would allow. */
  readonly maxRetries: number;
  /**
   * One try, which must open its input afresh: a body that was read once cannot be sent
   * again. `retryCount` is meant for the `x-stainless-retry-count` header; the body's chunks
   * go through `watch`.
   */
  send(retryCount: number, watch: WatchBody): Promise<T>;
}

/**
 * A provider's wait longer than this is not slept through: the translated error (with its
 * `retryAfterMs`) lets the caller come back later instead of holding a Lambda idle.
 */
const MAX_WAIT_MS = 60_000;

const isSdkError = (error: unknown): boolean =>
  error instanceof Anthropic.AnthropicError || error instanceof OpenAI.OpenAIError;

/**
 * Makes a call whose body is streamed, with the retries the SDKs would make for a body they
 * can replay (they never retry a stream): what `retryAdviceFor` calls retryable is tried
 * again with a freshly opened body, after the provider's `retry-after` or the SDKs' backoff.
 * An SDK error that remains is translated into batchlane's errors. A failure of the body
 * itself (the input cannot be read, or fails validation while it is sent) is thrown as it
 * is, even though the SDK reports it as a connection error, and is not retried.
 */
const retryStreamingCall = async <T>(call: StreamingCall<T>): Promise<T> => {
  for (let retryCount = 0; ; retryCount += 1) {
    const body: { failed: boolean; error: unknown } = { failed: false, error: undefined };
    const watch: WatchBody = <C>(chunks: AsyncIterable<C>) =>
      (async function* watched() {
        try {
          yield* chunks;
        } catch (error) {
          if (!body.failed) Object.assign(body, { failed: true, error });
          throw error;
        }
      })();
    try {
      return await call.send(retryCount, watch);
    } catch (error) {
      if (body.failed) throw body.error;
      if (!isSdkError(error)) throw error;
      const advice = retryAdviceFor(error);
      const waitMs = advice.afterMs ?? backoffDelayMs(retryCount, SDK_BACKOFF);
      if (!advice.retry || retryCount >= call.maxRetries || waitMs > MAX_WAIT_MS) {
        throw translateProviderError(error, call.context);
      }
      await sleep(waitMs);
    }
  }
};

export { retryStreamingCall };
