import type { RuntimeDeps } from '../../../../shared/usecases/RuntimeDeps.js';

/** What an injected crash throws. */
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

/** The I/O calls a run made, by port and method, in order. */
interface IoLog {
  readonly calls: string[];
  crashed: InjectedCrash | null;
}

// Ports that do no I/O: time, ids, logs, metrics and plain settings.
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
 * cut off as `plan` says: the counting a crash-point test runs a clean run with, then the
 * crashes it runs again with.
 */
const instrumentIo = (
  deps: RuntimeDeps,
  plan: CrashPlan | null,
): { readonly deps: RuntimeDeps; readonly log: IoLog } => {
  const log: IoLog = { calls: [], crashed: null };
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
  const wrapPort = <T extends object>(name: string, port: T): T =>
    new Proxy(port, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (NON_IO_METHODS.has(property)) return method.bind(target);
        const call = `${name}.${property}`;
        if (isAsyncGeneratorFunction(method)) {
          return (...args: unknown[]): AsyncIterable<unknown> => ({
            [Symbol.asyncIterator]: () => {
              const pages = (method.apply(target, args) as AsyncIterable<unknown>)[
                Symbol.asyncIterator
              ]();
              return {
                next: async () => {
                  enter(call);
                  return pages.next();
                },
                return: async (v?: unknown) => pages.return?.(v) ?? { done: true, value: v },
              };
            },
          });
        }
        return async (...args: unknown[]) => {
          enter(call);
          return method.apply(target, args);
        };
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
