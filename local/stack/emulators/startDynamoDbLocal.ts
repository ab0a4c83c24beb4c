import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ConfigError, UnavailableError } from '../../../shared/domain/errors.js';

/** Where `npm run setup` unpacks DynamoDB Local (from the amplify-dynamodb-simulator tarball). */
const DEFAULT_DYNAMODB_LOCAL_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../.batchlane/cache/dynamodb-local-2.9.30',
);

/** Options of {@link startDynamoDbLocal}. */
interface StartDynamoDbLocalOptions {
  /** Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib (default: the setup cache). */
  readonly dir?: string;
  /** Default: a free port. */
  readonly port?: number;
  /** Java executable (default `java` on PATH). */
  readonly java?: string;
  /** JVM flags before `-jar` (default {@link FAST_START_JVM_ARGS}). */
  readonly jvmArgs?: readonly string[];
  /** How long to wait for the first successful ListTables (default 120 s: a loaded 2-core machine can take over 30 s to start the JVM). */
  readonly startTimeoutMs?: number;
}

/** A running DynamoDB Local child process (in memory, one shared database). */
interface DynamoDbLocalEmulator {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * C1-only JIT and the serial collector: a short-lived test database never profits from C2,
 * and on a busy 2-core machine these roughly halve the time to the first answer.
 */
const FAST_START_JVM_ARGS: readonly string[] = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

const SETUP_HINT = 'run `npm run setup` to install Java and unpack DynamoDB Local';

const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((done) => child.once('exit', () => done()));

const killChild = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited(child);
  clearTimeout(timer);
};

/**
 * Spawns DynamoDB Local (`-inMemory -sharedDb -disableTelemetry`) on a free port and resolves
 * once ListTables answers (about 2.5 s). `-sharedDb` makes tables visible whatever the
 * access key and region; `-disableTelemetry` because the machine may be offline.
 * The child is killed by `stop()`, and also when this process exits, so no JVM is orphaned.
 */
const startDynamoDbLocal = async (
  options: StartDynamoDbLocalOptions = {},
): Promise<DynamoDbLocalEmulator> => {
  const dir = options.dir ?? DEFAULT_DYNAMODB_LOCAL_DIR;
  const jar = join(dir, 'DynamoDBLocal.jar');
  if (!existsSync(jar)) {
    throw new ConfigError(`DynamoDB Local is missing (${jar}): ${SETUP_HINT}`, {
      code: 'dynamodb_local_missing',
      details: { jar },
    });
  }
  const port = options.port ?? (await freePort());
  const args = [
    ...(options.jvmArgs ?? FAST_START_JVM_ARGS),
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    jar,
    '-inMemory',
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  const child = spawn(options.java ?? 'java', args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = `${output}${chunk.toString('utf8')}`.slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let failure: Error | null = null;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT'
        ? new ConfigError(`Java was not found (${options.java ?? 'java'}): ${SETUP_HINT}`, {
            code: 'java_missing',
            cause: error,
          })
        : error;
  });
  child.once('exit', (code, signal) => {
    failure ??= new UnavailableError(
      `DynamoDB Local exited during start-up (code ${code}, signal ${signal}): ${output.trim()}`,
      { code: 'dynamodb_local_exited' },
    );
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const probe = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  try {
    for (;;) {
      if (failure !== null) throw failure;
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        // Connection refused until the JVM listens: expected, so poll until the deadline.
        if (Date.now() > deadline) {
          throw new UnavailableError(`DynamoDB Local did not answer on ${endpoint} in time`, {
            code: 'dynamodb_local_timeout',
            cause: error,
            details: { output: output.trim() },
          });
        }
        await new Promise((done) => setTimeout(done, 100));
      }
    }
  } catch (error) {
    process.removeListener('exit', killOnExit);
    await killChild(child);
    throw error;
  } finally {
    probe.destroy();
  }

  return {
    endpoint,
    port,
    pid: child.pid,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await killChild(child);
    },
  };
};

export {
  DEFAULT_DYNAMODB_LOCAL_DIR,
  type DynamoDbLocalEmulator,
  FAST_START_JVM_ARGS,
  type StartDynamoDbLocalOptions,
  startDynamoDbLocal,
};
