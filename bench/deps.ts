import { type AwsClients, createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { createRuntime } from '../shared/composition/createRuntime.js';
import type { BatchlaneConfig } from '../shared/config/BatchlaneConfig.js';
import type { Env } from '../shared/config/loadConfig.js';
import type { RuntimeDeps } from '../shared/usecases/RuntimeDeps.js';
import { instrument, type Tally } from './awsCounters.js';

/** What a bench phase holds: the deps the use cases get, plus the clients behind them. */
interface BenchRuntime {
  readonly config: BatchlaneConfig;
  readonly deps: RuntimeDeps;
  readonly aws: AwsClients;
  flushMetrics(): void;
}

/**
 * The handlers' own runtime (`createRuntime`), on AWS clients that carry a counting
 * middleware, so every call the use cases make is counted. The DocumentClient shares the
 * DynamoDB client's middleware stack, so one middleware counts both.
 */
const createBenchRuntime = async (env: Env, tally: () => Tally): Promise<BenchRuntime> => {
  const aws = createAwsClients(env);
  instrument(aws.sqs.middlewareStack, 'SQS', tally);
  instrument(aws.s3.middlewareStack, 'S3', tally);
  instrument(aws.dynamodb.middlewareStack, 'DynamoDB', tally);
  instrument(aws.eventBridge.middlewareStack, 'EventBridge', tally);
  const runtime = await createRuntime(env, 'bench', { aws });
  await loadBenchProviderAdapter(runtime.deps);
  return { config: runtime.config, deps: runtime.deps, aws, flushMetrics: runtime.flushMetrics };
};

/**
 * Loads the adapter of the provider the bench's batches go to (Anthropic) before anything is
 * timed, as a warm function that served such a batch has it. Adapters load at their first
 * call (`lazyProviders.ts`); here that first load would include tsx compiling the SDK's
 * modules (about 0.9 s), which the deployed bundle, parsed when the function starts, never
 * does, and it would land in whichever phase calls the provider first (completion's cleanup,
 * sealing's submission). The other enabled providers' adapters stay unloaded, as in a
 * function that never called them.
 */
const loadBenchProviderAdapter = async (deps: RuntimeDeps): Promise<void> => {
  const provider = deps.providers.anthropic as { adapter?: () => Promise<unknown> } | undefined;
  await provider?.adapter?.();
};

export { type BenchRuntime, createBenchRuntime };
