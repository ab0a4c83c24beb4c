import type { RuntimeDeps } from '../../../../shared/usecases/RuntimeDeps.js';

/** What a process that died at an I/O call throws there, and at every call after it. */
class Crash extends Error {
  constructor(readonly call: string) {
    super(`crashed before ${call}`);
  }
}

/** Every I/O call made through {@link crashablePorts}, in order, and what became of it. */
interface CallRecord {
  readonly call: string;
  outcome: 'pending' | 'ok' | 'failed' | 'crashed';
}

interface CrashablePorts {
  readonly deps: RuntimeDeps;
  readonly calls: readonly CallRecord[];
  /** Whether the crash point was reached. */
  readonly crashed: () => boolean;
}

// Deps that do no I/O: time, ids, logs, metrics and plain settings.
const NON_IO_DEPS: ReadonlySet<string> = new Set(['clock', 'ids', 'logger', 'metrics', 'settings']);
// Methods of I/O ports that send nothing anywhere.
const NON_IO_METHODS: ReadonlySet<string> = new Set(['uri']);

const isAsyncGeneratorFunction = (value: unknown): boolean =>
  typeof value === 'function' &&
  (value as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'AsyncGeneratorFunction';

/**
 * The deps with every I/O port wrapped: each call (each page of a paged read) is counted, and
 * from call `crashAt` on (1-based; null: never) every call throws {@link Crash} before it
 * reaches the fake, as a process that died there would make no more calls. Calls made before
 * the crash point complete as they would have. Ports are found by walking the deps, so a port
 * added later is counted too.
 */
const crashablePorts = (deps: RuntimeDeps, crashAt: number | null): CrashablePorts => {
  const calls: CallRecord[] = [];
  let dead = false;

  /** Counts one call; the record to settle, or a Crash when the process is (now) dead. */
  const enter = (call: string): CallRecord | Crash => {
    const record: CallRecord = { call, outcome: 'pending' };
    calls.push(record);
    if (dead || calls.length === crashAt) {
      dead = true;
      record.outcome = 'crashed';
      return new Crash(call);
    }
    return record;
  };

  const settle = async <T>(record: CallRecord, work: () => Promise<T>): Promise<T> => {
    try {
      const value = await work();
      record.outcome = 'ok';
      return value;
    } catch (error) {
      record.outcome = 'failed';
      throw error;
    }
  };

  const wrapPages = <T>(call: string, pages: AsyncIterable<T>): AsyncIterable<T> => ({
    [Symbol.asyncIterator]: () => {
      const iterator = pages[Symbol.asyncIterator]();
      return {
        next: () => {
          const entered = enter(call);
          if (entered instanceof Crash) return Promise.reject(entered);
          return settle(entered, () => iterator.next());
        },
        return: async (value?: unknown) =>
          iterator.return === undefined
            ? { done: true as const, value: value as T }
            : iterator.return(value),
      };
    },
  });

  const wrapPort = <T extends object>(name: string, port: T): T =>
    new Proxy(port, {
      get: (target, property) => {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (NON_IO_METHODS.has(property)) return method.bind(target);
        const call = `${name}.${property}`;
        if (isAsyncGeneratorFunction(method)) {
          return (...args: unknown[]) =>
            wrapPages(call, method.apply(target, args) as AsyncIterable<unknown>);
        }
        return (...args: unknown[]) => {
          const entered = enter(call);
          if (entered instanceof Crash) return Promise.reject(entered);
          return settle(entered, async () => method.apply(target, args));
        };
      },
    });

  const wrapped: Record<string, unknown> = {};
  for (const [key, port] of Object.entries(deps)) {
    if (NON_IO_DEPS.has(key) || typeof port !== 'object' || port === null) wrapped[key] = port;
    else if (key === 'providers' || key === 'realtimeProviders') {
      wrapped[key] = Object.fromEntries(
        Object.entries(port).map(([name, provider]) => [
          name,
          wrapPort(`${key}.${name}`, provider as object),
        ]),
      );
    } else wrapped[key] = wrapPort(key, port);
  }
  return { deps: wrapped as unknown as RuntimeDeps, calls, crashed: () => dead };
};

export { type CallRecord, Crash, type CrashablePorts, crashablePorts };
