import type { ResourceLimits } from 'node:worker_threads';

/** Lambda's limit on a synchronous invocation's payload, request and response alike (6 MB). */
const MAX_INVOCATION_PAYLOAD_BYTES = 6_291_456;

/** How a local invocation failed, as Lambda would report it. */
type InvocationFailureKind =
  | 'timeout'
  | 'outOfMemory'
  | 'requestTooLarge'
  | 'responseTooLarge'
  | 'runtimeExit'
  | 'initError'
  | 'handlerError';

const FAILURE_KINDS: readonly InvocationFailureKind[] = [
  'timeout',
  'outOfMemory',
  'requestTooLarge',
  'responseTooLarge',
  'runtimeExit',
  'initError',
  'handlerError',
];

/**
 * An invocation that failed. `name` is Lambda's `errorType` (`Sandbox.Timedout`,
 * `Runtime.OutOfMemory`, ...; the handler's own error name for `handlerError`), so logs read
 * like the function's CloudWatch logs would.
 */
class LambdaInvocationError extends Error {
  readonly kind: InvocationFailureKind;

  constructor(kind: InvocationFailureKind, errorType: string, message: string) {
    super(message);
    this.kind = kind;
    this.name = errorType;
  }
}

/** The bytes a value takes as the JSON Lambda carries it in (`undefined` travels as `null`). */
const payloadBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? 'null');

const timeoutError = (timeoutMs: number): LambdaInvocationError =>
  new LambdaInvocationError(
    'timeout',
    'Sandbox.Timedout',
    `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
  );

const requestTooLargeError = (bytes: number): LambdaInvocationError =>
  new LambdaInvocationError(
    'requestTooLarge',
    'RequestEntityTooLargeException',
    `Request must be smaller than ${MAX_INVOCATION_PAYLOAD_BYTES} bytes for the InvokeFunction operation (got ${bytes} bytes)`,
  );

const responseTooLargeError = (bytes: number): LambdaInvocationError =>
  new LambdaInvocationError(
    'responseTooLarge',
    'Function.ResponseSizeTooLarge',
    `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${MAX_INVOCATION_PAYLOAD_BYTES} bytes).`,
  );

const outOfMemoryError = (memoryMb: number): LambdaInvocationError =>
  new LambdaInvocationError(
    'outOfMemory',
    'Runtime.OutOfMemory',
    `Runtime exited with error: out of memory (JavaScript heap of a ${memoryMb} MB function exhausted)`,
  );

const runtimeExitError = (detail: string): LambdaInvocationError =>
  new LambdaInvocationError(
    'runtimeExit',
    'Runtime.ExitError',
    `Runtime exited with error: ${detail}`,
  );

const initError = (detail: string): LambdaInvocationError =>
  new LambdaInvocationError('initError', 'Runtime.ImportModuleError', `Init failed: ${detail}`);

/**
 * Throws Lambda's error when a request payload is over the limit; returns its size otherwise.
 * Lambda refuses such a request before any execution environment sees it.
 */
const checkRequestPayload = (bytes: number): number => {
  if (bytes > MAX_INVOCATION_PAYLOAD_BYTES) throw requestTooLargeError(bytes);
  return bytes;
};

/**
 * V8 heap limits of a worker standing in for a function of `memoryMb`, split as Lambda's
 * Node.js bootstrap splits a function's memory: old generation `memory - memory / 10`,
 * semi-spaces of `memory / 20` (V8 sizes the young generation at three semi-spaces).
 *
 * What this does not cover: Lambda limits the whole process, these limits the worker's
 * JavaScript heap only. Buffers and ArrayBuffers (S3 bodies, lib-storage parts, socket
 * buffers) live outside the heap, as do compiled code, the thread's stack and the runtime's
 * own baseline. A function that outgrows its memory through its heap fails here as in AWS; one
 * that outgrows it through Buffers does not, so the stats report external bytes next to the
 * heap to compare with the headroom.
 */
const heapLimitsFor = (memoryMb: number): ResourceLimits => {
  const young = Math.max(1, Math.floor(memoryMb / 10));
  const semiSpace = Math.max(1, Math.floor(memoryMb / 20));
  return {
    maxOldGenerationSizeMb: Math.max(16, memoryMb - young),
    maxYoungGenerationSizeMb: semiSpace * 3,
  };
};

/**
 * The V8 flags Lambda's Node.js bootstrap starts a function of `memoryMb` with: a tenth of
 * the memory for the young generation (two semi-spaces of half of it each), the rest for the
 * old generation. The bench runs its phases with them, as the deployed function runs.
 */
const lambdaNodeFlagsFor = (memoryMb: number): string[] => {
  const young = Math.floor(memoryMb / 10);
  return [
    `--max-semi-space-size=${Math.max(1, Math.floor(young / 2))}`,
    `--max-old-space-size=${Math.max(16, memoryMb - young)}`,
  ];
};

export {
  checkRequestPayload,
  FAILURE_KINDS,
  heapLimitsFor,
  type InvocationFailureKind,
  initError,
  LambdaInvocationError,
  lambdaNodeFlagsFor,
  MAX_INVOCATION_PAYLOAD_BYTES,
  outOfMemoryError,
  payloadBytes,
  requestTooLargeError,
  responseTooLargeError,
  runtimeExitError,
  timeoutError,
};
