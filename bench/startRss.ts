import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * RSS of a function's process once its runtime is built, as its handler module builds it at
 * start (`createRuntime` and the use case's factory), each in a fresh Node process:
 * `npx tsx bench/startRss.ts [collector|completion|poller|realtime ...]`. No emulator is
 * needed: building the runtime makes no call. Anthropic and OpenAI are enabled, as in the
 * bench; the other providers' SDKs are loaded only at their first call.
 */

const FUNCTIONS = ['collector', 'completion', 'poller', 'realtime'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

const ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  BATCHLANE_TABLE_NAME: 'table',
  BATCHLANE_BUCKET_NAME: 'bucket',
  BATCHLANE_EVENT_BUS_NAME: 'bus',
  BATCHLANE_COMPLETION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/completion',
  BATCHLANE_PROVIDERS: 'anthropic,openai',
  BATCHLANE_DESTINATION_ALLOW_LIST: '*',
  ANTHROPIC_API_KEY: 'key',
  OPENAI_API_KEY: 'key',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'key',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

const MB = 1024 * 1024;

/** In the child: builds the runtime and the use case, then reports RSS after a full GC. */
const measure = async (fn: FunctionName): Promise<void> => {
  const { createRuntime } = await import('../shared/composition/createRuntime.js');
  const runtime = await createRuntime(process.env, fn);
  if (fn === 'collector') {
    (await import('../shared/usecases/createCollector.js')).createCollector(runtime.deps);
  } else if (fn === 'completion') {
    (await import('../shared/usecases/createCompletion.js')).createCompletion(runtime.deps);
  } else if (fn === 'poller') {
    (await import('../shared/usecases/createPoller.js')).createPoller(runtime.deps);
  } else {
    (await import('../shared/usecases/createRealtimeWorker.js')).createRealtimeWorker(runtime.deps);
  }
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  console.log(
    JSON.stringify({ fn, rssMb: Math.round(rss / MB), heapUsedMb: Math.round(heapUsed / MB) }),
  );
};

const main = (): void => {
  const asked = process.argv
    .slice(2)
    .filter((a): a is FunctionName => (FUNCTIONS as readonly string[]).includes(a));
  const child = process.env.START_RSS_CHILD as FunctionName | undefined;
  if (child !== undefined) {
    measure(child).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
    return;
  }
  for (const fn of asked.length > 0 ? asked : FUNCTIONS) {
    const run = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url)],
      { env: { ...ENV, START_RSS_CHILD: fn }, encoding: 'utf8' },
    );
    process.stdout.write(run.status === 0 ? run.stdout : `${fn}: failed\n${run.stderr}\n`);
  }
};

main();
