import type { Context } from 'aws-lambda';
import { type FunctionStats, InvocationStats } from './InvocationStats.js';
import {
  checkRequestPayload,
  LambdaInvocationError,
  MAX_INVOCATION_PAYLOAD_BYTES,
  responseTooLargeError,
} from './invocationLimits.js';
import { LambdaWorker, WorkerInvocationFailure, type WorkerModule } from './LambdaWorker.js';
import { type Isolation, invokeLocally } from './lambdaContext.js';

/** A function as an event source drives it: one event in, one response (or failure) out. */
interface LocalFunction<E, R> {
  readonly functionName: string;
  readonly isolation: Isolation;
  /**
   * One invocation. Fails with a `LambdaInvocationError` for what Lambda would fail
   * (timeout, memory, payload sizes, a dying runtime), or with the handler's own error.
   */
  invoke(event: E, options: { readonly receiveCount: number }): Promise<R>;
  /** An event source ended an event early to fit the payload limit (for the stats). */
  recordCappedEvent(recordsLeftInQueue: number): void;
  stats(): FunctionStats;
  /** Ends every execution environment (after the invocations in flight). */
  stop(): Promise<void>;
}

interface CreateLocalFunctionOptions<E, R> {
  readonly functionName: string;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  /** @default 'inline' */
  readonly isolation?: Isolation;
  /** `inline`: the handler, called in this process. */
  readonly handler?: (event: E, context: Context) => Promise<R>;
  /** `worker`: the module each execution environment loads, and its environment. */
  readonly worker?: WorkerModule;
}

const failureKindOf = (error: unknown): LambdaInvocationError['kind'] =>
  error instanceof LambdaInvocationError ? error.kind : 'handlerError';

const inlineFunction = <E, R>(
  options: CreateLocalFunctionOptions<E, R>,
  handler: (event: E, context: Context) => Promise<R>,
): LocalFunction<E, R> => {
  const { functionName, timeoutMs, memoryMb } = options;
  const stats = new InvocationStats({ functionName, isolation: 'inline', memoryMb, timeoutMs });
  return {
    functionName,
    isolation: 'inline',
    invoke: async (event, { receiveCount }) => {
      const started = Date.now();
      let requestBytes = 0;
      let responseBytes = 0;
      try {
        requestBytes = Buffer.byteLength(JSON.stringify(event) ?? 'null');
        checkRequestPayload(requestBytes);
        const response = await invokeLocally(
          { functionName, timeoutMs, memoryMb, receiveCount },
          (context) => handler(event, context),
        );
        responseBytes = Buffer.byteLength(JSON.stringify(response) ?? 'null');
        if (responseBytes > MAX_INVOCATION_PAYLOAD_BYTES)
          throw responseTooLargeError(responseBytes);
        stats.recordInvocation({ durationMs: Date.now() - started, requestBytes, responseBytes });
        return response;
      } catch (error) {
        stats.recordInvocation({
          durationMs: Date.now() - started,
          requestBytes,
          responseBytes,
          failure: failureKindOf(error),
        });
        throw error;
      }
    },
    recordCappedEvent: (left) => stats.recordCappedEvent(left),
    stats: () => stats.snapshot(),
    stop: async () => undefined,
  };
};

