import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { drainBody, isRecord, parseJsonBody, readBody, SimHttpError } from '../httpIo.js';
import type { SimContext } from '../SimContext.js';
import { hashUnit } from '../seededRandom.js';
import { type BedrockJobs, BedrockSimError } from './BedrockJobs.js';
import {
  converseProblem,
  fakeConverseOutput,
  fakeModelOutput,
  familyOf,
  modelInputProblem,
} from './fakeBedrockOutput.js';

/** InvokeModel and Converse take bodies up to this size (the control plane's are small). */
const MAX_BODY_BYTES = 25 * 1000 * 1000;

/** Whether a path belongs to Bedrock (control plane or runtime) rather than another API. */
const isBedrockPath = (pathname: string): boolean =>
  pathname.startsWith('/model-invocation-job') || pathname.startsWith('/model/');

const sendAwsJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
};

/** An AWS restJson1 error: the SDK reads its name from `x-amzn-errortype`. */
const sendAwsError = (res: ServerResponse, error: BedrockSimError): void =>
  sendAwsJson(res, error.status, { message: error.message }, { 'x-amzn-errortype': error.type });

/** The SDK's try number, from `amz-sdk-request: attempt=N; max=M` (1 on the first). */
const attemptOf = (req: IncomingMessage): number => {
  const match = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''));
  return match === null ? 1 : Number(match[1]);
};

/**
 * An injected HTTP error for this request, as the other APIs get them (`faults.http`): 429
 * is Bedrock's `ThrottlingException`, 5xx `InternalServerException` or
 * `ServiceUnavailableException`, both of which the AWS SDK retries.
 */
const injectedFault = (
  ctx: SimContext,
  req: IncomingMessage,
  url: URL,
  counter: number,
): BedrockSimError | null => {
  const http = ctx.faults.http;
  if (http === undefined || http.rate <= 0) return null;
  if (http.pathPattern !== undefined && !new RegExp(http.pathPattern).test(url.pathname)) {
    return null;
  }
  if (attemptOf(req) - 1 >= (http.maxPerRequest ?? 1)) return null;
  if (hashUnit(ctx.seed, 'bedrock-http-fault', counter) >= http.rate) return null;
  const statuses = http.statuses ?? [429, 500, 503];
  const status =
    statuses[Math.floor(hashUnit(ctx.seed, 'bedrock-http-status', counter) * statuses.length)] ??
    500;
  if (status === 429)
    return new BedrockSimError(429, 'ThrottlingException', 'Rate exceeded (simulated).');
  if (status === 503) {
    return new BedrockSimError(
      503,
      'ServiceUnavailableException',
      'Service unavailable (simulated).',
    );
  }
  return new BedrockSimError(
    status,
    'InternalServerException',
    'Internal server error (simulated).',
  );
};

const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
  const read = await readBody(req, MAX_BODY_BYTES);
  if (read.body === null) {
    throw new BedrockSimError(400, 'ValidationException', 'Input is too long for requested model.');
  }
  let value: unknown;
  try {
    value = parseJsonBody(read.body);
  } catch {
    throw new BedrockSimError(400, 'ValidationException', 'Malformed input request: not JSON');
  }
  if (!isRecord(value)) {
    throw new BedrockSimError(
      400,
      'ValidationException',
      'Malformed input request: expected a JSON object',
    );
  }
  return value;
};

/**
 * Bedrock on the simulator's port: the control plane's model-invocation-job operations, as
 * `@aws-sdk/client-bedrock` sends them, and the runtime's `InvokeModel` and `Converse`, as
 * `@aws-sdk/client-bedrock-runtime` does. Requests must be SigV4-signed (any credentials);
 * errors carry their exception name in `x-amzn-errortype`. Returns false for other paths.
 */
