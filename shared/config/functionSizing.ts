/** The functions batchlane deploys. */
type SizedFunctionName = 'collector' | 'poller' | 'completion' | 'realtime';

/** Memory and timeout of one deployed function. */
interface FunctionSizing {
  /** Lambda memory in MB; CPU share grows with it. */
  readonly memoryMb: number;
  /** Hard limit of one invocation, in seconds. */
  readonly timeoutSeconds: number;
}

/**
 * What each function is deployed with unless the stack's props say otherwise. The CDK
 * constructs take their defaults from here and the local runner enforces the same figures,
 * so a design that outgrows them fails on a laptop before it fails in AWS.
 *
 * - collector: one intake batch (up to 10,000 messages, 6 MB) packed and submitted.
 * - poller: must end before the next scheduled run (the rate is one minute by default).
 * - completion: one ended batch of up to 100,000 results streamed and delivered; Lambda's
 *   maximum, and shorter than the batch lease.
 * - realtime: one flex or standard call (OpenAI flex may take 15 minutes) and its delivery.
 */
const FUNCTION_SIZING: Readonly<Record<SizedFunctionName, FunctionSizing>> = {
  collector: { memoryMb: 1024, timeoutSeconds: 120 },
  poller: { memoryMb: 512, timeoutSeconds: 50 },
  completion: { memoryMb: 1024, timeoutSeconds: 900 },
  realtime: { memoryMb: 512, timeoutSeconds: 900 },
};

export { FUNCTION_SIZING, type FunctionSizing, type SizedFunctionName };
