import { describe, expect, it } from 'vitest';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';

const body = {
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'Summarise section 2' }],
};

describe('formatProviderLine', () => {
  it('writes an Anthropic requests[] item: custom_id and params', () => {
    const line = formatProviderLine('anthropic', '/v1/messages', 'doc-0002', body);
    expect(line).toBe(
      '{"custom_id":"doc-0002","params":{"model":"claude-sonnet-4-6","max_tokens":1024,"messages":[{"role":"user","content":"Summarise section 2"}]}}',
    );
    expect(JSON.parse(line)).toEqual({ custom_id: 'doc-0002', params: body });
  });

  it('writes an OpenAI input line with method POST and url = endpoint', () => {
    const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello world!' }] };
    const line = formatProviderLine('openai', '/v1/chat/completions', 'request-1', chat);
    expect(JSON.parse(line)).toEqual({
      custom_id: 'request-1',
      method: 'POST',
      url: '/v1/chat/completions',
      body: chat,
    });
    expect(Object.keys(JSON.parse(line))).toEqual(['custom_id', 'method', 'url', 'body']);
  });

  it('uses the given endpoint for embeddings and responses', () => {
    const embeddings = formatProviderLine('openai', '/v1/embeddings', 'e-1', { input: 'x' });
    const responses = formatProviderLine('openai', '/v1/responses', 'r-1', { input: 'x' });
    expect(JSON.parse(embeddings).url).toBe('/v1/embeddings');
    expect(JSON.parse(responses).url).toBe('/v1/responses');
  });

  it('always produces exactly one line, without a trailing newline', () => {
    const tricky = { text: 'a\nb\r\nc\u2028d\u2029e' };
    for (const line of [
      formatProviderLine('anthropic', '/v1/messages', 'x', tricky),
      formatProviderLine('openai', '/v1/chat/completions', 'x', tricky),
    ]) {
      expect(line).not.toMatch(/[\n\r\u2028\u2029]/);
      expect(line.endsWith('\n')).toBe(false);
      expect(line.split(/\r?\n/)).toHaveLength(1);
    }
    expect(JSON.parse(formatProviderLine('anthropic', '/v1/messages', 'x', tricky)).params).toEqual(
      tricky,
    );
  });
});
