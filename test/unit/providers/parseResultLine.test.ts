import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../shared/domain/errors.js';
import { parseResultLine } from '../../../shared/domain/parseResultLine.js';

// Lines copied verbatim from docs/provider-batch-apis.md §1.7 and §2.5.
const ANTHROPIC_SUCCEEDED =
  '{"custom_id":"doc-0002","result":{"type":"succeeded","message":{"id":"msg_014VwiXbi91y3JMjcpyGBHX5","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[{"type":"text","text":"…"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":11,"cache_creation_input_tokens":0,"cache_read_input_tokens":1830,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":36,"service_tier":"batch"}}}}';
const ANTHROPIC_ERRORED =
  '{"custom_id":"doc-0003","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":null}}}';
const ANTHROPIC_CANCELED = '{"custom_id":"doc-0004","result":{"type":"canceled"}}';
const ANTHROPIC_EXPIRED = '{"custom_id":"doc-0005","result":{"type":"expired"}}';

const OPENAI_SUCCEEDED =
  '{"id": "batch_req_123", "custom_id": "request-2", "response": {"status_code": 200, "request_id": "req_123", "body": {"id": "chatcmpl-123", "object": "chat.completion", "created": 1711652795, "model": "gpt-4o-mini-2024-07-18", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello."}, "logprobs": null, "finish_reason": "stop"}], "usage": {"prompt_tokens": 22, "completion_tokens": 2, "total_tokens": 24, "prompt_tokens_details": {"cached_tokens": 0}}, "service_tier": "default", "system_fingerprint": "fp_123"}}, "error": null}';
const OPENAI_HTTP_ERROR =
  '{"id": "batch_req_124", "custom_id": "request-5", "response": {"status_code": 400, "request_id": "req_456", "body": {"error": {"message": "Invalid value for \'max_tokens\'", "type": "invalid_request_error", "param": "max_tokens", "code": null}}}, "error": null}';
const OPENAI_EXPIRED =
  '{"id": "batch_req_125", "custom_id": "request-3", "response": null, "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}';
const OPENAI_CANCELLED =
  '{"id": "batch_req_126", "custom_id": "request-7", "response": null, "error": {"code": "batch_cancelled", "message": "…"}}';

const openaiSuccess = (body: Record<string, unknown>): string =>
  JSON.stringify({
    id: 'batch_req_1',
    custom_id: 'r-1',
    response: { status_code: 200, request_id: 'req_1', body },
    error: null,
  });

const openaiHttpError = (status: number, error: Record<string, unknown> | null): string =>
  JSON.stringify({
    id: 'batch_req_1',
    custom_id: 'r-1',
    response: { status_code: status, request_id: 'req_1', body: error === null ? {} : { error } },
    error: null,
  });

const expectMalformed = (fn: () => unknown): void => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe('malformed_result_line');
    return;
  }
  expect.fail('expected InvalidInputError');
};

