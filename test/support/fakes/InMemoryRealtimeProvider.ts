import type { ProviderName } from '../../../shared/contract/providers.js';
import { AuthError, type BatchlaneError, UnavailableError } from '../../../shared/domain/errors.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
  RealtimeProvider,
} from '../../../shared/ports/RealtimeProvider.js';

/** Tries per call, the first included, as the adapters' default retry policy allows. */
const MAX_TRIES = 3;

const expiredDeadline = (): UnavailableError =>
  new UnavailableError('the call deadline has passed; no try started', {
    code: 'deadline_exceeded',
  });

/**
 * {@link RealtimeProvider} in memory, with the adapters' outcome rules: a body without
 * `messages` or `input` is refused by the "provider" (`errored`, `invalid_request_error`, not
 * retryable, no tier); failures set with `failNextTries` are tried again up to three tries
 * and then thrown (retryable); a revoked key (`authorize(false)`) is an `AuthError` at the
 * first try; nothing is tried past the deadline or after an abort. A flex call is served at
 * `flex` when the provider has flex, else at its standard tier (`default` for OpenAI, `standard`
 * for the others, as they report it). `tries` counts what it was sent.
 */
class InMemoryRealtimeProvider implements RealtimeProvider {
  readonly name: ProviderName;
  readonly supportsFlex: boolean;
  tries = 0;
  #failures: BatchlaneError[] = [];
  #authorized = true;
  #now: () => Date;

  constructor(options: { name?: ProviderName; supportsFlex?: boolean; now?: () => Date } = {}) {
    this.name = options.name ?? 'openai';
    this.supportsFlex = options.supportsFlex ?? this.name === 'openai';
    this.#now = options.now ?? (() => new Date());
  }

  async invoke(call: RealtimeCall, options: RealtimeInvokeOptions = {}): Promise<RealtimeOutcome> {
    let attempts = 0;
    for (;;) {
      if (options.signal?.aborted === true) {
        throw new UnavailableError('the call was aborted', { code: 'aborted' });
      }
      if (call.deadline != null && this.#now() >= call.deadline) throw expiredDeadline();
      attempts += 1;
      this.tries += 1;
      if (!this.#authorized) {
        throw new AuthError(`${this.name}: invalid API key`, { code: 'unauthorized' });
      }
      const failure = this.#failures.shift();
      if (failure === undefined) break;
      if (!failure.retryable || attempts >= MAX_TRIES) throw failure;
    }
    const model =
      typeof call.body['model'] === 'string' ? call.body['model'] : (call.model ?? null);
    if (!('messages' in call.body) && !('input' in call.body) && !('contents' in call.body)) {
      return {
        status: 'errored',
        response: null,
        error: { type: 'invalid_request_error', message: 'the request names no messages or input' },
        retryable: false,
        model,
        serviceTier: null,
        httpAttempts: attempts,
      };
    }
    // Each provider's own word for its standard tier, as it reports it.
    const standard = this.name === 'openai' ? 'default' : 'standard';
    const serviceTier = call.lane === 'flex' && this.supportsFlex ? 'flex' : standard;
    return {
      status: 'succeeded',
      response: {
        id: `resp_${this.tries}`,
        model,
        service_tier: serviceTier,
        usage: { output_tokens: 8 },
      },
      error: null,
      retryable: false,
      model,
      serviceTier,
      httpAttempts: attempts,
    };
  }

  /** The next `count` tries fail with `error` (default: a retryable 503). */
  failNextTries(count: number, error?: BatchlaneError): void {
    const failure =
      error ?? new UnavailableError('503 service unavailable', { code: 'unavailable' });
    this.#failures = Array.from({ length: count }, () => failure);
  }

  /** Every call is refused as with a revoked key until called with true. */
  authorize(valid: boolean): void {
    this.#authorized = valid;
  }
}

export { InMemoryRealtimeProvider };
