import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseQueryRequest, queryErrorXml, queryResponseXml } from './sqsQueryProtocol.js';

/** A running query-protocol front of fauxqs. */
interface SqsQueryShim {
  /** `http://127.0.0.1:<port>`: an SQS (and S3) endpoint for clients of either protocol. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * Sends one request to fauxqs, naming fauxqs's own host, so the queue URLs it builds are the
 * same whichever endpoint a client used (fauxqs looks queues up by their exact URL).
 */
const forward = (
  target: URL,
  req: IncomingMessage,
  body: Buffer | null,
  headers: Record<string, string | string[] | undefined> = req.headers,
): Promise<IncomingMessage> =>
  new Promise((resolve, reject) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: {
          ...headers,
          host: target.host,
          ...(body === null ? {} : { 'content-length': String(body.length) }),
        },
      },
      resolve,
    );
    upstream.once('error', reject);
    if (body === null) req.pipe(upstream);
    else upstream.end(body);
  });

/** Answers a query-protocol SQS call: translated to JSON for fauxqs, its answer to XML. */
const answerQuery = async (
  target: URL,
  req: IncomingMessage,
  res: ServerResponse,
  call: { readonly action: string; readonly input: Record<string, unknown> },
): Promise<void> => {
  const body = Buffer.from(JSON.stringify(call.input));
  const answer = await forward(target, req, body, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `AmazonSQS.${call.action}`,
  });
  const text = (await readBody(answer)).toString('utf8');
  const requestId = randomUUID();
  const status = answer.statusCode ?? 500;
  let parsed: unknown = {};
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = { __type: 'InternalError', message: text };
  }
  const xml =
    status < 300
      ? queryResponseXml(call.action, parsed, requestId)
      : queryErrorXml(
          parsed as { __type?: unknown; message?: unknown },
          answer.headers['x-amzn-query-error'] as string | undefined,
          requestId,
        );
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(xml),
    'x-amzn-requestid': requestId,
  });
  res.end(xml);
};

/**
 * An endpoint in front of fauxqs that also answers SQS's query protocol, which the AWS CLI v1
 * and boto3/botocore before 1.31 (Debian 12's packages among them) speak: a form-encoded post
 * whose `Action` is an SQS action is translated to the JSON protocol, and fauxqs's answer back
 * to XML. Everything else (JSON-protocol SQS, S3, SNS) passes through unchanged, streamed.
 */
const startSqsQueryShim = async (options: {
  /** fauxqs's endpoint, `http://127.0.0.1:<port>`. */
  readonly target: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
}): Promise<SqsQueryShim> => {
  const target = new URL(options.target);
  const server = createServer((req, res) => {
    const handle = async (): Promise<void> => {
      const form =
        req.method === 'POST' &&
        (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');
      const body = form ? await readBody(req) : null;
      const call = body === null ? null : parseQueryRequest(body.toString('utf8'));
      if (call !== null) {
        await answerQuery(target, req, res, call);
        return;
      }
      const answer = await forward(target, req, body);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    };
    handle().catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(error instanceof Error ? error.message : String(error));
      }
    });
  });
  await new Promise<void>((done, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((done, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : done()));
      }),
  };
};

export { type SqsQueryShim, startSqsQueryShim };
