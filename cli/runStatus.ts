import { setTimeout as delay } from 'node:timers/promises';
import { systemClock } from '../shared/adapters/system/systemClock.js';
import type { StatusSnapshot } from '../shared/domain/status/summarizeStatus.js';
import type { Clock } from '../shared/ports/Clock.js';
import type { BatchFacts, StatusReader } from '../shared/ports/StatusReader.js';
import type { TurnaroundLog } from '../shared/ports/TurnaroundLog.js';
import { readStatus } from '../shared/usecases/readStatus.js';
import { type CommandSpec, parseCommandLine, UsageError } from './commandLine.js';
import { DEV_FILE } from './devFile.js';
import { formatStatus } from './formatStatus.js';
import { startStatusServer } from './statusServer.js';
import { type OpenStatusReader, openStatusReader, resolveStatusTarget } from './statusSource.js';

const STATUS_COMMAND = {
  name: 'status',
  summary:
    'what the running batchlane dev (or a deployed stack) is doing: batches, held requests, results, costs, turnaround, parked results',
  options: {
    json: {
      type: 'boolean',
      description: 'print the status as JSON (one line per read with --watch)',
    },
    watch: {
      type: 'boolean',
      short: 'w',
      description: 'read again every --interval seconds until Ctrl-C',
    },
    serve: {
      type: 'boolean',
      description: 'serve the status page (and its JSON API) on loopback until Ctrl-C',
    },
    port: {
      type: 'string',
      value: 'PORT',
      default: '0',
      description: 'the status page port with --serve (0: any free port)',
    },
    interval: {
      type: 'string',
      value: 'S',
      default: '5',
      description: 'seconds between reads with --watch, and between the page’s refreshes',
    },
    days: {
      type: 'string',
      value: 'N',
      default: '2',
      description: 'UTC days of costs and completed batches to show, today included',
    },
    'outputs-file': {
      type: 'string',
      value: 'FILE',
      description:
        'outputs of a deployed stack (`cdk deploy --outputs-file`), read with your AWS credentials; default: the running batchlane dev',
    },
    stack: {
      type: 'string',
      value: 'NAME',
      description: 'the stack in the outputs file, when it holds several',
    },
  },
  details: [
    `Reads the running batchlane dev (${DEV_FILE}) by default, or the deployed stack in the outputs`,
    'file with the AWS credentials in the environment: Query and BatchGetItem on its state table,',
    'ListObjectsV2 on its bucket, GetQueueAttributes on its intake queue. It writes nothing.',
    'Requests held by admission are the intake queue’s delayed messages.',
  ].join('\n'),
} as const satisfies CommandSpec;

/** What `runStatus` would otherwise take from the machine: injectable for tests. */
interface StatusDeps {
  readonly clock?: Clock;
  /** Where `batchlane dev` wrote how to reach it (default `.batchlane/dev.json`). */
  readonly devFilePath?: string;
  /** Whether stdout is a terminal: `--watch` then redraws in place. */
  readonly isTTY?: boolean;
  /** Stops `--watch` and `--serve` (default: SIGINT or SIGTERM). */
  readonly signal?: AbortSignal;
  /** Read this instead of the target named by the command line (tests). */
  readonly reader?: StatusReader;
  /** With `reader`: the turnaround log to read expected ends from (tests). */
  readonly turnarounds?: TurnaroundLog;
}

const positiveNumber = (name: string, value: string, integer: boolean): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${name} must be a ${integer ? 'non-negative integer' : 'number'}, not '${value}'`,
    );
  }
  return n;
};

/** Aborted on the first SIGINT or SIGTERM. */
const signalOnInterrupt = (): AbortSignal => {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  controller.signal.addEventListener('abort', () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
  return controller.signal;
};

/** What an injected reader is shown as. */
const INJECTED_TARGET = {
  label: 'injected reader',
  tableName: '',
  bucket: '',
  intakeQueueUrl: null,
  env: {},
  settings: { maxRequestsPerBatch: null, batchMaxAgeSeconds: null },
} as const;

const CLEAR_SCREEN = '\u001b[H\u001b[2J';

/**
 * `batchlane status [--json] [--watch] [--serve] [--outputs-file F] [--stack S]`: what the
 * running `batchlane dev`, or a deployed stack, is doing, as a table, as JSON, followed, or
 * as the status page. Returns the exit code.
 */
const runStatus = async (
  args: readonly string[],
  out: (line: string) => void,
  deps: StatusDeps = {},
): Promise<number> => {
  const { values } = parseCommandLine(STATUS_COMMAND, args);
  const intervalS = positiveNumber('interval', values.interval, false);
  const days = positiveNumber('days', values.days, true);
  const port = positiveNumber('port', values.port, true);
  if (days < 1) throw new UsageError('--days must be at least 1');
  if (values.serve && (values.json || values.watch)) {
    throw new UsageError('--serve shows the page; it takes neither --json nor --watch');
  }
  let opened: OpenStatusReader;
  try {
    opened =
      deps.reader === undefined
        ? openStatusReader(
            resolveStatusTarget({
              outputsFile: values['outputs-file'],
              stack: values.stack,
              ...(deps.devFilePath === undefined ? {} : { devFilePath: deps.devFilePath }),
            }),
          )
        : {
            target: INJECTED_TARGET,
            reader: deps.reader,
            ...(deps.turnarounds === undefined ? {} : { turnarounds: deps.turnarounds }),
            close: () => {},
          };
  } catch (error) {
    if (error instanceof Error) throw new UsageError(error.message);
    throw error;
  }
  const clock = deps.clock ?? systemClock;
  const completed = new Map<string, BatchFacts>();
  const read = (): Promise<StatusSnapshot> =>
    readStatus({
      reader: opened.reader,
      clock,
      settings: opened.target.settings,
      days,
      completed,
      ...(opened.turnarounds === undefined ? {} : { turnarounds: opened.turnarounds }),
    });
  const signal = deps.signal ?? (values.serve || values.watch ? signalOnInterrupt() : undefined);
  try {
    if (values.serve) {
      const server = await startStatusServer({
        read,
        label: opened.target.label,
        refreshMs: Math.max(1000, intervalS * 1000),
        port,
      });
      out(`batchlane status: the status page of ${opened.target.label} is at ${server.url}`);
      out('  (Ctrl-C to stop)');
      await new Promise<void>((resolve) => {
        if (signal?.aborted) resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      await server.stop();
      return 0;
    }
    const print = (status: StatusSnapshot): void => {
      if (values.json) out(JSON.stringify(status, null, values.watch ? undefined : 2));
      else
        out(
          `${values.watch && deps.isTTY ? CLEAR_SCREEN : ''}${formatStatus(status, opened.target.label)}`,
        );
    };
    print(await read());
    while (values.watch && signal?.aborted !== true) {
      try {
        await delay(intervalS * 1000, undefined, signal === undefined ? {} : { signal });
      } catch {
        break;
      }
      print(await read());
    }
    return 0;
  } finally {
    opened.close();
  }
};

export { runStatus, STATUS_COMMAND, type StatusDeps };
