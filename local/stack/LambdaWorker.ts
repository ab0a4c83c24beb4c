import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IamRequest } from './iamRequestsOf.js';
import {
  heapLimitsFor,
  initError,
  type LambdaInvocationError,
  outOfMemoryError,
  runtimeExitError,
  timeoutError,
} from './invocationLimits.js';
import type { EnvironmentMessage, InvokeMessage, WorkerSetup } from './lambdaWorkerMain.js';

/** The code a function runs in its worker: a module and the export Lambda would call. */
interface WorkerModule {
  /** URL (or absolute path) of the function's module, e.g. `functions/collector.ts`. */
  readonly module: URL | string;
  /** @default 'handler' */
  readonly exportName?: string;
  /** The function's environment variables, all of its `process.env`. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Receives the AWS authorizations the function's commands need, each once per environment
   * (local grant checks). Unset: nothing is observed.
   */
  readonly onAwsCalls?: (functionName: string, calls: readonly IamRequest[]) => void;
  /**
   * Receives each line the function writes to stdout (its logs and EMF metrics: what
   * CloudWatch Logs would get). Without it, the output goes to this process's stdout.
   */
  readonly onOutput?: (line: string) => void;
}

interface LambdaWorkerOptions extends WorkerModule {
  readonly functionName: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
}

/** One invocation's outcome as the environment reported it. */
interface WorkerReply {
  readonly response: string;
  readonly durationMs: number;
  readonly heapUsedBytes: number;
  readonly externalBytes: number;
}

/** An invocation that failed, with what the environment measured before it failed. */
class WorkerInvocationFailure extends Error {
  readonly error: LambdaInvocationError | Error;
  readonly durationMs: number;
  readonly heapUsedBytes: number | undefined;
  readonly externalBytes: number | undefined;

  constructor(
    error: LambdaInvocationError | Error,
    measured: { durationMs: number; heapUsedBytes?: number; externalBytes?: number },
  ) {
    super(error.message);
    this.error = error;
    this.durationMs = measured.durationMs;
    this.heapUsedBytes = measured.heapUsedBytes;
    this.externalBytes = measured.externalBytes;
  }
}