const workerFunction = <E, R>(
  options: CreateLocalFunctionOptions<E, R>,
  worker: WorkerModule,
): LocalFunction<E, R> => {
  const { functionName, timeoutMs, memoryMb } = options;
  const stats = new InvocationStats({ functionName, isolation: 'worker', memoryMb, timeoutMs });
  // Warm environments waiting for an invocation; a new one starts when all are busy, as
  // Lambda scales out one sandbox per concurrent invocation.
  const idle: LambdaWorker[] = [];
  const all = new Set<LambdaWorker>();
  const inFlight = new Set<Promise<unknown>>();

  const acquire = (): LambdaWorker => {
    // An idle environment can die too (an error thrown by work an invocation left behind).
    for (let warm = idle.pop(); warm !== undefined; warm = idle.pop()) {
      if (warm.alive) return warm;
      all.delete(warm);
    }
    const fresh = new LambdaWorker({ ...worker, functionName, memoryMb, timeoutMs });
    all.add(fresh);
    fresh.ready().then(
      ({ initMs, heapLimitBytes }) => stats.recordColdStart(initMs, heapLimitBytes),
      () => stats.recordColdStart(0, null),
    );
    return fresh;
  };

  const release = (environment: LambdaWorker): void => {
    if (environment.alive) idle.push(environment);
    else all.delete(environment);
  };

  const run = async (event: E): Promise<R> => {
    const json = JSON.stringify(event) ?? 'null';
    let requestBytes = Buffer.byteLength(json);
    let responseBytes = 0;
    try {
      requestBytes = checkRequestPayload(requestBytes);
    } catch (error) {
      stats.recordInvocation({ durationMs: 0, requestBytes, failure: 'requestTooLarge' });
      throw error;
    }
    const environment = acquire();
    try {
      const reply = await environment.invoke(json);
      responseBytes = Buffer.byteLength(reply.response);
      const tooLarge = responseBytes > MAX_INVOCATION_PAYLOAD_BYTES;
      stats.recordInvocation({
        durationMs: reply.durationMs,
        requestBytes,
        responseBytes,
        heapUsedBytes: reply.heapUsedBytes,
        externalBytes: reply.externalBytes,
        ...(tooLarge ? { failure: 'responseTooLarge' as const } : {}),
      });
      if (tooLarge) throw responseTooLargeError(responseBytes);
      return JSON.parse(reply.response) as R;
    } catch (caught) {
      if (!(caught instanceof WorkerInvocationFailure)) throw caught;
      const { error } = caught;
      const kind = failureKindOf(error);
      const ready = await environment.ready().catch(() => null);
      stats.recordInvocation({
        durationMs: caught.durationMs,
        requestBytes,
        // A heap that ran out was full: its limit is the peak it reached.
        ...(kind === 'outOfMemory' && ready !== null
          ? { heapUsedBytes: ready.heapLimitBytes }
          : caught.heapUsedBytes === undefined
            ? {}
            : { heapUsedBytes: caught.heapUsedBytes }),
        ...(caught.externalBytes === undefined ? {} : { externalBytes: caught.externalBytes }),
        failure: kind,
      });
      throw error;
    } finally {
      release(environment);
    }
  };

  return {
    functionName,
    isolation: 'worker',
    invoke: (event) => {
      const invocation = run(event);
      const tracked = invocation.catch(() => undefined);
      inFlight.add(tracked);
      void tracked.finally(() => inFlight.delete(tracked));
      return invocation;
    },
    recordCappedEvent: (left) => stats.recordCappedEvent(left),
    stats: () => stats.snapshot(),
    stop: async () => {
      await Promise.all(inFlight);
      await Promise.all([...all].map((environment) => environment.terminate()));
      all.clear();
      idle.length = 0;
    },
  };
};

/**
 * A local function in the isolation asked for: `inline` runs `handler` in this process,
 * `worker` runs each invocation in a worker-thread execution environment (`LambdaWorker`).
 * Both refuse a request over 6 MB before running anything and fail a response over 6 MB,
 * and both keep `FunctionStats`.
 */
const createLocalFunction = <E, R>(
  options: CreateLocalFunctionOptions<E, R>,
): LocalFunction<E, R> => {
  const isolation = options.isolation ?? 'inline';
  if (isolation === 'worker') {
    if (options.worker === undefined)
      throw new Error(`${options.functionName}: worker isolation needs a worker module`);
    return workerFunction(options, options.worker);
  }
  if (options.handler === undefined)
    throw new Error(`${options.functionName}: inline isolation needs a handler`);
  return inlineFunction(options, options.handler);
};

export { type CreateLocalFunctionOptions, createLocalFunction, type LocalFunction };