const handleBedrock = async (
  ctx: SimContext,
  jobs: BedrockJobs,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  counter: number,
): Promise<boolean> => {
  if (!isBedrockPath(url.pathname)) return false;
  try {
    const auth = String(req.headers.authorization ?? '');
    if (!auth.startsWith('AWS4-HMAC-SHA256')) {
      throw new BedrockSimError(403, 'AccessDeniedException', 'Missing Authentication Token');
    }
    const fault = injectedFault(ctx, req, url, counter);
    if (fault !== null) {
      await drainBody(req);
      throw fault;
    }
    const path = url.pathname;
    const jobPath = /^\/model-invocation-job\/([^/]+)(\/stop)?$/.exec(path);
    const runtimePath = /^\/model\/([^/]+)\/(invoke|converse)$/.exec(path);
    if (req.method === 'POST' && path === '/model-invocation-job') {
      const jobArn = await jobs.create(await readJson(req));
      sendAwsJson(res, 200, { jobArn });
    } else if (req.method === 'GET' && path === '/model-invocation-jobs') {
      const page = await jobs.list(url.searchParams);
      sendAwsJson(res, 200, {
        invocationJobSummaries: page.jobs.map((job) => jobs.view(job)),
        ...(page.nextToken === null ? {} : { nextToken: page.nextToken }),
      });
    } else if (req.method === 'GET' && jobPath !== null && jobPath[2] === undefined) {
      const job = await jobs.get(decodeURIComponent(jobPath[1] ?? ''));
      sendAwsJson(res, 200, jobs.view(job));
    } else if (req.method === 'POST' && jobPath !== null && jobPath[2] === '/stop') {
      await drainBody(req);
      await jobs.stopJob(decodeURIComponent(jobPath[1] ?? ''));
      res.writeHead(200, { 'x-amzn-requestid': randomUUID(), 'content-length': 0 });
      res.end();
    } else if (req.method === 'POST' && runtimePath !== null) {
      const modelId = decodeURIComponent(runtimePath[1] ?? '');
      await serveRuntime(ctx, req, res, modelId, runtimePath[2] === 'converse');
    } else {
      await drainBody(req);
      throw new BedrockSimError(
        404,
        'UnknownOperationException',
        `Unknown operation ${req.method} ${path}`,
      );
    }
  } catch (error) {
    if (!req.complete) await drainBody(req).catch(() => undefined);
    if (res.headersSent) res.socket?.destroy();
    else if (error instanceof BedrockSimError) sendAwsError(res, error);
    else if (error instanceof SimHttpError) {
      sendAwsError(res, new BedrockSimError(error.status, 'ValidationException', error.message));
    } else {
      sendAwsError(
        res,
        new BedrockSimError(
          500,
          'InternalServerException',
          `Internal simulator error: ${(error as Error).message}`,
        ),
      );
    }
  }
  return true;
};

/** `InvokeModel` (the model's native body and response) and `Converse`. */
const serveRuntime = async (
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  modelId: string,
  converse: boolean,
): Promise<void> => {
  const body = await readJson(req);
  const family = familyOf(modelId);
  if (family === null) {
    throw new BedrockSimError(
      400,
      'ValidationException',
      'The provided model identifier is invalid.',
    );
  }
  if (converse) {
    const problem = converseProblem(body);
    if (problem !== null) throw new BedrockSimError(400, 'ValidationException', problem);
    sendAwsJson(res, 200, fakeConverseOutput(ctx.seed, modelId, body));
    return;
  }
  const problem = modelInputProblem(family, body);
  if (problem !== null) throw new BedrockSimError(400, 'ValidationException', problem);
  const output = fakeModelOutput(ctx.seed, family, `sync-${modelId}`, body);
  const usage = (output.usage ?? {}) as Record<string, number>;
  const inputTokens = usage.input_tokens ?? usage.inputTokens ?? output.prompt_token_count;
  const outputTokens = usage.output_tokens ?? usage.outputTokens ?? output.generation_token_count;
  sendAwsJson(res, 200, output, {
    'x-amzn-bedrock-input-token-count': String(inputTokens ?? 0),
    'x-amzn-bedrock-output-token-count': String(outputTokens ?? 0),
  });
};

export { handleBedrock, isBedrockPath };
