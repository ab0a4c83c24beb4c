import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import type { ReceiverHandler } from '../../functions/receiver.js';
import { lambdaContext } from './lambdaContext.js';

/** Lambda's limit on a function URL's request payload (buffered mode). */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

interface FunctionUrlServerOptions {
  readonly functionName: string;
  readonly handler: ReceiverHandler;
  readonly timeoutMs: number;
  readonly memoryMb: number;
}

/** What the server writes back: a function URL result in its structured form. */
interface HttpAnswer {
  readonly statusCode?: number;
  readonly headers?: Record<string, string | number | boolean>;
  readonly body?: string;
}

const readBody = async (req: IncomingMessage): Promise<Buffer | null> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
};

/** A function URL event as Lambda builds it from an HTTP request (payload format 2.0). */
const functionUrlEvent = (req: IncomingMessage, url: URL, body: Buffer): LambdaFunctionURLEvent => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = [value].flat().join(',');
  }
  const now = new Date();
  const textual = /json|text/.test(headers['content-type'] ?? '');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    // Lambda passes text bodies as they are and anything else base64-encoded.
    body: textual ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !textual,
  };
};

/**
 * A Lambda function URL on loopback: each HTTP request becomes a function URL event for the
 * handler, run in this process, and its result the HTTP response, as Lambda does in buffered
 * mode. The local stack serves the webhook receiver with it.
 */
class FunctionUrlServer {
  readonly #options: FunctionUrlServerOptions;
  readonly #server: Server;
  #invocations = 0;

  constructor(options: FunctionUrlServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      void this.#serve(req)
        .then((result) => {
          res.writeHead(
            result.statusCode ?? 200,
            Object.fromEntries(
              Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
            ),
          );
          res.end(result.body ?? '');
        })
        .catch(() => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end('{"message":"Internal Server Error"}');
        });
    });
  }

  /** Listens on a free loopback port; resolves to the URL (`http://127.0.0.1:<port>/`). */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/`;
  }

  get invocations(): number {
    return this.#invocations;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #serve(req: IncomingMessage): Promise<HttpAnswer> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    if (body === null) return { statusCode: 413, body: '{"message":"Request Too Long"}' };
    this.#invocations += 1;
    const { functionName, timeoutMs, memoryMb } = this.#options;
    const result = await this.#options.handler(
      functionUrlEvent(req, url, body),
      lambdaContext(functionName, timeoutMs, memoryMb),
    );
    return typeof result === 'string' ? { statusCode: 200, body: result } : result;
  }
}

export { FunctionUrlServer, functionUrlEvent };
