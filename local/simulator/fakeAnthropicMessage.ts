import { estimateTokens, fakeText, outputTokensFor } from './estimateTokens.js';
import { isRecord } from './httpIo.js';
import { createRng, hashId, hashUnit } from './seededRandom.js';

/**
 * A well-formed Messages API `Message` for a batch request's params, deterministic for
 * (seed, custom_id, params). Cache usage is filled in when the request marks a prefix with
 * `cache_control`: most requests read the cached prefix, some write it (as in a real batch,
 * where hits are best effort).
 */
const fakeAnthropicMessage = (
  seed: number,
  customId: string,
  params: Record<string, unknown>,
): Record<string, unknown> => {
  const bodyKey = JSON.stringify(params);
  const rng = createRng(seed, 'anthropic-message', customId, bodyKey);
  const totalInput = 3 + estimateTokens([params.tools, params.system, params.messages]);
  const cache = cachedPrefix(params);
  let cacheRead = 0;
  let cacheWrite5m = 0;
  let cacheWrite1h = 0;
  if (cache !== null && cache.tokens > 0) {
    const read = hashUnit(seed, 'anthropic-cache', customId, cache.tokens) < 0.75;
    if (read) cacheRead = cache.tokens;
    else if (cache.ttl === '1h') cacheWrite1h = cache.tokens;
    else cacheWrite5m = cache.tokens;
  }
  const cachedTotal = cacheRead + cacheWrite5m + cacheWrite1h;
  const maxTokens = typeof params.max_tokens === 'number' ? params.max_tokens : 1024;
  const wanted = outputTokensFor(rng, totalInput);
  const outputTokens = Math.min(wanted, maxTokens);
  return {
    id: `msg_${hashId(24, seed, 'msg', customId, bodyKey)}`,
    type: 'message',
    role: 'assistant',
    model: params.model,
    content: [{ type: 'text', text: fakeText(rng, outputTokens), citations: null }],
    stop_reason: wanted > maxTokens ? 'max_tokens' : 'end_turn',
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: {
      input_tokens: Math.max(1, totalInput - cachedTotal),
      cache_creation_input_tokens: cacheWrite5m + cacheWrite1h,
      cache_read_input_tokens: cacheRead,
      cache_creation: {
        ephemeral_5m_input_tokens: cacheWrite5m,
        ephemeral_1h_input_tokens: cacheWrite1h,
      },
      output_tokens: outputTokens,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'batch',
      inference_geo: null,
      speed: null,
    },
  };
};

/**
 * Tokens up to and including the last block carrying `cache_control`, in the order the API
 * caches (tools, then system, then messages). A top-level `cache_control` caches everything
 * before the final message.
 */
const cachedPrefix = (
  params: Record<string, unknown>,
): { tokens: number; ttl: '5m' | '1h' } | null => {
  const blocks: unknown[] = [];
  if (Array.isArray(params.tools)) blocks.push(...params.tools);
  if (Array.isArray(params.system)) blocks.push(...params.system);
  else if (params.system !== undefined) blocks.push(params.system);
  const messages = Array.isArray(params.messages) ? params.messages : [];
  for (const message of messages) {
    const content = isRecord(message) ? message.content : undefined;
    if (Array.isArray(content)) blocks.push(...content);
    else blocks.push(content);
  }
  let running = 0;
  let found: { tokens: number; ttl: '5m' | '1h' } | null = null;
  for (const block of blocks) {
    running += estimateTokens(block);
    if (isRecord(block) && isRecord(block.cache_control)) {
      found = { tokens: running, ttl: block.cache_control.ttl === '1h' ? '1h' : '5m' };
    }
  }
  if (found === null && isRecord(params.cache_control)) {
    const last = messages.at(-1);
    const tokens = estimateTokens([params.tools, params.system, messages.slice(0, -1)]);
    if (last !== undefined && tokens > 0) {
      found = { tokens, ttl: params.cache_control.ttl === '1h' ? '1h' : '5m' };
    }
  }
  return found;
};

export { fakeAnthropicMessage };
