import { parseArgs } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createProgressLog } from '../cli/progress.js';
import { sendRequests } from '../cli/sendRequests.js';
import { type FunctionStats, limitsHit } from '../local/stack/InvocationStats.js';
import type { Isolation } from '../local/stack/lambdaContext.js';
import { type LocalFunctionName, startLocalStack } from '../local/stack/startLocalStack.js';
import { createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { FUNCTION_SIZING } from '../shared/config/functionSizing.js';
import { startRssSampler } from './rss.js';
import { requestBody } from './workload.js';

/**
 * `npm run bench -- --e2e N`: N realistic requests (1–4 KB SQS bodies, Anthropic, S3
 * destination) through the whole local stack, every function in its own worker-thread
 * execution environments at its deployed memory size and timeout; waits until every result is
 * in the destination bucket and prints what each function measured and whether any Lambda
 * limit was hit. Batches fill across collector invocations: by default a batch holds
 * min(N, 100,000) requests and fills for up to an hour, so the collector whose part brings in
 * the N-th request seals it and the whole run goes to the provider as one batch (the run
 * checks the number and sizes of the batches submitted).
 *
 * Flags: --collector-batch-size (default 100, as deployed; up to 10,000),
 * --collector-window-s (default 20, as deployed), --collector-concurrency (2),
 * --completion-concurrency (2), --poll-interval-ms (1000; deployed: one minute),
 * --processing-ms (simulated provider time per batch, 1500), --deadline-min (45),
 * --max-requests-per-batch (min(N, 100,000)), --batch-max-age-s (3600),
 * --isolation (worker; `inline` runs the handlers in this process, without the memory limit,
 * for comparison).
 */

interface EndToEndOptions {
  readonly requests: number;
  readonly isolation: Isolation;
  readonly collectorBatchSize: number;
  readonly collectorWindowS: number;
  readonly collectorConcurrency: number;
  readonly completionConcurrency: number;
  readonly pollIntervalMs: number;
  readonly processingMs: number;
  readonly deadlineMs: number;
  readonly maxRequestsPerBatch: number;
  readonly batchMaxAgeSeconds: number;
}

const FUNCTIONS: readonly LocalFunctionName[] = ['collector', 'poller', 'completion'];
const MB = 1024 * 1024;
/** Requests generated and sent at a time: memory stays flat whatever N is. */
const SEND_CHUNK = 2_000;

/**
 * fauxqs 1.9.2 refuses characters beyond the Basic Multilingual Plane (emoji), which SQS
 * accepts; the workload's one emoji becomes a BMP symbol of one byte less.
 */
const withinBmp = (body: string): string => body.replace(/[\u{10000}-\u{10FFFF}]/gu, '\u263A');

const parseOptions = (args: readonly string[]): EndToEndOptions => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      e2e: { type: 'string' },
      'collector-batch-size': { type: 'string', default: '100' },
      'collector-window-s': { type: 'string', default: '20' },
      'collector-concurrency': { type: 'string', default: '2' },
      'completion-concurrency': { type: 'string', default: '2' },
      'poll-interval-ms': { type: 'string', default: '1000' },
      'processing-ms': { type: 'string', default: '1500' },
      'deadline-min': { type: 'string', default: '45' },
      'max-requests-per-batch': { type: 'string' },
      'batch-max-age-s': { type: 'string', default: '3600' },
      isolation: { type: 'string', default: 'worker' },
    },
  });
  const { isolation } = values;
  if (isolation !== 'worker' && isolation !== 'inline')
    throw new Error(`--isolation must be worker or inline, got ${isolation}`);
  const positive = (name: string, value: string | undefined): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number <= 0)
      throw new Error(`--${name} must be a positive integer, got ${value}`);
    return number;
  };
  const requests = positive('e2e', values.e2e);
  return {
    requests,
    isolation,
    collectorBatchSize: positive('collector-batch-size', values['collector-batch-size']),
    collectorWindowS: positive('collector-window-s', values['collector-window-s']),
    collectorConcurrency: positive('collector-concurrency', values['collector-concurrency']),
    completionConcurrency: positive('completion-concurrency', values['completion-concurrency']),
    pollIntervalMs: positive('poll-interval-ms', values['poll-interval-ms']),
    processingMs: positive('processing-ms', values['processing-ms']),
    deadlineMs: positive('deadline-min', values['deadline-min']) * 60_000,
    maxRequestsPerBatch: positive(
      'max-requests-per-batch',
      values['max-requests-per-batch'] ?? String(Math.min(requests, 100_000)),
    ),
    batchMaxAgeSeconds: positive('batch-max-age-s', values['batch-max-age-s']),
  };
};

