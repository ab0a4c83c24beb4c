import { currentInvocation, type LocalInvocation } from '../../local/stack/lambdaContext.js';
import type { LocalFunctionName } from '../../local/stack/startLocalStack.js';
import type { Runtime } from '../../shared/composition/createRuntime.js';
import type { RuntimeDeps } from '../../shared/usecases/RuntimeDeps.js';

/**
 * How a crashed invocation ends: `exit` as a runtime process that died (Lambda fails the
 * invocation at once), `hang` as one that stopped making progress (it fails at its timeout).
 */
type CrashMode = 'exit' | 'hang';

/** One injected crash. */
interface CrashRecord {
  readonly functionName: LocalFunctionName;
  /** The invocation's I/O call that never happened (1-based). */
  readonly step: number;
  /** The port method that call was to (`store.claimPartMembers`, `providers.openai.submit`, ...). */
  readonly call: string;
  readonly mode: CrashMode;
  readonly requestId: string;
  readonly at: string;
}

/** What crashing covered for one function. */
interface CrashCoverage {
  readonly functionName: LocalFunctionName;
  /** Invocations that made at least one I/O call. */
  readonly invocations: number;
  /** Most I/O calls any invocation made, or reached before it crashed. */
  readonly maxCalls: number;
  readonly crashes: number;
  readonly exits: number;
  readonly hangs: number;
  /** Every step a crash happened at, ascending. */
  readonly crashedSteps: readonly number[];
  /** Steps in 1..maxCalls no invocation crashed at. Empty when every step was hit. */
  readonly missingSteps: readonly number[];
  /**
   * How many invocations that were allowed to crash got as far as each step (index = step; a
   * crashed one counts up to the step it crashed at). A step that no such invocation reached
   * came only after every record had used up its crash allowance, or not at all; one reached
   * by an invocation without crashing was held by another invocation running at that time.
   */
  readonly reachedBy: readonly number[];
  /** Crashes by port method: which kinds of call were cut off. */
  readonly byCall: Readonly<Record<string, number>>;
  /** Every I/O call by port method: how many, and their summed duration (where time goes). */
  readonly io: Readonly<Record<string, { readonly calls: number; readonly ms: number }>>;
}

interface CrashInjectorOptions {
  /** The functions to crash; the others run clean. */
  readonly functions: readonly LocalFunctionName[];
  /**
   * Every how-many-th crash of a function hangs until its timeout; the others exit at once
   * (default 4). Per function, since a hung poller run holds up all polling.
   */
  readonly hangEvery?: number | Partial<Record<LocalFunctionName, number>>;
  /**
   * Only every n-th invocation of a function may crash (default 1: any). A poller run that
   * crashes advances nothing after its crash point; clean runs in between keep work moving.
   */
  readonly crashEvery?: Partial<Record<LocalFunctionName, number>>;
  /**
   * Invocations holding a record received more often than this run clean, so crashes alone
   * never push a message to its DLQ (keep it below the queue's maxReceiveCount).
   */
  readonly maxReceiveCount?: number;
  /** Called with a line per crash. */
  readonly log?: (line: string) => void;
}

/** What one invocation has done so far, as far as I/O goes. */
interface InvocationState {
  readonly functionName: LocalFunctionName;
  readonly invocation: LocalInvocation;
  calls: number;
  /** The call this invocation is to crash at, or null to run clean. */
  readonly target: number | null;
  crashed: boolean;
  finished: boolean;
  /** Streams handed to the invocation: a dead process's sockets close with it. */
  readonly streams: Set<Destroyable>;
}

interface Destroyable {
  destroy(): void;
}

const isDestroyable = (value: unknown): value is Destroyable =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { destroy?: unknown }).destroy === 'function' &&
  typeof (value as { pipe?: unknown }).pipe === 'function';

interface FunctionState {
  invocations: number;
  maxCalls: number;
  /** `reachedBy[s]`: invocations allowed to crash that made at least s I/O calls. */
  readonly reachedBy: number[];
  readonly covered: Set<number>;
  /** Targets handed to invocations still running, with when: a lost one frees up later. */
  readonly assigned: Map<number, number>;
  readonly byCall: Map<string, number>;
  readonly io: Map<string, { calls: number; ms: number }>;
  crashes: number;
  exits: number;
  hangs: number;
}

// A target held by an invocation that never reports back (e.g. it timed out on its own) is
// handed out again after this long.
const ASSIGNMENT_TTL_MS = 30_000;

const DEFAULT_HANG_EVERY = 4;

// Ports that do no I/O: time, ids, logs, metrics (stdout) and plain settings.
const NON_IO_DEPS: ReadonlySet<string> = new Set(['clock', 'ids', 'logger', 'metrics', 'settings']);
// Methods of I/O ports that are pure (no request leaves the process).
const NON_IO_METHODS: ReadonlySet<string> = new Set(['uri']);

/** Records that one invocation allowed to crash got as far as step `calls`. */
const countReach = (fn: FunctionState, calls: number): void => {
  for (let step = 1; step <= calls; step += 1) fn.reachedBy[step] = (fn.reachedBy[step] ?? 0) + 1;
};

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

