import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../shared/domain/errors.js';
import type { StatusSnapshot } from '../shared/domain/status/summarizeStatus.js';

/** The page's own files, served as they are: no build step. */
const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'statusPage');

/** Chart.js's self-contained browser bundle, from the installed package: no CDN, works offline. */
const chartJsBundle = (): string =>
  join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

const STATIC_FILES: Readonly<Record<string, { file: () => string; type: string }>> = {
  '/': { file: () => join(PAGE_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/status.css': { file: () => join(PAGE_DIR, 'status.css'), type: 'text/css; charset=utf-8' },
  '/status.js': {
    file: () => join(PAGE_DIR, 'status.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/chart.umd.min.js': { file: chartJsBundle, type: 'text/javascript; charset=utf-8' },
};

/** The API the page polls; the same body `batchlane status --json` prints. */
const API_PATH = '/api/status';

/**
 * The page runs only its own scripts and styles (no inline code, nothing from elsewhere); it
 * reads only its own API.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

interface StatusServerOptions {
  /** Reads a fresh status. Calls within `cacheMs` of the last read share it. */
  readonly read: () => Promise<StatusSnapshot>;
  /** What the page names as its subject (`batchlane dev`, the stack's name). */
  readonly label: string;
  /** How often the page polls the API (default 2000 ms). */
  readonly refreshMs?: number;
  /** Default 127.0.0.1: the page shows a deployment's state, for this machine's user only. */
  readonly host?: string;
  /** 0 (the default): any free port. */
  readonly port?: number;
  /** How long a read serves further requests (default 1000 ms), so tabs do not multiply reads. */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

interface StatusServer {
  readonly url: string;
  stop(): Promise<void>;
}

const send = (
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void => {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
    ...extra,
  });
  res.end(body);
};

/**
 * Serves the status page, its scripts and styles, Chart.js, and the JSON API the page polls,
 * on loopback. GET and HEAD only; everything else is refused.
 */
const startStatusServer = async (options: StatusServerOptions): Promise<StatusServer> => {
  const cacheMs = options.cacheMs ?? 1000;
  const now = options.now ?? Date.now;
  let last: { at: number; snapshot: Promise<StatusSnapshot> } | null = null;

  const snapshot = (): Promise<StatusSnapshot> => {
    if (last !== null && now() - last.at < cacheMs) return last.snapshot;
    const read = options.read();
    last = { at: now(), snapshot: read };
    // A failed read is not kept: the next poll tries again.
    read.catch(() => {
      if (last?.snapshot === read) last = null;
    });
    return read;
  };

  const serveApi = async (res: ServerResponse): Promise<void> => {
    try {
      const body = {
        label: options.label,
        refresh_ms: options.refreshMs ?? 2000,
        ...(await snapshot()),
      };
      send(res, 200, 'application/json; charset=utf-8', JSON.stringify(body));
    } catch (error) {
      send(
        res,
        503,
        'application/json; charset=utf-8',
        JSON.stringify({ error: `status not read: ${errorMessage(error)}` }),
      );
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === API_PATH) {
      void serveApi(res);
      return;
    }
    const file = STATIC_FILES[path === '/index.html' ? '/' : path];
    if (file === undefined) {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    const stream = createReadStream(file.file());
    stream.once('open', () => {
      res.writeHead(200, {
        'content-type': file.type,
        'cache-control': 'no-cache',
        ...SECURITY_HEADERS,
      });
      stream.pipe(res);
    });
    stream.once('error', (error) => {
      if (res.headersSent) res.destroy(error);
      else send(res, 500, 'text/plain; charset=utf-8', `${errorMessage(error)}\n`);
    });
  };

  const server = createServer(handle);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

export { API_PATH, type StatusServer, type StatusServerOptions, startStatusServer };
