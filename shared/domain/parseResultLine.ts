import type { ProviderName } from '../contract/providers.js';
import type { ResultError, Usage } from '../contract/result.js';
import { InvalidInputError } from './errors.js';
import { isJsonObject, type JsonObject } from './isJsonObject.js';
import { resultUsageOf, tokenUsageFromResponse } from './pricing/TokenUsage.js';

/** What one line of a provider's result file says about one request. */
interface ParsedResultLine {
  /** The `custom_id` batchlane wrote on the input line. */
  readonly providerCustomId: string;
  readonly status: 'succeeded' | 'errored' | 'expired' | 'canceled';
  /** The provider's own Message / ChatCompletion / Embedding / Response object, or null. */
  readonly response: unknown;
  readonly error: ResultError | null;
  /**
   * Whether the provider says the same request may succeed if sent again unchanged
   * (transient errors, expiry). Never true for `succeeded` or `canceled`.
   */
  readonly retryable: boolean;
  /** Normalised token counts; `input_tokens` excludes cache reads and cache writes. */
  readonly usage: Usage | null;
  readonly model: string | null;
}

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const malformed = (provider: ProviderName, reason: string): InvalidInputError =>
  // The line itself is never copied into the error: it may hold prompt or response content.
  new InvalidInputError(`Malformed ${provider} result line: ${reason}`, {
    code: 'malformed_result_line',
    details: { provider, reason },
  });

/**
 * Anthropic errored results may be retried as is unless the request itself was refused
 * (`invalid_request_error`: fix the body first), per the Message Batches guide, or names
 * something that does not exist (`not_found_error`: an unknown model does not appear by
 * resending).
 */
const ANTHROPIC_NON_RETRYABLE_ERROR_TYPES: readonly string[] = [
  'invalid_request_error',
  'not_found_error',
];

/**
 * OpenAI line-level `error.code`s (non-HTTP failures) that describe the service, not the
 * request. Unknown codes count as not retryable so a bad request is not resent forever.
 */
const OPENAI_RETRYABLE_ERROR_CODES: readonly string[] = [
  'batch_expired',
  'server_error',
  'internal_error',
  'rate_limit_exceeded',
  'timeout',
  'request_timeout',
  'service_unavailable',
  'engine_overloaded',
];

const isRetryableHttpStatus = (status: number): boolean =>
  status === 408 || status === 429 || status >= 500;

const parseJsonObject = (provider: ProviderName, line: string): JsonObject => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw malformed(provider, 'not valid JSON');
  }
  if (!isJsonObject(value)) throw malformed(provider, 'not a JSON object');
  return value;
};

const requireCustomId = (provider: ProviderName, line: JsonObject): string => {
  const customId = line.custom_id;
  if (typeof customId !== 'string' || customId === '') {
    throw malformed(provider, 'custom_id missing');
  }
  return customId;
};

const parseAnthropicLine = (line: string): ParsedResultLine => {
  const value = parseJsonObject('anthropic', line);
  const providerCustomId = requireCustomId('anthropic', value);
  const result = value.result;
  if (!isJsonObject(result)) throw malformed('anthropic', 'result missing');
  const base = { providerCustomId, response: null, error: null, usage: null, model: null };
  switch (result.type) {
    case 'succeeded': {
      const message = result.message;
      if (!isJsonObject(message)) throw malformed('anthropic', 'succeeded result without message');
      return {
        ...base,
        status: 'succeeded',
        response: message,
        retryable: false,
        usage: resultUsageOf(tokenUsageFromResponse('anthropic', '/v1/messages', message)),
        model: stringOrNull(message.model),
      };
    }
    case 'errored': {
      // The standard envelope is {type:"error", error:{type,message}}; accept a bare
      // {type,message} too rather than lose the item's error.
      const envelope = isJsonObject(result.error) ? result.error : {};
      const inner = isJsonObject(envelope.error) ? envelope.error : envelope;
      const type = stringOrNull(inner.type) ?? 'unknown_error';
      return {
        ...base,
        status: 'errored',
        error: { type, message: stringOrNull(inner.message) ?? type },
        retryable: !ANTHROPIC_NON_RETRYABLE_ERROR_TYPES.includes(type),
      };
    }
    case 'canceled':
      return { ...base, status: 'canceled', retryable: false };
    case 'expired':
      // Expired requests never ran; the same request may succeed in a later batch.
      return { ...base, status: 'expired', retryable: true };
    default:
      throw malformed('anthropic', 'unknown result type');
  }
};

