import { describe, expect, it } from 'vitest';
import { tokenUsageFromResponse } from '../../../shared/domain/pricing/TokenUsage.js';

describe('Function: tokenUsageFromResponse()', () => {
  describe('Anthropic Message', () => {
    it('reads a batch result message, cache reads apart from uncached input', () => {
      // The succeeded line's message from the Message Batches results example
      const message = {
        id: 'msg_014VwiXbi91y3JMjcpyGBHX5',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-6',
        content: [{ type: 'text', text: '…' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: 11,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 1830,
          cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
          output_tokens: 36,
          service_tier: 'batch',
        },
      };

      expect(tokenUsageFromResponse('anthropic', '/v1/messages', message)).toEqual({
        inputTokens: 11,
        outputTokens: 36,
        cacheReadTokens: 1830,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        serviceTier: 'batch',
        inferenceGeo: null,
      });
    });

    it('splits cache writes by lifetime and reads the inference geo', () => {
      const usage = tokenUsageFromResponse('anthropic', '/v1/messages', {
        type: 'message',
        usage: {
          input_tokens: 25,
          cache_creation_input_tokens: 3000,
          cache_read_input_tokens: 0,
          cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
          output_tokens: 150,
          service_tier: 'standard',
          inference_geo: 'us',
        },
      });

      expect(usage).toMatchObject({
        cacheWrite5mTokens: 1000,
        cacheWrite1hTokens: 2000,
        serviceTier: 'standard',
        inferenceGeo: 'us',
      });
    });

    it('takes the cache-write total as 5 min writes when there is no breakdown', () => {
      const usage = tokenUsageFromResponse('anthropic', '/v1/messages', {
        usage: { input_tokens: 5, cache_creation_input_tokens: 1200, output_tokens: 7 },
      });

      expect(usage).toMatchObject({ cacheWrite5mTokens: 1200, cacheWrite1hTokens: 0 });
    });

    it('counts the part of the total the breakdown does not explain as 5 min writes', () => {
      const usage = tokenUsageFromResponse('anthropic', '/v1/messages', {
        usage: {
          input_tokens: 5,
          cache_creation_input_tokens: 1500,
          cache_creation: { ephemeral_1h_input_tokens: 1000 },
          output_tokens: 7,
        },
      });

      // 1500 total − 1000 one-hour = 500 five-minute
      expect(usage).toMatchObject({ cacheWrite5mTokens: 500, cacheWrite1hTokens: 1000 });
    });
  });

  describe('OpenAI', () => {
    it('reads a chat completion from a batch output line, tier from the body', () => {
      const body = {
        id: 'chatcmpl-123',
        object: 'chat.completion',
        created: 1711652795,
        model: 'gpt-4o-mini-2024-07-18',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Hello.' },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: {
          prompt_tokens: 22,
          completion_tokens: 2,
          total_tokens: 24,
          prompt_tokens_details: { cached_tokens: 0 },
        },
        service_tier: 'default',
        system_fingerprint: 'fp_123',
      };

      expect(tokenUsageFromResponse('openai', '/v1/chat/completions', body)).toEqual({
        inputTokens: 22,
        outputTokens: 2,
        cacheReadTokens: 0,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        serviceTier: 'default',
        inferenceGeo: null,
      });
    });

    it('takes cache reads and cache writes out of the chat prompt total', () => {
      const usage = tokenUsageFromResponse('openai', '/v1/chat/completions', {
        usage: {
          prompt_tokens: 5000,
          completion_tokens: 10,
          prompt_tokens_details: { cached_tokens: 3000, cache_write_tokens: 1500 },
        },
      });

      // 5000 − 3000 read − 1500 written = 500 uncached
      expect(usage).toMatchObject({
        inputTokens: 500,
        cacheReadTokens: 3000,
        cacheWrite5mTokens: 1500,
        outputTokens: 10,
        serviceTier: null,
      });
    });

    it('reads a Responses API usage', () => {
      const usage = tokenUsageFromResponse('openai', '/v1/responses', {
        object: 'response',
        usage: {
          input_tokens: 1500,
          input_tokens_details: { cached_tokens: 1024 },
          output_tokens: 400,
          output_tokens_details: { reasoning_tokens: 256 },
          total_tokens: 1900,
        },
        service_tier: 'flex',
      });

      expect(usage).toEqual({
        inputTokens: 476,
        outputTokens: 400,
        cacheReadTokens: 1024,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        serviceTier: 'flex',
        inferenceGeo: null,
      });
    });

    it('reads an embedding list: prompt tokens and no output', () => {
      const usage = tokenUsageFromResponse('openai', '/v1/embeddings', {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [0.0023, -0.0093] }],
        model: 'text-embedding-3-small',
        usage: { prompt_tokens: 8, total_tokens: 8 },
      });

      expect(usage).toMatchObject({ inputTokens: 8, outputTokens: 0, cacheReadTokens: 0 });
    });

    it('reads nonsense counts as 0 and never lets cached exceed the prompt', () => {
      const usage = tokenUsageFromResponse('openai', '/v1/chat/completions', {
        usage: {
          prompt_tokens: 100,
          completion_tokens: -5,
          prompt_tokens_details: { cached_tokens: 250, cache_write_tokens: 'many' },
        },
        service_tier: 42,
      });

      expect(usage).toEqual({
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 100,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        serviceTier: null,
        inferenceGeo: null,
      });
    });
  });

  it.each([
    ['a string body', 'anthropic', 'not json'],
    ['a null body', 'openai', null],
    ['an array body', 'openai', [{ usage: {} }]],
    ['a body without usage', 'anthropic', { type: 'message' }],
    ['a usage that is not an object', 'openai', { usage: 12 }],
  ])('returns null for %s', (_label, provider, body) => {
    expect(tokenUsageFromResponse(provider, '/v1/chat/completions', body)).toBeNull();
  });

  it("reads a deployment profile's bodies as OpenAI's (intake admits no other unknown id)", () => {
    const body = { usage: { prompt_tokens: 12, completion_tokens: 5 } };
    expect(tokenUsageFromResponse('acme', '/v1/chat/completions', body)).toEqual(
      tokenUsageFromResponse('openai', '/v1/chat/completions', body),
    );
    expect(tokenUsageFromResponse('acme', '/v1/chat/completions', body)).toMatchObject({
      inputTokens: 12,
      outputTokens: 5,
    });
  });
});
