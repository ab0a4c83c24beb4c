import type { ProviderName } from '../contract/providers.js';
import type { ResultError } from '../contract/result.js';

/**
 * How a request is served synchronously:
 * - `flex`: OpenAI's flex tier (`service_tier: "flex"`), batch prices, slow, may be refused
 *   for lack of capacity; a provider without flex serves it at its standard tier;
 * - `realtime`: the provider's standard tier, for a deadline too close for a batch.
 */
type RealtimeLane = 'flex' | 'realtime';

/** One synchronous provider call. */
interface RealtimeCall {
  /** The provider endpoint, as in the request contract (e.g. `/v1/chat/completions`). */
  readonly endpoint: string;
  /** The provider's own non-streaming request parameters, as the producer sent them. */
  readonly body: Record<string, unknown>;
  /** The model, for providers whose body does not name it (Bedrock's model id or ARN). */
  readonly model?: string;
  readonly lane: RealtimeLane;
  /**
   * No try is started, and no wait slept through, past this instant: the adapter gives up
   * with a retryable error instead, and bounds each try's timeout by it.
   */
  readonly deadline?: Date | null;
}

/**
 * The provider's answer to a call: `succeeded` with its object, or `errored` when the provider
 * refused the request itself (400, 404 unknown model, 413, 422), which no retry will change.
 * Failures that may pass (throttling, flex capacity, outages, timeouts) are thrown as retryable
 * batchlane errors instead, and auth or configuration problems as non-retryable ones.
 */
interface RealtimeOutcome {
  readonly status: 'succeeded' | 'errored';
  /** The provider's own object (Message, ChatCompletion, Response, embedding list), or null. */
  readonly response: unknown;
  readonly error: ResultError | null;
  /** Always false for an outcome: what could pass with time is thrown, not returned. */
  readonly retryable: boolean;
  /** The model that answered (the response's), else the one asked for; null if neither. */
  readonly model: string | null;
  /**
   * The tier actually used, as the provider reported it (OpenAI `service_tier`, Anthropic
   * `usage.service_tier`): a flex request may be served at `default`. Cost accounting keys on
   * this, not on the lane asked for. Null when the call errored.
   */
  readonly serviceTier: string | null;
  /** HTTP requests made for this call, retries included (0 if refused before sending). */
  readonly httpAttempts: number;
}

interface RealtimeInvokeOptions {
  /** Aborts the call, including a wait between tries; it then rejects with a retryable error. */
  readonly signal?: AbortSignal;
}

/**
 * One provider's synchronous API, through its official SDK. The adapter retries what the
 * SDKs would (and flex capacity refusals) within the call's deadline; errors are batchlane
 * errors.
 *
 * @example
 * ```ts
 * const outcome = await providers.openai.invoke({
 *   endpoint: '/v1/chat/completions',
 *   body: { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'Hi' }] },
 *   lane: providers.openai.supportsFlex ? 'flex' : 'realtime',
 *   deadline: new Date(Date.now() + 10 * 60_000),
 * });
 * if (outcome.status === 'succeeded') bill(outcome.serviceTier);
 * ```
 */
interface RealtimeProvider {
  readonly name: ProviderName;
  /** Whether `lane: 'flex'` reaches a cheaper tier; if not, it is served as `realtime`. */
  readonly supportsFlex: boolean;
  invoke(call: RealtimeCall, options?: RealtimeInvokeOptions): Promise<RealtimeOutcome>;
}

export type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeLane,
  RealtimeOutcome,
  RealtimeProvider,
};
