import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import { observeAwsCommands } from '../../shared/adapters/aws/awsCommandObserver.js';
import { type IamRequest, iamRequestsOf } from './iamRequestsOf.js';
import { lambdaContext } from './lambdaContext.js';

/**
 * Inside one execution environment (a worker thread started by `LambdaWorker`): loads the
 * function's module once, as Lambda's init phase does, then runs one invocation per message,
 * receiving the event as JSON and answering with the response as JSON, plus the heap it used.
 */

/** What the thread is started with. */
interface WorkerSetup {
  /** URL of the function's module. */
  readonly module: string;
  /** The export to call: `handler` for batchlane's functions. */
  readonly exportName: string;
  readonly functionName: string;
  readonly memoryMb: number;
  /** Report the AWS authorizations the function's commands need (`awsCalls` messages). */
  readonly recordAwsCalls: boolean;
}

/** Parent → environment. */
interface InvokeMessage {
  readonly type: 'invoke';
  readonly requestId: string;
  /** The event as JSON, as Lambda hands it to the runtime. */
  readonly event: string;
  /** Epoch ms at which the invocation times out (same clock: one process). */
  readonly deadline: number;
}

/** Environment → parent. */
type EnvironmentMessage =
  | { readonly type: 'ready'; readonly initMs: number; readonly heapLimitBytes: number }
  /** Authorizations not reported before by this environment (each is sent once). */
  | { readonly type: 'awsCalls'; readonly functionName: string; readonly calls: IamRequest[] }
  | {
      readonly type: 'result';
      readonly requestId: string;
      readonly ok: true;
      /** JSON of the handler's return value (`null` for `undefined`). */
      readonly response: string;
      readonly heapUsedBytes: number;
      readonly externalBytes: number;
    }
  | {
      readonly type: 'result';
      readonly requestId: string;
      readonly ok: false;
      readonly error: { readonly name: string; readonly message: string; readonly stack: string };
      readonly heapUsedBytes: number;
      readonly externalBytes: number;
    };

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const port = parentPort;
if (port === null) throw new Error('lambdaWorkerMain runs only inside a worker thread');
const setup = workerData as WorkerSetup;

// Installed before the module loads: handlers build their AWS clients at import, and only
// clients built while an observer is registered carry the observing middleware. Each distinct
// authorization crosses to the parent once, the moment it is first needed, so nothing is lost
// when the thread is killed at a timeout.
if (setup.recordAwsCalls) {
  const reported = new Set<string>();
  observeAwsCommands((command) => {
    const calls = iamRequestsOf(command).filter(({ action, resource }) => {
      const key = `${command.functionName}\u0000${action}\u0000${resource}`;
      if (reported.has(key)) return false;
      reported.add(key);
      return true;
    });
    if (calls.length > 0) {
      parentPort?.postMessage({ type: 'awsCalls', functionName: command.functionName, calls });
    }
  });
}

const initStarted = performance.now();
const loaded = (await import(setup.module)) as Record<string, unknown>;
const exported = loaded[setup.exportName];
if (typeof exported !== 'function') {
  throw new Error(`${setup.module} does not export a function named ${setup.exportName}`);
}
const handler = exported as Handler;

const post = (message: EnvironmentMessage): void => port.postMessage(message);

// The heap is sampled while an invocation runs, not only at its end: garbage collected
// mid-invocation is still memory the function needed.
const sampler = {
  heap: 0,
  external: 0,
  reset(): void {
    this.heap = 0;
    this.external = 0;
    this.take();
  },
  take(): void {
    const stats = getHeapStatistics();
    this.heap = Math.max(this.heap, stats.used_heap_size);
    this.external = Math.max(this.external, stats.external_memory);
  },
};

const toError = (error: unknown): { name: string; message: string; stack: string } =>
  error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack ?? '' }
    : { name: 'Error', message: String(error), stack: '' };

const invoke = async (message: InvokeMessage): Promise<void> => {
  sampler.reset();
  const timer = setInterval(() => sampler.take(), 20);
  timer.unref();
  try {
    const context = lambdaContext(
      setup.functionName,
      Math.max(0, message.deadline - Date.now()),
      setup.memoryMb,
      message.requestId,
    );
    const result = await handler(JSON.parse(message.event) as unknown, context);
    const response = JSON.stringify(result) ?? 'null';
    sampler.take();
    post({
      type: 'result',
      requestId: message.requestId,
      ok: true,
      response,
      heapUsedBytes: sampler.heap,
      externalBytes: sampler.external,
    });
  } catch (error) {
    sampler.take();
    post({
      type: 'result',
      requestId: message.requestId,
      ok: false,
      error: toError(error),
      heapUsedBytes: sampler.heap,
      externalBytes: sampler.external,
    });
  } finally {
    clearInterval(timer);
  }
};

port.on('message', (message: InvokeMessage) => void invoke(message));
post({
  type: 'ready',
  initMs: performance.now() - initStarted,
  heapLimitBytes: getHeapStatistics().heap_size_limit,
});

export type { EnvironmentMessage, InvokeMessage, WorkerSetup };
