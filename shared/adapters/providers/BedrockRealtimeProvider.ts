import {
  type BedrockRuntimeClient,
  InvokeModelCommand,
  type InvokeModelCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { InvalidInputError, UnavailableError } from '../../domain/errors.js';
import type {
  RealtimeCall,
  RealtimeInvokeOptions,
  RealtimeOutcome,
  RealtimeProvider,
} from '../../ports/RealtimeProvider.js';
import { translateAwsError } from '../aws/translateAwsError.js';
import { erroredOutcome, succeededOutcome } from './callWithRetries.js';

interface BedrockRealtimeProviderOptions {
  readonly client: BedrockRuntimeClient;
  /** Timeout of the whole call, the SDK's own retries included. Default 10 min. */
  readonly timeoutMs?: number;
}

const INVOKE_ENDPOINT = '/model/invoke';
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Bedrock runtime errors that the request itself caused: no retry changes them, so they are
 * the request's `errored` outcome (InvokeModel's 400 validation, unknown model or profile,
 * the model refusing the input, a payload too large).
 */
const REQUEST_FAULTS: ReadonlySet<string> = new Set([
  'ValidationException',
  'ResourceNotFoundException',
  'ModelErrorException',
  'ServiceQuotaExceededException',
]);

/** Failures that pass with time (the model warming up or slow): thrown as retryable. */
const TRANSIENT: ReadonlySet<string> = new Set([
  'ModelNotReadyException',
  'ModelTimeoutException',
  'ServiceUnavailableException',
]);

const nameOf = (error: unknown): string =>
  typeof (error as { name?: unknown } | null)?.name === 'string'
    ? (error as { name: string }).name
    : '';

/**
 * Amazon Bedrock's synchronous `InvokeModel` through `@aws-sdk/client-bedrock-runtime`, for
 * Bedrock requests whose deadline a batch job cannot meet and members of a group too small for
 * a job. The body is the model's native request, the model the request's `model`. The SDK
 * retries throttling and 5xx itself (standard mode); the call is cut at the deadline.
 * Bedrock's on-demand tier is billed at standard prices (no flex lane here).
 */
class BedrockRealtimeProvider implements RealtimeProvider {
  readonly name = 'bedrock' as const;
  readonly supportsFlex = false;
  readonly #client: BedrockRuntimeClient;
  readonly #timeoutMs: number;

  constructor(options: BedrockRealtimeProviderOptions) {
    this.#client = options.client;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async invoke(call: RealtimeCall, options: RealtimeInvokeOptions = {}): Promise<RealtimeOutcome> {
    if (call.endpoint !== INVOKE_ENDPOINT) {
      throw new InvalidInputError(`Bedrock has no realtime endpoint ${call.endpoint}`, {
        code: 'unsupported_endpoint',
        details: { provider: 'bedrock', endpoint: call.endpoint },
      });
    }
    const model = call.model ?? null;
    if (model === null) {
      return erroredOutcome(
        { type: 'invalid_request_error', message: 'a Bedrock call needs its model id' },
        null,
        0,
      );
    }
    const left = call.deadline == null ? this.#timeoutMs : call.deadline.getTime() - Date.now();
    if (left <= 0) {
      throw new UnavailableError('bedrock InvokeModel: the deadline passed before the call', {
        code: 'deadline_exceeded',
      });
    }
    const timeout = AbortSignal.timeout(Math.min(this.#timeoutMs, left));
    const signal =
      options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    let output: InvokeModelCommandOutput;
    try {
      output = await this.#client.send(
        new InvokeModelCommand({
          modelId: model,
          contentType: 'application/json',
          accept: 'application/json',
          body: new TextEncoder().encode(JSON.stringify(call.body)),
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      const name = nameOf(error);
      if (REQUEST_FAULTS.has(name)) {
        const message = error instanceof Error ? error.message : name;
        return erroredOutcome({ type: name, message }, model, 1);
      }
      if (TRANSIENT.has(name) || name === 'AbortError') {
        throw new UnavailableError(`bedrock InvokeModel: ${name}`, {
          code: 'unavailable',
          cause: error,
        });
      }
      throw translateAwsError(error, { operation: 'BedrockRuntime.InvokeModel' });
    }
    const response = JSON.parse(new TextDecoder().decode(output.body)) as unknown;
    return succeededOutcome({
      response,
      model,
      // Echoed by Bedrock when a tier was asked for; absent means the standard tier.
      serviceTier: output.serviceTier ?? null,
      httpAttempts: output.$metadata.attempts ?? 1,
    });
  }
}

export { BedrockRealtimeProvider, type BedrockRealtimeProviderOptions };
