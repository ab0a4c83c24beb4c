import { isRecord } from './httpIo.js';
import type { OpenAIBatchError } from './SimulatorStore.js';

interface ValidatedInput {
  readonly requests: { custom_id: string; body: Record<string, unknown> }[];
  readonly model: string | null;
  readonly errors: OpenAIBatchError[];
}

const MAX_ERRORS = 1000;

/**
 * Checks a batch input file the way OpenAI's validating phase does. Any error fails the whole
 * batch (status `failed`, `errors.data[]`); problems inside a line's `body` do not, they come
 * back as error lines from the endpoint instead.
 */
const validateOpenAIInput = (
  content: Buffer,
  endpoint: string,
  limits: { maxRequests: number; maxBytes: number },
  dialect: {
    /** Whether lines carry `method` and `url` (Together's are `{custom_id, body}`). */
    readonly linesHaveUrl: boolean;
    readonly maxCustomIdLength: number | null;
    /** Azure: deployments lines may name (name → model), checked before the batch runs. */
    readonly deployments: Readonly<Record<string, { model: string; type: string }>> | null;
  } = { linesHaveUrl: true, maxCustomIdLength: null, deployments: null },
): ValidatedInput => {
  const errors: OpenAIBatchError[] = [];
  const requests: { custom_id: string; body: Record<string, unknown> }[] = [];
  const fail = (
    code: string,
    message: string,
    line: number | null,
    param: string | null = null,
  ) => {
    if (errors.length < MAX_ERRORS) errors.push({ code, message, param, line });
  };
  if (content.length > limits.maxBytes) {
    fail(
      'file_too_large',
      `The input file is larger than the ${limits.maxBytes}-byte limit.`,
      null,
    );
    return { requests, model: null, errors };
  }
  const seen = new Set<string>();
  let model: string | null = null;
  const lines = content.toString('utf8').split(/\r?\n/);
  for (const [i, text] of lines.entries()) {
    const lineNo = i + 1;
    if (text.trim().length === 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      fail('invalid_json_line', `This line is not parseable as valid JSON.`, lineNo);
      continue;
    }
    if (!isRecord(parsed)) {
      fail('invalid_json_line', 'Each line must be a JSON object.', lineNo);
      continue;
    }
    const { custom_id: customId, method, url, body } = parsed;
    if (typeof customId !== 'string' || customId.length === 0) {
      fail('missing_required_parameter', 'Missing custom_id.', lineNo, 'custom_id');
      continue;
    }
    if (seen.has(customId)) {
      fail(
        'duplicate_custom_id',
        `The custom_id '${customId}' is used more than once.`,
        lineNo,
        'custom_id',
      );
      continue;
    }
    seen.add(customId);
    if (dialect.maxCustomIdLength !== null && customId.length > dialect.maxCustomIdLength) {
      fail(
        'invalid_custom_id',
        `custom_id must be at most ${dialect.maxCustomIdLength} characters.`,
        lineNo,
        'custom_id',
      );
      continue;
    }
    // Together's lines carry no method or url: the batch's endpoint is theirs.
    if (dialect.linesHaveUrl && method !== 'POST') {
      fail('invalid_method', "The method must be 'POST'.", lineNo, 'method');
      continue;
    }
    if (dialect.linesHaveUrl && url !== endpoint) {
      fail(
        'invalid_url',
        `The URL provided for this request does not match the batch endpoint ${endpoint}.`,
        lineNo,
        'url',
      );
      continue;
    }
    if (!isRecord(body)) {
      fail('missing_required_parameter', 'Missing body.', lineNo, 'body');
      continue;
    }
    if (dialect.deployments !== null) {
      const deployment =
        typeof body.model === 'string' ? dialect.deployments[body.model] : undefined;
      if (deployment === undefined || deployment.type !== 'GlobalBatch') {
        fail(
          'model_not_found',
          `The model '${String(body.model)}' is not a deployment of type GlobalBatch on this resource.`,
          lineNo,
          'body.model',
        );
        continue;
      }
    }
    if (typeof body.model === 'string') {
      if (model === null) model = body.model;
      else if (body.model !== model) {
        fail(
          'mismatched_model',
          `The model '${body.model}' differs from '${model}' used earlier in the file; a batch file may only use one model.`,
          lineNo,
          'body.model',
        );
        continue;
      }
    }
    requests.push({ custom_id: customId, body });
  }
  if (errors.length === 0 && requests.length === 0) {
    fail('empty_file', 'The input file contains no requests.', null);
  }
  if (requests.length > limits.maxRequests) {
    fail(
      'too_many_requests',
      `The input file has ${requests.length} requests; a batch holds at most ${limits.maxRequests}.`,
      null,
    );
  }
  return { requests, model, errors };
};

export { validateOpenAIInput };
