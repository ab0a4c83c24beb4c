import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { timeoutError } from './invocationLimits.js';

/**
 * Where a local function's code runs. `inline`: in this process, cut off at its timeout by a
 * race (the abandoned work goes on in the background), sharing this process's heap; the only
 * mode in which a test can wrap the function's runtime in fault-injecting ports. `worker`: in a
 * worker thread per execution environment, as Lambda runs each in its own sandbox: killed at
 * its timeout, its heap bounded by its memory size, reused warm between invocations (see
 * `LambdaWorker`).
 */
type Isolation = 'inline' | 'worker';

/** A Lambda `Context` for local invocations, with a real remaining-time clock. */
const lambdaContext = (
  functionName: string,
  timeoutMs: number,
  memoryMb: number,
  requestId: string = randomUUID(),
): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

/**
 * Runs `work` with the function's timeout, failing with Lambda's timeout error (whose message
 * does not name the function, so the name is no longer used).
 */
const withTimeout = async <T>(
  _functionName: string,
  timeoutMs: number,
  work: Promise<T>,
): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/** The invocation a piece of code runs in, as the local Lambda runtime knows it. */
interface LocalInvocation {
  readonly functionName: string;
  readonly requestId: string;
  /** Highest `ApproximateReceiveCount` among the event's records (1 for scheduled events). */
  readonly receiveCount: number;
  /**
   * Ends the invocation now, as a runtime process that died would: Lambda reports the
   * invocation failed without waiting for its timeout. Work still pending in it is abandoned.
   */
  exit(error: Error): void;
}

// Many invocations of one function can be in flight at once (and abandoned ones linger), so
// code that needs to know which one it serves asks the async context, not a global.
const invocations = new AsyncLocalStorage<LocalInvocation>();

/** The invocation the caller runs in, or null outside any local invocation. */
const currentInvocation = (): LocalInvocation | null => invocations.getStore() ?? null;

/**
 * One local invocation: a fresh context, the handler run inside the invocation's async scope,
 * cut off by the function's timeout or by an `exit` from inside, whichever comes first.
 */
const invokeLocally = async <T>(
  options: {
    readonly functionName: string;
    readonly timeoutMs: number;
    readonly memoryMb: number;
    readonly receiveCount: number;
  },
  run: (context: Context) => Promise<T>,
): Promise<T> => {
  const context = lambdaContext(options.functionName, options.timeoutMs, options.memoryMb);
  let exit: (error: Error) => void = () => undefined;
  const exited = new Promise<never>((_, reject) => {
    exit = reject;
  });
  const invocation: LocalInvocation = {
    functionName: options.functionName,
    requestId: context.awsRequestId,
    receiveCount: options.receiveCount,
    exit: (error) => exit(error),
  };
  const work = invocations.run(invocation, () => run(context));
  return withTimeout(options.functionName, options.timeoutMs, Promise.race([work, exited]));
};

export {
  currentInvocation,
  type Isolation,
  invokeLocally,
  type LocalInvocation,
  lambdaContext,
  withTimeout,
};
