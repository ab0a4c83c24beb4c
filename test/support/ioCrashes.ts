import type { RuntimeDeps } from '../../shared/usecases/RuntimeDeps.js';

/** What an injected crash throws: at the call it cuts off and, when the run died, after it. */
class InjectedCrash extends Error {
  constructor(
    readonly call: string,
    readonly step: number,
  ) {
    super(`crash injected at I/O call ${step} (${call})`);
  }
}

/**
 * How a run is cut off at its I/O call `at` (1-based): `throw` fails that call alone (a call
 * that failed, the run carries on with what it does on failures); `die` fails it and every
 * call after it (a process that died: nothing it would still write gets written).
 */
interface CrashPlan {
  readonly at: number;
  readonly mode: 'throw' | 'die';
}

/** The I/O calls a run made, by port and method, in order, and the first crash injected. */
interface IoLog {
  readonly calls: string[];
  /** The calls that reached the port and returned (not those that threw, nor those cut off). */
  readonly returned: string[];
  crashed: InjectedCrash | null;
}

// Deps that do no I/O: time, ids, logs, metrics and plain settings.
const NON_IO_DEPS: ReadonlySet<string> = new Set(['clock', 'ids', 'logger', 'metrics', 'settings']);
// Methods of I/O ports that are pure (no request leaves the process).
const NON_IO_METHODS: ReadonlySet<string> = new Set(['uri']);
// Port maps: one port per provider.
const PORT_MAPS: ReadonlySet<string> = new Set(['providers', 'realtimeProviders']);

const isAsyncGeneratorFunction = (value: unknown): boolean =>
  typeof value === 'function' &&
  (value as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'AsyncGeneratorFunction';

/**
 * `deps` with every I/O port counted, call by call (each page of a paged read is a call), and
 * cut off as `plan` says (null: never), before the call reaches the port. Calls made before
 * the crash point complete as they would have. Ports are found by walking the deps, so a port
 * added later is counted too: the counting a crash-point test runs a clean run with, then the
 * crashes it runs again with.
 */
const instrumentIo = (
  deps: RuntimeDeps,
  plan: CrashPlan | null,
): { readonly deps: RuntimeDeps; readonly log: IoLog } => {
  const log: IoLog = { calls: [], returned: [], crashed: null };

  /** Counts a call; throws when the plan cuts the run off here. */
  const enter = (call: string): void => {
    log.calls.push(call);
    const step = log.calls.length;
    if (plan === null) return;
    if (step === plan.at || (plan.mode === 'die' && step > plan.at)) {
      const crash = new InjectedCrash(call, step);
      log.crashed ??= crash;
      throw crash;
    }
  };

  /**
   * Makes a counted call, noting it once it has returned. The caller gets `work`'s own
   * promise: counting adds no turn of the event loop, so concurrent calls interleave as they
   * would unwatched.
   */
  const callThrough = <T>(call: string, work: () => Promise<T>): Promise<T> => {
    try {
      enter(call);
    } catch (crash) {
      return Promise.reject(crash);
    }
    const result = work();
    result.then(
      () => log.returned.push(call),
      () => undefined,
    );
    return result;
  };

  /** A paged read whose every page is a counted call. */
  const countPages = (
    call: string,
    read: () => AsyncIterable<unknown>,
  ): AsyncIterable<unknown> => ({
    [Symbol.asyncIterator]: () => {
      const pages = read()[Symbol.asyncIterator]();
      return {
        next: () => callThrough(call, async () => pages.next()),
        return: async (v?: unknown) => pages.return?.(v) ?? { done: true, value: v },
      };
    },
  });

  const wrapPort = <T extends object>(name: string, port: T): T =>
    new Proxy(port, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (NON_IO_METHODS.has(property)) return method.bind(target);
        const call = `${name}.${property}`;
        if (isAsyncGeneratorFunction(method)) {
          return (...args: unknown[]) =>
            countPages(call, () => method.apply(target, args) as AsyncIterable<unknown>);
        }
        return (...args: unknown[]) => callThrough(call, async () => method.apply(target, args));
      },
    });

  const wrapped: Record<string, unknown> = {};
  for (const [key, port] of Object.entries(deps)) {
    if (NON_IO_DEPS.has(key) || typeof port !== 'object' || port === null) wrapped[key] = port;
    else if (PORT_MAPS.has(key)) {
      wrapped[key] = Object.fromEntries(
        Object.entries(port).map(([name, p]) => [name, wrapPort(`${key}.${name}`, p as object)]),
      );
    } else wrapped[key] = wrapPort(key, port);
  }
  return { deps: wrapped as unknown as RuntimeDeps, log };
};

export { type CrashPlan, InjectedCrash, type IoLog, instrumentIo };
