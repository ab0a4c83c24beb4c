import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { createProgressLog } from '../cli/progress.js';
import { LAMBDA_NODE_OPTIONS } from '../infra/lambdaBundling.js';
import { quietAwsSdkNodeWarning } from '../local/quietAwsSdk.js';
import { startSimulator } from '../local/simulator/startSimulator.js';
import { startDynamoDbLocal } from '../local/stack/emulators/startDynamoDbLocal.js';
import { startEventBridgeStub } from '../local/stack/emulators/startEventBridgeStub.js';
import { startFauxqs } from '../local/stack/emulators/startFauxqs.js';
import { lambdaNodeFlagsFor } from '../local/stack/invocationLimits.js';
import { createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { ensureStateTable } from '../shared/adapters/aws/stateTable.js';
import { ENV } from '../shared/config/BatchlaneConfig.js';
import { bundleBenchWorker } from './bundleWorker.js';
import type { Phase, PhaseResult } from './phaseTypes.js';
import { renderReport, type SizeRun } from './report.js';

/**
 * `npm run bench`: starts the emulators (fauxqs, DynamoDB Local, the PutEvents stub) and the
 * provider simulator in this process, then runs every phase of every size in a fresh child
 * process, and prints and writes the report. Knobs (environment): BENCH_SIZES (default
 * "10000,100000"), BENCH_INVOCATION_SIZE (1000), BENCH_COLLECTOR_BUDGET_S (900: collector
 * time per size before it stops starting invocations; enough for 100,000 requests here),
 * BENCH_WARMUP (2000: size of the unreported warm-up run; 0 skips it),
 * BENCH_DYNAMODB_JVM_ARGS, BENCH_CPU_PROF=1 (profiles into bench/profiles),
 * BENCH_RESULTS_JSON (a file for the raw phase results as well), BENCH_PHASES (a comma-separated
 * subset of the phases, say "seed,completion", to look at one part: the report is printed,
 * RESULTS.md is left alone), BENCH_NODE_FLAGS (extra Node flags for every phase's process),
 * BENCH_RUNNER (`bundle`, the default: each phase runs from one esbuild bundle made with the
 * functions' Lambda bundling options and their NODE_OPTIONS; `tsx`: from the TypeScript
 * sources, compiled as they load), BENCH_LAMBDA_MEMORY_MB (256: each phase runs with the V8
 * flags Lambda gives a function of that memory; 0 leaves Node's own heap sizing).
 *
 * `npm run bench -- --e2e N` runs the end-to-end bench instead (see endToEnd.ts): N requests
 * through the whole local stack, each function in worker threads at its deployed limits. It
 * prints its figures and leaves RESULTS.md alone.
 */

const here = dirname(fileURLToPath(import.meta.url));
const PHASES: readonly Phase[] = [
  'pack-anchor',
  'ledger-anchor',
  'collector',
  'seed',
  'completion',
  'read-anchor',
  'deliver-anchor',
];

/** The phases to run: all of them, or the subset BENCH_PHASES names (in the usual order). */
const selectedPhases = (): readonly Phase[] => {
  const named = (process.env.BENCH_PHASES ?? '').split(',').filter(Boolean);
  if (named.length === 0) return PHASES;
  const unknown = named.filter((name) => !PHASES.includes(name as Phase));
  if (unknown.length > 0)
    throw new Error(`BENCH_PHASES names unknown phases: ${unknown.join(', ')}`);
  return PHASES.filter((phase) => named.includes(phase));
};

/** BENCH_NODE_FLAGS: extra Node flags for every phase's process (say "--trace-gc"). */
const nodeFlags = (): string[] => (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** How a phase's process runs the worker: Node's arguments before the worker's path. */
interface WorkerLaunch {
  readonly runner: 'bundle' | 'tsx';
  readonly args: readonly string[];
  readonly worker: string;
}

/**
 * BENCH_LAMBDA_MEMORY_MB: the Lambda memory size whose heap flags every phase runs with, 256
 * by default (the goal the functions' memory is held to); 0 for Node's own heap sizing, which
 * lets the heap grow with the machine's memory rather than the function's.
 */
const lambdaMemoryMb = (): number | null => {
  const value = Number(process.env.BENCH_LAMBDA_MEMORY_MB ?? 256);
  if (!Number.isInteger(value) || value < 0 || (value > 0 && value < 128))
    throw new Error('BENCH_LAMBDA_MEMORY_MB must be 0 or a Lambda memory size (128 and up)');
  return value === 0 ? null : value;
};

/**
 * BENCH_RUNNER: `bundle` (default) runs the phases from a bundle of the worker made as the
 * functions are bundled for Lambda, with their NODE_OPTIONS; `tsx` runs the sources.
 */
const workerLaunch = async (outDir: string): Promise<WorkerLaunch> => {
  const runner = process.env.BENCH_RUNNER ?? 'bundle';
  if (runner === 'tsx')
    return { runner, args: ['--import', 'tsx'], worker: join(here, 'worker.ts') };
  if (runner !== 'bundle') throw new Error(`BENCH_RUNNER must be bundle or tsx, not ${runner}`);
  const worker = await bundleBenchWorker(join(here, 'worker.ts'), join(outDir, 'bundle'));
  return { runner, args: LAMBDA_NODE_OPTIONS.split(' '), worker };
};

/** Node's flags for every phase: Lambda's heap sizing, then BENCH_NODE_FLAGS (which win). */
const phaseNodeFlags = (memoryMb: number | null): string[] => [
  ...(memoryMb === null ? [] : lambdaNodeFlagsFor(memoryMb)),
  ...nodeFlags(),
];

const runChild = async (
  phase: Phase,
  env: Record<string, string>,
  outDir: string,
  launch: WorkerLaunch,
  flags: readonly string[],
): Promise<PhaseResult> => {
  const out = join(outDir, `${env.BENCH_SIZE}-${phase}.json`);
  const profile =
    process.env.BENCH_CPU_PROF === '1'
      ? [
          '--cpu-prof',
          // One directory per phase: tsx's loader thread writes a profile of its own.
          `--cpu-prof-dir=${join(here, 'profiles', `${env.BENCH_SIZE}-${phase}`)}`,
        ]
      : [];
  const child = spawn(
    process.execPath,
    ['--expose-gc', ...flags, ...profile, ...launch.args, launch.worker],
    {
      env: { ...env, BENCH_PHASE: phase, BENCH_OUT: out },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0)
    throw new Error(`bench phase ${phase} (size ${env.BENCH_SIZE}) exited with ${code}`);
  return JSON.parse(readFileSync(out, 'utf8')) as PhaseResult;
};

const main = async (): Promise<void> => {
  quietAwsSdkNodeWarning();
  const sizes = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
  const invocationSize = Number(process.env.BENCH_INVOCATION_SIZE ?? 1_000);
  const budgetS = Number(process.env.BENCH_COLLECTOR_BUDGET_S ?? 900);
  const phases = selectedPhases();
  const started = new Date();
  // Progress on a terminal only: in a pipe, the report alone is printed.
  const log = createProgressLog();

  log('starting emulators and the provider simulator');
  // DynamoDB Local with the JVM's default JIT (C2) and GC: the local stack's fast-start flags
  // (C1 only, serial GC) suit short tests but cost a few times the throughput under load.
  const jvmArgs = (process.env.BENCH_DYNAMODB_JVM_ARGS ?? '').split(' ').filter(Boolean);
  const [fauxqs, dynamodb, eventBridge] = await Promise.all([
    startFauxqs({ port: 0 }),
    startDynamoDbLocal({ jvmArgs }),
    startEventBridgeStub({ port: 0 }),
  ]);
  const emulators = {
    env: {
      AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
      AWS_ENDPOINT_URL_S3: fauxqs.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
    stop: async () => {
      await Promise.allSettled([eventBridge.stop(), fauxqs.stop(), dynamodb.stop()]);
    },
  };
  const simulator = await startSimulator({ port: 0, processingMs: 1_000 });
  const aws = createAwsClients(emulators.env);
  const artifactsBucket = 'batchlane-bench-artifacts';
  const resultsBucket = 'batchlane-bench-results';
  const tableName = 'batchlane-bench-state';
  const outDir = mkdtempSync(join(tmpdir(), 'batchlane-bench-'));
  try {
    await aws.s3.send(new CreateBucketCommand({ Bucket: artifactsBucket }));
    await aws.s3.send(new CreateBucketCommand({ Bucket: resultsBucket }));
    const completionQueue = await aws.sqs.send(
      new CreateQueueCommand({ QueueName: 'batchlane-bench-completion' }),
    );
    await ensureStateTable(aws.dynamodb, tableName);
    log('bundling the phases');
    const launch = await workerLaunch(outDir);
    const memoryMb = lambdaMemoryMb();
    const flags = phaseNodeFlags(memoryMb);
    const baseEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      BENCH_RSS_TRACE: process.env.BENCH_RSS_TRACE ?? '',
      ...emulators.env,
      [ENV.tableName]: tableName,
      [ENV.bucketName]: artifactsBucket,
      [ENV.eventBusName]: 'batchlane',
      [ENV.completionQueueUrl]: completionQueue.QueueUrl ?? '',
      [ENV.enabledProviders]: 'anthropic,openai',
      // Destinations are refused unless allowed; the bench's are its own bucket.
      [ENV.destinationAllowList]: '*',
      [ENV.anthropicApiKey]: 'sim-key',
      [ENV.openaiApiKey]: 'sim-key',
      [ENV.anthropicBaseUrl]: simulator.anthropicBaseUrl,
      [ENV.openaiBaseUrl]: simulator.openaiBaseUrl,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_SERVICE_NAME: 'batchlane',
      BENCH_RESULTS_BUCKET: resultsBucket,
      BENCH_INVOCATION_SIZE: String(invocationSize),
      BENCH_COLLECTOR_BUDGET_MS: String(budgetS * 1000),
    };

    // Warm-up, not reported: DynamoDB Local's JIT needs a few thousand calls of each kind
    // before its speed settles; without it the first size runs on a cold JVM.
    const warmup = Number(process.env.BENCH_WARMUP ?? 2_000);
    if (warmup > 0) {
      const env: Record<string, string> = {
        ...baseEnv,
        BENCH_SIZE: String(warmup),
        BENCH_RUN_ID: `w${started.getTime().toString(36)}`,
      };
      for (const phase of ['collector', 'seed', 'completion'] as const) {
        log(`warm-up (${warmup}, not reported): ${phase}`);
        const result = await runChild(phase, env, outDir, launch, flags);
        if (phase === 'seed' && result.batchId !== null) env.BENCH_BATCH_ID = result.batchId;
      }
    }

    const runs: SizeRun[] = [];
    for (const size of sizes) {
      const runId = `b${started.getTime().toString(36)}n${size}`;
      const env: Record<string, string> = {
        ...baseEnv,
        BENCH_SIZE: String(size),
        BENCH_RUN_ID: runId,
      };
      const results: Partial<Record<Phase, PhaseResult>> = {};
      for (const phase of phases) {
        log(`size ${size}: ${phase}`);
        const result = await runChild(phase, env, outDir, launch, flags);
        results[phase] = result;
        if (phase === 'seed' && result.batchId !== null) env.BENCH_BATCH_ID = result.batchId;
        log(
          `size ${size}: ${phase} done: ${result.processed} in ${(result.busyMs / 1000).toFixed(1)} s, peak RSS ${result.rss.peakMb.toFixed(0)} MB`,
        );
      }
      runs.push({ size, results });
    }
    const stats = simulator.stats();
    const finishedAt = new Date();
    const report = renderReport({
      runs,
      invocationSize,
      budgetS,
      startedAt: started,
      finishedAt,
      simulatorHttpRequests: stats.http.requests,
      launch: { runner: launch.runner, lambdaMemoryMb: memoryMb, nodeFlags: flags },
    });
    // BENCH_RESULTS_JSON=<file>: the raw phase results too, to render the report again later.
    const rawOut = process.env.BENCH_RESULTS_JSON;
    if (rawOut !== undefined && rawOut !== '') {
      writeFileSync(
        rawOut,
        JSON.stringify({
          runs,
          invocationSize,
          budgetS,
          startedAt: started.toISOString(),
          finishedAt: finishedAt.toISOString(),
          simulatorHttpRequests: stats.http.requests,
          launch: { runner: launch.runner, lambdaMemoryMb: memoryMb, nodeFlags: flags },
        }),
      );
    }
    console.log(`\n${report.text}`);
    if (phases === PHASES) {
      writeFileSync(join(here, 'RESULTS.md'), report.markdown);
      log('wrote bench/RESULTS.md');
    }
    const failures = runs.flatMap((run) => {
      const failure = run.results.collector?.checkFailure;
      return failure == null ? [] : [`size ${run.size}: ${failure}`];
    });
    if (failures.length > 0) {
      throw new Error(
        `collector did not submit one batch of every request: ${failures.join('; ')}`,
      );
    }
  } finally {
    aws.destroy();
    await simulator.stop();
    await emulators.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
};

const args = process.argv.slice(2);
const run: Promise<number> = args.includes('--e2e')
  ? import('./endToEnd.js').then(({ endToEndMain }) => endToEndMain(args))
  : main().then(() => 0);

run.then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