/**
 * Reads the result objects under a prefix once each and counts results per `custom_id`,
 * without keeping the results themselves (100,000 of them would dwarf what is measured).
 */
class DeliveredResults {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #seenKeys = new Set<string>();
  readonly perId = new Map<string, number>();
  readonly byStatus = new Map<string, number>();

  constructor(s3: S3Client, bucket: string, prefix: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
    this.#prefix = prefix;
  }

  async collect(): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: this.#prefix,
          ContinuationToken: token,
        }),
      );
      for (const { Key } of page.Contents ?? []) {
        if (Key === undefined || this.#seenKeys.has(Key)) continue;
        const object = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key }));
        const text = (await object.Body?.transformToString('utf8')) ?? '';
        for (const line of text.split('\n')) {
          if (line.trim() === '') continue;
          const result = JSON.parse(line) as { custom_id: string; status: string };
          this.perId.set(result.custom_id, (this.perId.get(result.custom_id) ?? 0) + 1);
          this.byStatus.set(result.status, (this.byStatus.get(result.status) ?? 0) + 1);
        }
        this.#seenKeys.add(Key);
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  get duplicates(): number {
    let count = 0;
    for (const n of this.perId.values()) if (n > 1) count += n - 1;
    return count;
  }
}

const kb = (bytes: number | null): string =>
  bytes === null ? 'n/a' : bytes < 10_240 ? `${bytes} B` : `${(bytes / 1024).toFixed(0)} KB`;
const mb = (bytes: number | null): string =>
  bytes === null ? 'n/a' : `${(bytes / MB).toFixed(0)} MB`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const functionRow = (name: string, stats: FunctionStats): string[] => {
  const failures = Object.entries(stats.failures)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return [
    name,
    `${stats.memoryMb} MB / ${stats.timeoutMs / 1000} s`,
    String(stats.invocations),
    String(stats.coldStarts),
    seconds(stats.maxInitMs),
    seconds(stats.maxDurationMs),
    kb(stats.maxRequestBytes),
    kb(stats.maxResponseBytes),
    `${mb(stats.peakHeapUsedBytes)} of ${mb(stats.heapLimitBytes)}`,
    mb(stats.peakExternalBytes),
    failures === '' ? 'none' : failures,
  ];
};

const table = (header: readonly string[], rows: readonly (readonly string[])[]): string[] => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
};

/** "1000 × 100" style summary of batch sizes, largest first. */
const sizeHistogram = (sizes: readonly number[]): string => {
  const counts = new Map<number, number>();
  for (const size of sizes) counts.set(size, (counts.get(size) ?? 0) + 1);
  const entries = [...counts].sort((a, b) => b[0] - a[0]);
  const shown = entries.slice(0, 8).map(([size, n]) => `${n} × ${size.toLocaleString('en-US')}`);
  return entries.length > 8 ? `${shown.join(', ')}, … (${entries.length} sizes)` : shown.join(', ');
};