describe('parseResultLine: Anthropic', () => {
  it('parses a succeeded line: message as response, usage and model', () => {
    const parsed = parseResultLine('anthropic', ANTHROPIC_SUCCEEDED);
    expect(parsed).toMatchObject({
      providerCustomId: 'doc-0002',
      status: 'succeeded',
      error: null,
      retryable: false,
      model: 'claude-sonnet-4-6',
      usage: {
        input_tokens: 11,
        output_tokens: 36,
        cache_read_input_tokens: 1830,
        cache_creation_input_tokens: 0,
      },
    });
    expect(parsed.response).toEqual(JSON.parse(ANTHROPIC_SUCCEEDED).result.message);
  });

  it('sums the per-TTL cache_creation breakdown when the total is absent', () => {
    const line = JSON.stringify({
      custom_id: 'c',
      result: {
        type: 'succeeded',
        message: {
          model: 'm',
          usage: {
            input_tokens: 5,
            output_tokens: 1,
            cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 20 },
          },
        },
      },
    });
    expect(parseResultLine('anthropic', line).usage).toEqual({
      input_tokens: 5,
      output_tokens: 1,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 120,
    });
  });

  it('parses an errored invalid_request_error line as not retryable', () => {
    expect(parseResultLine('anthropic', ANTHROPIC_ERRORED)).toEqual({
      providerCustomId: 'doc-0003',
      status: 'errored',
      response: null,
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
      retryable: false,
      usage: null,
      model: null,
    });
  });

  it('parses an errored not_found_error line (an unknown model) as not retryable', () => {
    const line = JSON.stringify({
      custom_id: 'x',
      result: {
        type: 'errored',
        error: { type: 'error', error: { type: 'not_found_error', message: 'model: claude-x' } },
      },
    });
    expect(parseResultLine('anthropic', line)).toMatchObject({
      status: 'errored',
      error: { type: 'not_found_error', message: 'model: claude-x' },
      retryable: false,
    });
  });

  it.each(['api_error', 'overloaded_error', 'rate_limit_error', 'timeout_error'])(
    'parses an errored %s line as retryable',
    (type) => {
      const line = JSON.stringify({
        custom_id: 'x',
        result: { type: 'errored', error: { type: 'error', error: { type, message: 'boom' } } },
      });
      const parsed = parseResultLine('anthropic', line);
      expect(parsed.status).toBe('errored');
      expect(parsed.error).toEqual({ type, message: 'boom' });
      expect(parsed.retryable).toBe(true);
    },
  );

  it('parses a canceled line', () => {
    expect(parseResultLine('anthropic', ANTHROPIC_CANCELED)).toEqual({
      providerCustomId: 'doc-0004',
      status: 'canceled',
      response: null,
      error: null,
      retryable: false,
      usage: null,
      model: null,
    });
  });

  it('parses an expired line as retryable (the request never ran)', () => {
    expect(parseResultLine('anthropic', ANTHROPIC_EXPIRED)).toEqual({
      providerCustomId: 'doc-0005',
      status: 'expired',
      response: null,
      error: null,
      retryable: true,
      usage: null,
      model: null,
    });
  });

  it('accepts a trailing newline or carriage return', () => {
    expect(parseResultLine('anthropic', `${ANTHROPIC_CANCELED}\r\n`).status).toBe('canceled');
  });

  it.each([
    ['not JSON', '{"custom_id":'],
    ['blank', ''],
    ['an array', '[]'],
    ['missing custom_id', '{"result":{"type":"canceled"}}'],
    ['missing result', '{"custom_id":"x"}'],
    ['unknown result type', '{"custom_id":"x","result":{"type":"paused"}}'],
    ['succeeded without message', '{"custom_id":"x","result":{"type":"succeeded"}}'],
  ])('throws malformed_result_line for %s', (_name, line) => {
    expectMalformed(() => parseResultLine('anthropic', line));
  });
});

