import { isKnownModel, maxOutputTokensOf } from '../../shared/domain/pricing/modelLimits.js';
import { isRecord } from './httpIo.js';

/** Why the Messages API refuses params: its error type (and HTTP status, when synchronous). */
interface AnthropicParamsProblem {
  readonly type: 'invalid_request_error' | 'not_found_error';
  readonly message: string;
}

const invalid = (message: string): AnthropicParamsProblem => ({
  type: 'invalid_request_error',
  message,
});

/**
 * Checks one batch request's `params` the way the Messages API would. Batches validate params
 * asynchronously, so a problem found here becomes an `errored` result line once the batch
 * ends, not an HTTP error on create. Models are the ones batchlane's model table knows: any
 * other name is `not_found_error` (`model: <name>`), as the real API answers, and `max_tokens`
 * above the model's output cap is refused with the real API's message. Returns null when the
 * params are acceptable.
 */
const validateAnthropicParams = (
  params: unknown,
  apiVersion: string,
): AnthropicParamsProblem | null => {
  const problem = paramsProblem(params, apiVersion);
  return typeof problem === 'string' ? invalid(problem) : problem;
};

const paramsProblem = (
  params: unknown,
  apiVersion: string,
): AnthropicParamsProblem | string | null => {
  if (!isRecord(params)) return 'params: Input should be an object';
  if (typeof params.model !== 'string' || params.model.length === 0) {
    return 'model: Field required';
  }
  const { model } = params;
  if (!isKnownModel('anthropic', model)) {
    return { type: 'not_found_error', message: `model: ${model}` };
  }
  if (params.max_tokens === undefined) return 'max_tokens: Field required';
  if (
    typeof params.max_tokens !== 'number' ||
    !Number.isInteger(params.max_tokens) ||
    params.max_tokens < 1
  ) {
    return 'max_tokens: Input should be an integer greater than or equal to 1';
  }
  const cap = maxOutputTokensOf('anthropic', model);
  if (cap !== null && params.max_tokens > cap) {
    return `max_tokens: ${params.max_tokens} > ${cap}, which is the maximum allowed number of output tokens for ${model}`;
  }
  if (!Array.isArray(params.messages)) return 'messages: Field required';
  if (params.messages.length === 0) return 'messages: List should have at least 1 item';
  for (const [i, message] of params.messages.entries()) {
    if (!isRecord(message)) return `messages.${i}: Input should be an object`;
    if (message.role !== 'user' && message.role !== 'assistant') {
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    }
    if (typeof message.content !== 'string' && !Array.isArray(message.content)) {
      return `messages.${i}.content: Input should be a valid string or list`;
    }
  }
  for (const excluded of ['speed', 'store', 'cache_hint', 'context_hint'] as const) {
    if (params[excluded] !== undefined) return `${excluded}: not supported in batches`;
  }
  // API version 2026-10-21 removed the sampling knobs; sending them is a 400.
  if (apiVersion === '2026-10-21') {
    for (const removed of ['temperature', 'top_p', 'top_k'] as const) {
      if (params[removed] !== undefined) {
        return `${removed}: Extra inputs are not permitted in anthropic-version 2026-10-21`;
      }
    }
  }
  return null;
};

export { type AnthropicParamsProblem, validateAnthropicParams };