// The worker loads TypeScript the way the project runs it: through tsx, registered inside the
// thread. Node 20 does not apply an `--import` given in a worker's execArgv to the worker's
// entry module, so the entry is a two-line bootstrap that registers tsx, then imports
// lambdaWorkerMain.ts.
const TSX_API = import.meta.resolve('tsx/esm/api');
const WORKER_MAIN = new URL('./lambdaWorkerMain.ts', import.meta.url).href;
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER_MAIN)}); });`;

/**
 * Lambda gives init 10 s, then retries it inside the first invocation under the function's
 * timeout; the sum bounds how long a module may take to load here.
 */
const INIT_LIMIT_MS = 10_000;

type Pending = {
  readonly resolve: (reply: WorkerReply) => void;
  readonly reject: (failure: WorkerInvocationFailure) => void;
  readonly started: number;
};

/**
 * One execution environment of a function: a worker thread holding the function's module,
 * loaded once (init) and reused for one invocation after another while it stays healthy,
 * like a warm Lambda sandbox.
 *
 * - Memory: the thread's V8 heap is bounded by `heapLimitsFor(memoryMb)`; exhausting it ends
 *   the thread, and the invocation fails with `Runtime.OutOfMemory`.
 * - Timeout: at `timeoutMs` the thread is terminated, whatever it is doing (a busy loop
 *   included), and the invocation fails with `Task timed out after N seconds`.
 * - A thread that dies (an uncaught error, `process.exit`) fails its invocation with
 *   `Runtime.ExitError`.
 *
 * After any of these the environment is dead; its owner starts a fresh one for the next
 * invocation. Unlike a Lambda sandbox, an idle thread is not frozen: timers and sockets left
 * behind by an invocation keep running until the next one.
 */
class LambdaWorker {
  readonly #options: LambdaWorkerOptions;
  readonly #worker: Worker;
  readonly #ready: Promise<{ initMs: number; heapLimitBytes: number }>;
  #pending: Pending | null = null;
  #dead: Error | null = null;
  #initialized = false;
  #busy = false;

  constructor(options: LambdaWorkerOptions) {
    this.#options = options;
    const module =
      typeof options.module === 'string' && !options.module.startsWith('file:')
        ? pathToFileURL(options.module).href
        : String(options.module);
    const setup: WorkerSetup = {
      module,
      exportName: options.exportName ?? 'handler',
      functionName: options.functionName,
      memoryMb: options.memoryMb,
      recordAwsCalls: options.onAwsCalls !== undefined,
    };
    this.#worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: setup,
      env: { ...options.env },
      resourceLimits: heapLimitsFor(options.memoryMb),
      stdout: options.onOutput !== undefined,
    });
    const { onOutput } = options;
    if (onOutput !== undefined) {
      createInterface({ input: this.#worker.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on(
        'line',
        onOutput,
      );
    }
    this.#ready = new Promise((resolve, reject) => {
      const fail = (failure: Error): void => {
        clearTimeout(initTimer);
        this.#die(failure);
        reject(failure);
      };
      const initLimitMs = INIT_LIMIT_MS + options.timeoutMs;
      const initTimer = setTimeout(() => fail(timeoutError(initLimitMs)), initLimitMs);
      this.#worker.on('message', (message: EnvironmentMessage) => {
        if (message.type === 'ready') {
          clearTimeout(initTimer);
          this.#initialized = true;
          resolve({ initMs: message.initMs, heapLimitBytes: message.heapLimitBytes });
        } else if (message.type === 'awsCalls') {
          options.onAwsCalls?.(message.functionName, message.calls);
        } else this.#settle(message);
      });
      this.#worker.on('error', (error: Error & { code?: string }) => {
        const detail = `${error.name}: ${error.message}`;
        if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') fail(outOfMemoryError(options.memoryMb));
        else fail(this.#initialized ? runtimeExitError(detail) : initError(detail));
      });
      this.#worker.on('exit', (code) => fail(runtimeExitError(`exit status ${code}`)));
    });
    // A failed init surfaces on the first invocation, not as an unhandled rejection.
    this.#ready.catch(() => undefined);
  }

  /** False once the environment has died or been terminated. */
  get alive(): boolean {
    return this.#dead === null;
  }

  /** Resolves when init is done, with its duration and the heap limit it got. */
  ready(): Promise<{ initMs: number; heapLimitBytes: number }> {
    return this.#ready;
  }

  /**
   * Runs one invocation with `event` (JSON). Resolves with the response JSON, or rejects with
   * a `WorkerInvocationFailure` whose `error` is the handler's own error or Lambda's.
   */
  async invoke(event: string): Promise<WorkerReply> {
    if (this.#busy) throw new Error('an execution environment runs one invocation at a time');
    this.#busy = true;
    try {
      await this.#ready;
    } catch (error) {
      this.#busy = false;
      throw new WorkerInvocationFailure(error as Error, { durationMs: 0 });
    }
    const { timeoutMs } = this.#options;
    const started = Date.now();
    const requestId = randomUUID();
    const reply = new Promise<WorkerReply>((resolve, reject) => {
      this.#pending = { resolve, reject, started };
    });
    const message: InvokeMessage = {
      type: 'invoke',
      requestId,
      event,
      deadline: started + timeoutMs,
    };
    const timer = setTimeout(() => this.#die(timeoutError(timeoutMs)), timeoutMs);
    try {
      if (this.#dead !== null) this.#failPending(this.#dead);
      else this.#worker.postMessage(message);
      return await reply;
    } finally {
      clearTimeout(timer);
      this.#pending = null;
      this.#busy = false;
    }
  }

  /** Ends the environment (Lambda reclaiming an idle sandbox). */
  async terminate(): Promise<void> {
    if (this.#dead === null) this.#dead = new Error('execution environment shut down');
    this.#failPending(this.#dead);
    await this.#worker.terminate();
  }

  #settle(message: Extract<EnvironmentMessage, { type: 'result' }>): void {
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    const durationMs = Date.now() - pending.started;
    if (message.ok) {
      pending.resolve({
        response: message.response,
        durationMs,
        heapUsedBytes: message.heapUsedBytes,
        externalBytes: message.externalBytes,
      });
      return;
    }
    const error = new Error(message.error.message);
    error.name = message.error.name;
    error.stack = message.error.stack;
    pending.reject(
      new WorkerInvocationFailure(error, {
        durationMs,
        heapUsedBytes: message.heapUsedBytes,
        externalBytes: message.externalBytes,
      }),
    );
  }

  /** Marks the environment dead, fails the invocation in flight with `error`, stops the thread. */
  #die(error: Error): void {
    if (this.#dead === null) this.#dead = error;
    this.#failPending(error);
    void this.#worker.terminate();
  }

  #failPending(error: Error): void {
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    pending.reject(
      new WorkerInvocationFailure(error, { durationMs: Date.now() - pending.started }),
    );
  }
}

export {
  LambdaWorker,
  type LambdaWorkerOptions,
  WorkerInvocationFailure,
  type WorkerModule,
  type WorkerReply,
};