describe('parseResultLine: OpenAI', () => {
  it('parses a 200 chat completion: body as response, usage and model', () => {
    const parsed = parseResultLine('openai', OPENAI_SUCCEEDED);
    expect(parsed).toMatchObject({
      providerCustomId: 'request-2',
      status: 'succeeded',
      error: null,
      retryable: false,
      model: 'gpt-4o-mini-2024-07-18',
      usage: {
        input_tokens: 22,
        output_tokens: 2,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    });
    expect(parsed.response).toEqual(JSON.parse(OPENAI_SUCCEEDED).response.body);
  });

  it('takes cached and cache-write tokens out of the uncached chat input', () => {
    const line = openaiSuccess({
      object: 'chat.completion',
      model: 'gpt-5.6',
      usage: {
        prompt_tokens: 2000,
        completion_tokens: 50,
        total_tokens: 2050,
        prompt_tokens_details: { cached_tokens: 1536, cache_write_tokens: 100 },
      },
    });
    expect(parseResultLine('openai', line).usage).toEqual({
      input_tokens: 364,
      output_tokens: 50,
      cache_read_input_tokens: 1536,
      cache_creation_input_tokens: 100,
    });
  });

  it('normalises embeddings usage (prompt tokens only)', () => {
    const line = openaiSuccess({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 8, total_tokens: 8 },
    });
    const parsed = parseResultLine('openai', line);
    expect(parsed.status).toBe('succeeded');
    expect(parsed.model).toBe('text-embedding-3-small');
    expect(parsed.usage).toEqual({
      input_tokens: 8,
      output_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });

  it('normalises Responses API usage', () => {
    const line = openaiSuccess({
      id: 'resp_1',
      object: 'response',
      model: 'gpt-5',
      status: 'completed',
      usage: {
        input_tokens: 1500,
        input_tokens_details: { cached_tokens: 1024 },
        output_tokens: 500,
        output_tokens_details: { reasoning_tokens: 300 },
        total_tokens: 2000,
      },
    });
    expect(parseResultLine('openai', line).usage).toEqual({
      input_tokens: 476,
      output_tokens: 500,
      cache_read_input_tokens: 1024,
      cache_creation_input_tokens: 0,
    });
  });

  it('gives null usage when the body has none', () => {
    expect(parseResultLine('openai', openaiSuccess({ model: 'x' })).usage).toBeNull();
  });

  it('parses an HTTP 400 carried in response as errored, not retryable', () => {
    expect(parseResultLine('openai', OPENAI_HTTP_ERROR)).toEqual({
      providerCustomId: 'request-5',
      status: 'errored',
      response: null,
      error: { type: 'invalid_request_error', message: "Invalid value for 'max_tokens'" },
      retryable: false,
      usage: null,
      model: null,
    });
  });

  it.each([429, 500, 503])('parses HTTP %i as errored and retryable', (status) => {
    const parsed = parseResultLine(
      'openai',
      openaiHttpError(status, { message: 'slow down', type: 'server_error', code: null }),
    );
    expect(parsed.status).toBe('errored');
    expect(parsed.retryable).toBe(true);
    expect(parsed.error).toEqual({ type: 'server_error', message: 'slow down' });
  });

  it('falls back to code, then http_<status>, for the error type', () => {
    const withCode = openaiHttpError(404, {
      message: 'no model',
      type: null,
      code: 'model_not_found',
    });
    expect(parseResultLine('openai', withCode).error).toEqual({
      type: 'model_not_found',
      message: 'no model',
    });
    expect(parseResultLine('openai', openaiHttpError(502, null)).error).toEqual({
      type: 'http_502',
      message: 'HTTP 502',
    });
  });

  it('parses batch_expired as expired and retryable', () => {
    expect(parseResultLine('openai', OPENAI_EXPIRED)).toEqual({
      providerCustomId: 'request-3',
      status: 'expired',
      response: null,
      error: {
        type: 'batch_expired',
        message: 'This request could not be executed before the completion window expired.',
      },
      retryable: true,
      usage: null,
      model: null,
    });
  });

  it('parses batch_cancelled as canceled', () => {
    expect(parseResultLine('openai', OPENAI_CANCELLED)).toEqual({
      providerCustomId: 'request-7',
      status: 'canceled',
      response: null,
      error: { type: 'batch_cancelled', message: '…' },
      retryable: false,
      usage: null,
      model: null,
    });
  });

  it('parses other line-level error codes as errored', () => {
    const line = (code: string) =>
      JSON.stringify({ id: 'b', custom_id: 'x', response: null, error: { code, message: 'm' } });
    expect(parseResultLine('openai', line('invalid_json_line'))).toMatchObject({
      status: 'errored',
      error: { type: 'invalid_json_line', message: 'm' },
      retryable: false,
    });
    expect(parseResultLine('openai', line('server_error'))).toMatchObject({
      status: 'errored',
      retryable: true,
    });
  });

  it.each([
    ['not JSON', 'nope'],
    ['missing custom_id', '{"id":"b","response":null,"error":{"code":"batch_expired"}}'],
    ['neither response nor error', '{"id":"b","custom_id":"x","response":null,"error":null}'],
    ['response without status_code', '{"id":"b","custom_id":"x","response":{"body":{}}}'],
    ['200 without body', '{"id":"b","custom_id":"x","response":{"status_code":200}}'],
  ])('throws malformed_result_line for %s', (_name, line) => {
    expectMalformed(() => parseResultLine('openai', line));
  });

  it('never copies the line into the error', () => {
    const error = (() => {
      try {
        parseResultLine('openai', '{"custom_id":"x","secret":"prompt text"');
      } catch (thrown) {
        return thrown as InvalidInputError;
      }
      return expect.fail('expected InvalidInputError');
    })();
    expect(error.message).not.toContain('prompt text');
    expect(JSON.stringify(error.details)).not.toContain('prompt text');
  });
});
