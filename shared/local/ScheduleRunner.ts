import type { Context, ScheduledEvent } from 'aws-lambda';
import { invokeLocally } from './lambdaContext.js';

type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

/**
 * An EventBridge schedule driving a function, locally. Runs never overlap, as with the
 * deployed poller's reserved concurrency of 1: a tick that comes while a run is going on is
 * skipped.
 */
class ScheduleRunner {
  readonly #functionName: string;
  readonly #handler: ScheduledHandler;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #onRun: ((error: unknown, result: unknown) => void) | undefined;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(options: {
    functionName: string;
    handler: ScheduledHandler;
    intervalMs: number;
    timeoutMs: number;
    onRun?: (error: unknown, result: unknown) => void;
  }) {
    this.#functionName = options.functionName;
    this.#handler = options.handler;
    this.#intervalMs = options.intervalMs;
    this.#timeoutMs = options.timeoutMs;
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
    this.#running = invokeLocally(
      {
        functionName: this.#functionName,
        timeoutMs: this.#timeoutMs,
        memoryMb: 256,
        receiveCount: 1,
      },
      (context) => this.#handler(event, context),
    )
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
  }
}

export { type ScheduledHandler, ScheduleRunner };