const runEndToEnd = async (options: EndToEndOptions): Promise<number> => {
  const started = Date.now();
  // Progress on a terminal only: in a pipe, the figures alone are printed.
  const log = createProgressLog();
  const runId = `e2e${started.toString(36)}`;
  const stackLog = new Map<string, number>();
  const stack = await startLocalStack({
    isolation: options.isolation,
    processingMs: options.processingMs,
    pollIntervalMs: options.pollIntervalMs,
    collectorBatchSize: options.collectorBatchSize,
    collectorBatchingWindowMs: options.collectorWindowS * 1000,
    maxRequestsPerBatch: options.maxRequestsPerBatch,
    batchMaxAgeSeconds: options.batchMaxAgeSeconds,
    realProvidersFromEnv: false,
    functions: {
      // Queue visibility as deployed: six times the consumer's timeout.
      collector: {
        maxConcurrency: options.collectorConcurrency,
        visibilityTimeoutSeconds: FUNCTION_SIZING.collector.timeoutSeconds * 6,
      },
      completion: {
        maxConcurrency: options.completionConcurrency,
        visibilityTimeoutSeconds: FUNCTION_SIZING.completion.timeoutSeconds * 6,
      },
    },
    log: (line) => {
      const kind = line
        .replace(/\(.*$/, '')
        .replace(/[0-9]+/g, 'N')
        .slice(0, 100);
      stackLog.set(kind, (stackLog.get(kind) ?? 0) + 1);
      // Trouble in the stack is shown in a pipe too.
      if ((stackLog.get(kind) ?? 0) <= 3) process.stderr.write(`stack: ${line.slice(0, 300)}\n`);
    },
  });
  const rss = startRssSampler(500);
  const aws = createAwsClients(stack.env);
  const prefix = `bench/${runId}/`;
  const delivered = new DeliveredResults(aws.s3, stack.resultsBucket, prefix);
  try {
    log(
      `stack ready; sending ${options.requests.toLocaleString('en-US')} requests (collector batches of ${options.collectorBatchSize}, window ${options.collectorWindowS} s; provider batches of up to ${options.maxRequestsPerBatch.toLocaleString('en-US')}, sealed when full or after ${options.batchMaxAgeSeconds} s)`,
    );
    const sendStarted = Date.now();
    const workload = { runId, resultsBucket: stack.resultsBucket };
    const sending = (async () => {
      for (let from = 0; from < options.requests; from += SEND_CHUNK) {
        const to = Math.min(options.requests, from + SEND_CHUNK);
        const lines: string[] = [];
        for (let index = from; index < to; index += 1)
          lines.push(withinBmp(requestBody(workload, index)));
        await sendRequests(aws.sqs, stack.intakeQueueUrl, lines);
      }
      return Date.now();
    })();
    let sendDone: number | null = null;
    let sendError: unknown = null;
    const sent = sending.then(
      (at) => {
        sendDone = at;
        log(`all requests sent in ${seconds(at - sendStarted)}`);
      },
      (error: unknown) => {
        sendError = error;
      },
    );

    let lastReport = 0;
    let lastDelivery = Date.now();
    let lastCount = 0;
    while (Date.now() - sendStarted < options.deadlineMs) {
      if (sendError !== null) throw sendError;
      await delivered.collect();
      if (delivered.perId.size !== lastCount) {
        lastCount = delivered.perId.size;
        lastDelivery = Date.now();
      }
      if (sendDone !== null && delivered.perId.size >= options.requests) break;
      if (Date.now() - lastReport > 15_000) {
        const attrs = await aws.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: stack.intakeQueueUrl,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
            ],
          }),
        );
        const stats = stack.functionStats();
        log(
          `delivered ${delivered.perId.size.toLocaleString('en-US')} of ${options.requests.toLocaleString('en-US')}; intake queue ${attrs.Attributes?.['ApproximateNumberOfMessages'] ?? '?'} waiting, ${attrs.Attributes?.['ApproximateNumberOfMessagesNotVisible'] ?? '?'} in flight; invocations: ${FUNCTIONS.map((n) => `${n} ${stats[n].invocations}`).join(', ')}`,
        );
        lastReport = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await sent;
    if (sendError !== null) throw sendError;
    const elapsedMs = lastDelivery - sendStarted;
    // The completion publishes Batch Ended once its run is over (after the last delivery, the
    // member counts and the cost entries): wait for it, so that run is in the function
    // stats and the provider's end time is known.
    const endedAll = (): boolean => {
      const events = stack.emulators.eventBridge.events();
      const ids = (type: string): Set<string> =>
        new Set(
          events
            .filter((e) => e['detail-type'] === type)
            .map((e) => (e.detail as { batch_id: string }).batch_id),
        );
      const submittedIds = ids('Batch Submitted');
      const endedIds = ids('Batch Ended');
      return submittedIds.size > 0 && [...submittedIds].every((id) => endedIds.has(id));
    };
    while (!endedAll() && Date.now() - sendStarted < options.deadlineMs) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    // A little longer, so a duplicate delivery would have time to show up.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await delivered.collect();
    const memory = rss.stop();

    const stats = stack.functionStats();
    const events = stack.emulators.eventBridge.events();
    const submitted = events
      .filter((e) => e['detail-type'] === 'Batch Submitted')
      .map(
        (e) =>
          e.detail as {
            batch_id: string;
            request_count: number;
            input_bytes: number;
            submitted_at: string;
          },
      );
    const ended = events
      .filter((e) => e['detail-type'] === 'Batch Ended')
      .map((e) => e.detail as { batch_id: string; ended_at: string; delivered_at: string });
    const sizes = submitted.map((b) => b.request_count);
    const inputBytes = submitted.map((b) => b.input_bytes);
    const missing = options.requests - delivered.perId.size;
    const hits = FUNCTIONS.flatMap((name) => limitsHit(stats[name]).map((h) => `${name}: ${h}`));

    // One provider batch per `maxRequestsPerBatch` requests, each full but the last.
    const cap = options.maxRequestsPerBatch;
    const expectedSizes = Array.from({ length: Math.ceil(options.requests / cap) }, (_, i) =>
      Math.min(cap, options.requests - i * cap),
    );
    const batchesAsExpected =
      [...sizes].sort((a, b) => b - a).join(',') === expectedSizes.join(',');
    // The provider batch that ended last, and how long its results took to be delivered.
    const lastEnded = [...ended]
      .sort((a, b) => Date.parse(a.ended_at) - Date.parse(b.ended_at))
      .at(-1);
    const at = (iso: string | undefined): string =>
      iso === undefined ? 'n/a' : seconds(Date.parse(iso) - sendStarted);
    const lastSubmittedAt = submitted
      .map((b) => b.submitted_at)
      .sort()
      .at(-1);
    const endToDelivery =
      lastEnded === undefined
        ? 'n/a (no Batch Ended event)'
        : `${seconds(lastDelivery - Date.parse(lastEnded.ended_at))} to the last result seen in the bucket (completion's own ended_at → delivered_at: ${seconds(Date.parse(lastEnded.delivered_at) - Date.parse(lastEnded.ended_at))}; the bench looks once a second)`;

    const lines = [
      '',
      `batchlane end-to-end bench: ${options.requests.toLocaleString('en-US')} requests of 1–4 KB (Anthropic /v1/messages, S3 destination)`,
      `  set-up: ${options.isolation} isolation, memory and timeouts as deployed; collector batch size ${options.collectorBatchSize}, window ${options.collectorWindowS} s, concurrency ${options.collectorConcurrency}; completion concurrency ${options.completionConcurrency}; poll every ${options.pollIntervalMs} ms; simulated provider time ${options.processingMs} ms per batch; provider batches of up to ${cap.toLocaleString('en-US')} requests (maxRequestsPerBatch), filling for up to ${options.batchMaxAgeSeconds} s (batchMaxAgeSeconds)`,
      `  elapsed:          ${seconds(elapsedMs)} from first send to last delivery`,
      `  throughput:       ${(delivered.perId.size / (elapsedMs / 1000)).toFixed(1)} requests/s delivered`,
      `  results:          ${delivered.perId.size.toLocaleString('en-US')} of ${options.requests.toLocaleString('en-US')} delivered (${[...delivered.byStatus].map(([s, n]) => `${s} ${n}`).join(', ')}), ${missing} missing, ${delivered.duplicates} duplicates`,
      `  provider batches: ${submitted.length} submitted (expected ${expectedSizes.length}${batchesAsExpected ? ', as expected' : `: ${sizeHistogram(expectedSizes)}; NOT AS EXPECTED`}); requests per batch: ${sizes.length === 0 ? 'n/a' : sizeHistogram(sizes)}; largest input file ${mb(Math.max(0, ...inputBytes))}`,
      `  timeline:         all sent ${sendDone === null ? 'n/a' : seconds((sendDone as number) - sendStarted)}; last batch submitted ${at(lastSubmittedAt)}; last provider batch ended ${at(lastEnded?.ended_at)}; last result delivered ${seconds(lastDelivery - sendStarted)} (from the first send)`,
      `  provider batch ended → last delivery: ${endToDelivery}`,
      `  process peak RSS: ${memory.peakMb.toFixed(0)} MB (every worker, fauxqs, the simulator; DynamoDB Local not included)`,
      '',
      ...table(
        [
          'function',
          'deployed',
          'invocations',
          'cold starts',
          'max init',
          'max duration',
          'max request',
          'max response',
          'peak heap',
          'peak external',
          'failures',
        ],
        FUNCTIONS.map((name) => functionRow(name, stats[name])),
      ),
      '',
      `  SQS events capped by the 6 MB payload: ${(['collector', 'completion'] as const).map((n) => `${n} ${stats[n].eventsCappedByPayload} (${stats[n].recordsLeftInQueue} records received but left in the queue)`).join(', ')}`,
      `  limits hit: ${hits.length === 0 ? 'none' : hits.join('; ')}`,
      ...(stackLog.size === 0
        ? []
        : [
            `  runner log: ${[...stackLog].map(([kind, n]) => `${n} × ${kind.trim()}`).join('; ')}`,
          ]),
    ];
    for (const line of lines) console.log(line);
    return missing === 0 && delivered.duplicates === 0 && batchesAsExpected ? 0 : 1;
  } finally {
    aws.destroy();
    await stack.stop();
  }
};

/** Entry point from `bench/run.ts` when `--e2e` is given. */
const endToEndMain = async (args: readonly string[]): Promise<number> =>
  runEndToEnd(parseOptions(args));

export { type EndToEndOptions, endToEndMain, runEndToEnd };