/** A 422 body's `{"detail":[{"loc","msg"}]}` (Mistral's validation errors) as one message. */
const validationMessage = (body: unknown): string | null => {
  if (!isJsonObject(body) || !Array.isArray(body.detail) || body.detail.length === 0) return null;
  return body.detail
    .map((item: unknown) =>
      isJsonObject(item)
        ? `${Array.isArray(item.loc) ? item.loc.join('.') : ''}: ${stringOrNull(item.msg) ?? ''}`
        : String(item),
    )
    .join('; ');
};

/**
 * OpenAI's output and error lines; Mistral writes the same shape (`{"id","custom_id",
 * "response":{"status_code","body"},"error"}`), and its bodies count tokens as OpenAI's do.
 */
const parseOpenAILine = (
  line: string,
  provider: 'openai' | 'mistral' = 'openai',
): ParsedResultLine => {
  const value = parseJsonObject(provider, line);
  const providerCustomId = requireCustomId(provider, value);
  const base = { providerCustomId, response: null, usage: null, model: null };

  // Mistral does not document its error-file line; a bare message in `error` is kept as one.
  if (typeof value.error === 'string' && value.error !== '' && !isJsonObject(value.response)) {
    return {
      ...base,
      status: 'errored',
      error: { type: `${provider}_error`, message: value.error },
      retryable: false,
    };
  }

  // `error` is set only for failures that never reached the endpoint (expiry, cancel, ...).
  if (isJsonObject(value.error)) {
    const code = stringOrNull(value.error.code) ?? 'unknown_error';
    const error = { type: code, message: stringOrNull(value.error.message) ?? code };
    if (code === 'batch_expired') return { ...base, status: 'expired', error, retryable: true };
    if (code === 'batch_cancelled' || code === 'batch_canceled') {
      return { ...base, status: 'canceled', error, retryable: false };
    }
    return {
      ...base,
      status: 'errored',
      error,
      retryable: OPENAI_RETRYABLE_ERROR_CODES.includes(code),
    };
  }

  const response = value.response;
  if (!isJsonObject(response)) throw malformed(provider, 'neither response nor error');
  const statusCode = response.status_code;
  if (typeof statusCode !== 'number') throw malformed(provider, 'response without status_code');
  const body = response.body;

  if (statusCode >= 200 && statusCode < 300) {
    if (!isJsonObject(body)) throw malformed(provider, 'successful response without body');
    return {
      ...base,
      status: 'succeeded',
      response: body,
      error: null,
      retryable: false,
      usage: resultUsageOf(tokenUsageFromResponse(provider, '', body)),
      model: stringOrNull(body.model),
    };
  }

  // OpenAI nests its error (`{"error":{…}}`); Mistral's envelope is the body itself
  // (`{"object":"error","message","type","code"}`).
  const bodyError = isJsonObject(body) ? (isJsonObject(body.error) ? body.error : body) : {};
  const type = stringOrNull(bodyError.type) ?? stringOrNull(bodyError.code) ?? `http_${statusCode}`;
  return {
    ...base,
    status: 'errored',
    error: {
      type,
      message: stringOrNull(bodyError.message) ?? validationMessage(body) ?? `HTTP ${statusCode}`,
    },
    retryable: isRetryableHttpStatus(statusCode),
  };
};

/**
 * Bedrock output line: `{"recordId","modelInput","modelOutput"}`, or `error` in place of
 * `modelOutput` (`{"errorCode": <HTTP status>, "errorMessage"}`). `modelOutput` is the model's
 * native InvokeModel response; the model is the job's, so it is not read from the line.
 */
