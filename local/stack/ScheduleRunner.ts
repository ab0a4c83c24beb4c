import type { Context, ScheduledEvent } from 'aws-lambda';
import type { FunctionStats } from './InvocationStats.js';
import type { WorkerModule } from './LambdaWorker.js';
import type { Isolation } from './lambdaContext.js';
import { createLocalFunction, type LocalFunction } from './localFunction.js';

type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

/**
 * An EventBridge schedule driving a function, locally. Runs never overlap, as with the
 * deployed poller's reserved concurrency of 1: a tick that comes while a run is going on is
 * skipped.
 */
class ScheduleRunner {
  readonly #functionName: string;
  readonly #function: LocalFunction<ScheduledEvent, unknown>;
  readonly #intervalMs: number;
  readonly #onRun: ((error: unknown, result: unknown) => void) | undefined;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(options: {
    functionName: string;
    /**
     * `inline` (default): `handler` runs in this process. `worker`: each run goes to an
     * execution environment of its own thread, loaded from `worker` (see `LambdaWorker`).
     */
    isolation?: Isolation;
    /** The handler, for `inline` isolation. */
    handler?: ScheduledHandler;
    /** The function's module and environment, for `worker` isolation. */
    worker?: WorkerModule;
    intervalMs: number;
    timeoutMs: number;
    /** @default 256 */
    memoryMb?: number;
    onRun?: (error: unknown, result: unknown) => void;
  }) {
    this.#functionName = options.functionName;
    this.#function = createLocalFunction<ScheduledEvent, unknown>({
      functionName: options.functionName,
      timeoutMs: options.timeoutMs,
      memoryMb: options.memoryMb ?? 256,
      ...(options.isolation === undefined ? {} : { isolation: options.isolation }),
      ...(options.handler === undefined ? {} : { handler: options.handler }),
      ...(options.worker === undefined ? {} : { worker: options.worker }),
    });
    this.#intervalMs = options.intervalMs;
    this.#onRun = options.onRun;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.tick(), this.#intervalMs);
  }

  /** Runs the function once now, unless a run is already going on. */
  async tick(): Promise<void> {
    if (this.#running !== null) return this.#running;
    const event: ScheduledEvent = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [`arn:aws:events:us-east-1:000000000000:rule/${this.#functionName}`],
      detail: {},
    };
    this.#running = this.#function
      .invoke(event, { receiveCount: 1 })
      .then(
        (result) => this.#onRun?.(null, result),
        (error: unknown) => this.#onRun?.(error, null),
      )
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
    await this.#function.stop();
  }

  /** What the function's runs have measured so far. */
  stats(): FunctionStats {
    return this.#function.stats();
  }
}

export { type ScheduledHandler, ScheduleRunner };
