import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonObject } from '../../shared/domain/isJsonObject.js';

/**
 * A failure the simulator answers with an HTTP error. `type` is the provider error type
 * (`invalid_request_error`, `not_found_error`, …); each API renders its own envelope.
 */
class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extra: { code?: string | null; param?: string | null } = {},
  ) {
    super(message);
  }
}

interface BodyResult {
  /** The body, or null when it was larger than the limit (the rest was drained, not kept). */
  readonly body: Buffer | null;
  readonly bytes: number;
}

/**
 * Reads a request body up to `limit` bytes. Past the limit it keeps draining without storing,
 * so a 413 can be sent on a healthy connection (answering mid-upload makes clients see a
 * connection reset, which the SDKs retry instead of reporting the 413).
 */
const readBody = async (req: IncomingMessage, limit: number): Promise<BodyResult> => {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let over = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > limit) over = true;
    if (!over) chunks.push(chunk);
    else chunks.length = 0;
  }
  return { body: over ? null : Buffer.concat(chunks), bytes };
};

/** Discards a request body so the connection can be reused. */
const drainBody = async (req: IncomingMessage): Promise<void> => {
  for await (const _chunk of req as AsyncIterable<Buffer>) {
    // discard
  }
};

const sendJson = (
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void => {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
};

/**
 * Answers a failed request in its API's error envelope. A failure that is not the API's
 * (a simulator bug) is a 500 of `internalType`; a response already under way cannot change
 * its status, so it is cut, as a server failing mid-body would.
 */
const sendHttpError = (
  res: ServerResponse,
  error: unknown,
  headers: Record<string, string>,
  internalType: string,
  envelope: (error: SimHttpError) => unknown,
): void => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const httpError =
    error instanceof SimHttpError
      ? error
      : new SimHttpError(
          500,
          internalType,
          `Internal simulator error: ${(error as Error).message}`,
        );
  sendJson(res, httpError.status, envelope(httpError), headers);
};

/** Writes with back-pressure: waits for `drain` when the socket buffer is full. */
const writeChunk = async (res: ServerResponse, chunk: string | Buffer): Promise<void> => {
  // A destroyed response never emits `drain` again; stop instead of waiting forever.
  if (res.destroyed) throw new Error('client closed the connection');
  if (res.write(chunk)) return;
  if (res.destroyed) throw new Error('client closed the connection');
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      reject(new Error('client closed the connection'));
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
};

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Parses a JSON body, turning syntax errors into a 400 of the given provider's flavour. */
const parseJsonBody = (body: Buffer): unknown => {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new SimHttpError(400, 'invalid_request_error', 'The request body is not valid JSON.');
  }
};

export {
  type BodyResult,
  drainBody,
  isJsonObject as isRecord,
  parseJsonBody,
  readBody,
  SimHttpError,
  sendHttpError,
  sendJson,
  sleep,
  writeChunk,
};