const parseBedrockLine = (line: string): ParsedResultLine => {
  const value = parseJsonObject('bedrock', line);
  const recordId = value.recordId;
  if (typeof recordId !== 'string' || recordId === '') {
    throw malformed('bedrock', 'recordId missing');
  }
  const base = { providerCustomId: recordId, response: null, usage: null, model: null };
  if (isJsonObject(value.error)) {
    const code = value.error.errorCode;
    const status = typeof code === 'number' ? code : Number(code);
    const type = Number.isFinite(status) ? `bedrock_error_${status}` : 'bedrock_error';
    return {
      ...base,
      status: 'errored',
      error: { type, message: stringOrNull(value.error.errorMessage) ?? type },
      retryable: Number.isFinite(status) && isRetryableHttpStatus(status),
    };
  }
  const output = value.modelOutput;
  if (!isJsonObject(output)) throw malformed('bedrock', 'neither modelOutput nor error');
  return {
    ...base,
    status: 'succeeded',
    response: output,
    error: null,
    retryable: false,
    usage: resultUsageOf(tokenUsageFromResponse('bedrock', '/model/invoke', output)),
  };
};

/**
 * Gemini (google.rpc) status names that describe the service, not the request: the same
 * request may succeed when sent again. Anything else (`INVALID_ARGUMENT`, `NOT_FOUND`,
 * `PERMISSION_DENIED`, `FAILED_PRECONDITION`, unknown names) is final.
 */
const GEMINI_RETRYABLE_STATUSES: readonly string[] = [
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'INTERNAL',
  'DEADLINE_EXCEEDED',
  'ABORTED',
  'UNKNOWN',
];

/**
 * A Gemini Batch Mode result line: `{"key", "response": GenerateContentResponse}` or
 * `{"key", "error"|"status": {code, message, status}}` (inline results are written in the same
 * shape by the adapter). The `key` is the `custom_id` batchlane gave the request.
 */
const parseGeminiLine = (line: string): ParsedResultLine => {
  const value = parseJsonObject('gemini', line);
  const key = value.key;
  if (typeof key !== 'string' || key === '') throw malformed('gemini', 'key missing');
  const base = { providerCustomId: key, response: null, usage: null, model: null };
  const failure = isJsonObject(value.error)
    ? value.error
    : isJsonObject(value.status)
      ? value.status
      : null;
  if (failure !== null) {
    const status = stringOrNull(failure.status);
    const code = typeof failure.code === 'number' ? failure.code : null;
    const type = status ?? (code === null ? 'unknown_error' : `http_${code}`);
    return {
      ...base,
      status: 'errored',
      error: { type, message: stringOrNull(failure.message) ?? type },
      retryable:
        (status !== null && GEMINI_RETRYABLE_STATUSES.includes(status)) ||
        (status === null && code !== null && isRetryableHttpStatus(code)),
    };
  }
  const response = value.response;
  if (!isJsonObject(response)) throw malformed('gemini', 'neither response nor error');
  return {
    ...base,
    status: 'succeeded',
    response,
    error: null,
    retryable: false,
    usage: resultUsageOf(tokenUsageFromResponse('gemini', 'generateContent', response)),
    model: stringOrNull(response.modelVersion),
  };
};

/**
 * Parses one line of a provider result file (Anthropic results JSONL; OpenAI output or
 * error file; Gemini responses file or inline responses; Bedrock `.jsonl.out`; Mistral output
 * and error files, inline outputs written the same way). The line may
 * carry its trailing newline or `\r`.
 *
 * @throws {InvalidInputError} code `malformed_result_line` when the line is not one the
 *   provider documents; the caller decides whether to skip it or fail the batch.
 */
const parseResultLine = (provider: ProviderName, line: string): ParsedResultLine => {
  switch (provider) {
    case 'anthropic':
      return parseAnthropicLine(line);
    case 'openai':
      return parseOpenAILine(line);
    case 'bedrock':
      return parseBedrockLine(line);
    case 'gemini':
      return parseGeminiLine(line);
    case 'mistral':
      return parseOpenAILine(line, 'mistral');
    case 'deepseek':
      throw new InvalidInputError('deepseek has no batch API, so no result files', {
        code: 'malformed_result_line',
      });
    default:
      // Provider profiles answer OpenAI's lines (Together's error lines are OpenAI's `error`).
      return parseOpenAILine(line);
  }
};

export { type ParsedResultLine, parseResultLine };
