import { isRecord } from './httpIo.js';

/**
 * Checks one batch request's `params` the way the Messages API would. Batches validate params
 * asynchronously, so a problem found here becomes an `errored` result line
 * (`invalid_request_error`) once the batch ends, not an HTTP error on create.
 * Returns the error message, or null when the params are acceptable.
 */
const validateAnthropicParams = (params: unknown, apiVersion: string): string | null => {
  if (!isRecord(params)) return 'params: Input should be an object';
  if (typeof params.model !== 'string' || params.model.length === 0) {
    return 'model: Field required';
  }
  if (!isKnownAnthropicModel(params.model)) return `model: ${params.model}`;
  if (params.max_tokens === undefined) return 'max_tokens: Field required';
  if (
    typeof params.max_tokens !== 'number' ||
    !Number.isInteger(params.max_tokens) ||
    params.max_tokens < 1
  ) {
    return 'max_tokens: Input should be an integer greater than or equal to 1';
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

/** Any `claude-*` model name is accepted; anything else is unknown. */
const isKnownAnthropicModel = (model: string): boolean => /^claude-[a-z0-9.-]+$/.test(model);

export { validateAnthropicParams };