const isAsyncGeneratorFunction = (value: unknown): boolean =>
  typeof value === 'function' &&
  (value as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'AsyncGeneratorFunction';

/**
 * Kills invocations between two I/O calls, the way a Lambda crash or timeout would. It wraps
 * every port of a function's runtime that does I/O (state store, blobs, providers, events,
 * deliverer, completion notifier, and any port added later), counts the calls each invocation
 * makes, and at the invocation's chosen call N stops: that call and every later one never
 * settle, and calls already in flight finish at the far end but their answers never reach the
 * function. The invocation then exits (fails at once) or hangs until its timeout.
 *
 * Schedule: each invocation is given the smallest step not yet crashed at (nor held by
 * another running invocation). An invocation that makes fewer calls runs clean; one that
 * reaches its step crashes there. So every step up to the longest invocation seen gets
 * crashed at once, a step beyond it is tried whenever an invocation gets further than any
 * before, and once every step is covered the functions run clean and the system drains.
 */
class CrashInjector {
  readonly #options: CrashInjectorOptions;
  readonly #functions = new Map<LocalFunctionName, FunctionState>();
  readonly #invocations = new WeakMap<LocalInvocation, InvocationState>();
  readonly #crashes: CrashRecord[] = [];
  #stopped = false;

  constructor(options: CrashInjectorOptions) {
    this.#options = options;
  }

  /** For `startLocalStack({ wrapRuntime })`. */
  readonly wrapRuntime = (functionName: LocalFunctionName, runtime: Runtime): Runtime => {
    if (!this.#options.functions.includes(functionName)) return runtime;
    const deps: Record<string, unknown> = {};
    for (const [key, port] of Object.entries(runtime.deps)) {
      if (NON_IO_DEPS.has(key) || typeof port !== 'object' || port === null) deps[key] = port;
      else if (key === 'providers') {
        deps[key] = Object.fromEntries(
          Object.entries(port).map(([name, provider]) => [
            name,
            this.#wrapPort(functionName, `providers.${name}`, provider as object),
          ]),
        );
      } else deps[key] = this.#wrapPort(functionName, key, port);
    }
    return {
      ...runtime,
      deps: deps as unknown as RuntimeDeps,
      // The handlers flush metrics last thing in every invocation: that is where an
      // invocation that did not crash is known to have ended.
      flushMetrics: () => {
        this.#finish();
        runtime.flushMetrics();
      },
    };
  };

  /** No more crashes from now on (invocations already crashed stay so). */
  stop(): void {
    this.#stopped = true;
  }

  /** Every crash injected, in order. */
  get crashes(): readonly CrashRecord[] {
    return this.#crashes;
  }

  coverage(): CrashCoverage[] {
    return this.#options.functions.map((functionName) => {
      const state = this.#state(functionName);
      const missingSteps: number[] = [];
      for (let step = 1; step <= state.maxCalls; step += 1) {
        if (!state.covered.has(step)) missingSteps.push(step);
      }
      return {
        functionName,
        invocations: state.invocations,
        maxCalls: state.maxCalls,
        crashes: state.crashes,
        exits: state.exits,
        hangs: state.hangs,
        crashedSteps: [...state.covered].sort((a, b) => a - b),
        missingSteps,
        reachedBy: Array.from(
          { length: state.maxCalls + 1 },
          (_, step) => state.reachedBy[step] ?? 0,
        ),
        byCall: Object.fromEntries(state.byCall),
        io: Object.fromEntries(
          [...state.io].map(([call, t]) => [call, { calls: t.calls, ms: Math.round(t.ms) }]),
        ),
      };
    });
  }

  #state(functionName: LocalFunctionName): FunctionState {
    let state = this.#functions.get(functionName);
    if (state === undefined) {
      state = {
        invocations: 0,
        maxCalls: 0,
        reachedBy: [],
        covered: new Set(),
        assigned: new Map(),
        byCall: new Map(),
        io: new Map(),
        crashes: 0,
        exits: 0,
        hangs: 0,
      };
      this.#functions.set(functionName, state);
    }
    return state;
  }

  /** The I/O state of the invocation the caller runs in; begun at its first I/O call. */
  #invocationState(functionName: LocalFunctionName): InvocationState | null {
    const invocation = currentInvocation();
    // Outside a local invocation (set-up code, tests calling ports directly): never crash.
    if (invocation === null) return null;
    const existing = this.#invocations.get(invocation);
    if (existing !== undefined) return existing;
    const fn = this.#state(functionName);
    fn.invocations += 1;
    const crashEvery = this.#options.crashEvery?.[functionName] ?? 1;
    const eligible =
      !this.#stopped &&
      fn.invocations % crashEvery === 0 &&
      invocation.receiveCount <= (this.#options.maxReceiveCount ?? 3);
    let target: number | null = null;
    if (eligible) {
      const now = Date.now();
      for (const [step, since] of fn.assigned) {
        if (now - since > ASSIGNMENT_TTL_MS) fn.assigned.delete(step);
      }
      target = 1;
      while (fn.covered.has(target) || fn.assigned.has(target)) target += 1;
      fn.assigned.set(target, now);
    }
    const state: InvocationState = {
      functionName,
      invocation,
      calls: 0,
      target,
      crashed: false,
      finished: false,
      streams: new Set(),
    };
    this.#invocations.set(invocation, state);
    return state;
  }

  #finish(): void {
    const invocation = currentInvocation();
    const state = invocation === null ? undefined : this.#invocations.get(invocation);
    if (state === undefined || state.crashed || state.finished) return;
    state.finished = true;
    const fn = this.#state(state.functionName);
    fn.maxCalls = Math.max(fn.maxCalls, state.calls);
    if (state.target !== null) {
      fn.assigned.delete(state.target);
      countReach(fn, state.calls);
    }
  }

  /** Counts one I/O call; true when the invocation is (now) dead and the call must not run. */
  #dead(state: InvocationState | null, call: string): boolean {
    if (state === null) return false;
    if (state.crashed) return true;
    state.calls += 1;
    if (state.calls !== state.target) return false;
    state.crashed = true;
    const fn = this.#state(state.functionName);
    fn.assigned.delete(state.calls);
    fn.covered.add(state.calls);
    fn.maxCalls = Math.max(fn.maxCalls, state.calls);
    countReach(fn, state.calls);
    fn.crashes += 1;
    fn.byCall.set(call, (fn.byCall.get(call) ?? 0) + 1);
    const option = this.#options.hangEvery;
    const hangEvery =
      (typeof option === 'number' ? option : option?.[state.functionName]) ?? DEFAULT_HANG_EVERY;
    const mode: CrashMode = fn.crashes % hangEvery === 0 ? 'hang' : 'exit';
    if (mode === 'hang') fn.hangs += 1;
    else fn.exits += 1;
    const record: CrashRecord = {
      functionName: state.functionName,
      step: state.calls,
      call,
      mode,
      requestId: state.invocation.requestId,
      at: new Date().toISOString(),
    };
    this.#crashes.push(record);
    // Without this, a response body no one reads would hold its pooled socket for good.
    for (const stream of state.streams) stream.destroy();
    state.streams.clear();
    this.#options.log?.(
      `crash: ${record.functionName} step ${record.step} before ${call} (${mode}, ${record.requestId})`,
    );
    if (mode === 'exit') {
      state.invocation.exit(
        new Error(`Runtime exited: crash injected at I/O call ${record.step} (${call})`),
      );
    }
    return true;
  }

  /** Answers of calls that were in flight when the invocation died never reach it. */
  #guard<T>(
    functionName: LocalFunctionName,
    call: string,
    state: InvocationState | null,
    work: Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const timed = work.finally(() => {
      const io = this.#state(functionName).io;
      const t = io.get(call) ?? { calls: 0, ms: 0 };
      t.calls += 1;
      t.ms += performance.now() - started;
      io.set(call, t);
    });
    if (state === null) return timed;
    return timed.then(
      (value) => {
        if (state.crashed) {
          if (isDestroyable(value)) value.destroy();
          return never<T>();
        }
        if (isDestroyable(value)) state.streams.add(value);
        return value;
      },
      (error: unknown) => (state.crashed ? never<T>() : Promise.reject(error)),
    );
  }

  #wrapIterator<T>(
    functionName: LocalFunctionName,
    call: string,
    iterable: AsyncIterable<T>,
  ): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: () => {
        const iterator = iterable[Symbol.asyncIterator]();
        return {
          next: () => {
            const state = this.#invocationState(functionName);
            if (this.#dead(state, call)) return never<IteratorResult<T>>();
            return this.#guard(functionName, call, state, iterator.next());
          },
          return: async (value?: unknown) =>
            iterator.return === undefined
              ? { done: true as const, value: value as T }
              : iterator.return(value),
        };
      },
    };
  }

  #wrapPort<T extends object>(functionName: LocalFunctionName, name: string, port: T): T {
    return new Proxy(port, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const call = `${name}.${property}`;
        const method = value as (...args: unknown[]) => unknown;
        if (NON_IO_METHODS.has(property)) return method.bind(target);
        if (isAsyncGeneratorFunction(method)) {
          // Calling an async generator does no I/O; each page it fetches does.
          return (...args: unknown[]) =>
            this.#wrapIterator(
              functionName,
              call,
              method.apply(target, args) as AsyncIterable<unknown>,
            );
        }
        return (...args: unknown[]) => {
          const state = this.#invocationState(functionName);
          if (this.#dead(state, call)) return never();
          // Async, so a method that throws before its first await rejects like any other.
          return this.#guard(functionName, call, state, (async () => method.apply(target, args))());
        };
      },
    });
  }
}

export {
  type CrashCoverage,
  CrashInjector,
  type CrashInjectorOptions,
  type CrashMode,
  type CrashRecord,
};
