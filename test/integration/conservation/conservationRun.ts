import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { sendRequests } from '../../../cli/sendRequests.js';
import type { SimulatorFaults } from '../../../local/simulator/startSimulator.js';
import { startLocalStack } from '../../../local/stack/startLocalStack.js';
import { createAwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';
import { STUCK_ENV } from '../../../shared/config/stuckConfig.js';
import {
  type CrashCoverage,
  CrashInjector,
  type CrashRecord,
} from '../../support/crashingRuntime.js';
import { ungrantedCalls } from '../../support/grants/checkGrants.js';
import { recordingFor } from '../../support/grants/recordings.js';
import { batchEndedEvent, postWebhook } from '../../support/postWebhook.js';
import { type Delivered, DestinationLedger } from './destinationLedger.js';

interface ConservationOptions {
  /** Distinct requests (custom_ids) to send. */
  readonly requests: number;
  /**
   * Records per collector invocation. Every collector step must be crashed at once, and each
   * crash sends the invocation's records round again, so fewer requests need smaller batches.
   */
  readonly collectorBatchSize: number;
  /** Share of messages the test sends twice, shuffled in with the rest. */
  readonly duplicateShare: number;
  /** Share of ids sent again after their result was delivered. */
  readonly lateDuplicateShare: number;
  /** BATCHLANE_MAX_ATTEMPTS for the run. */
  readonly maxAttempts: number;
  /** HTTP error storms on the provider APIs. */
  readonly storms: number;
  /** Give up waiting for results after this long (the assertions then say what is missing). */
  readonly deadlineMs: number;
  readonly seed: number;
  readonly log: (line: string) => void;
}

/** What the run saw; the test asserts on it. */
interface ConservationReport {
  readonly ids: readonly string[];
  readonly sent: number;
  readonly duplicatesSent: number;
  readonly lateDuplicatesSent: number;
  readonly deliveries: ReadonlyMap<string, readonly Delivered[]>;
  readonly vanished: readonly { key: string; customId: string }[];
  readonly expected: ReadonlyMap<string, { readonly via: 'sqs' | 's3'; readonly index: number }>;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byAttempts: Readonly<Record<string, number>>;
  readonly batchesByState: Readonly<Record<string, number>>;
  /** Batches the poller would still look at (`active-batches` index, far-future `now`). */
  readonly activeBatches: readonly Record<string, unknown>[];
  readonly queueDepths: Readonly<
    Record<'intake' | 'intakeDlq' | 'completion' | 'completionDlq', number>
  >;
  readonly coverage: readonly CrashCoverage[];
  readonly crashes: readonly CrashRecord[];
  /** Simulator batches created while the expiry fault was on. */
  readonly expiringBatches: number;
  /**
   * Batches the simulator created stuck; `Batch Stuck` events that cancel (at least once
   * each), and the distinct batches they name.
   */
  readonly stuck: {
    readonly created: number;
    readonly events: readonly { batchId: string; providerStatus: string; stuckAt: string }[];
    readonly cancelled: number;
  };
  readonly stormsRun: number;
  readonly simulator: { batches: number; httpRequests: number; injectedHttpErrors: number };
  readonly s3Rewrites: number;
  /** What the local stack reported (failed invocations, retried records), by kind. */
  readonly stackLog: Readonly<Record<string, number>>;
  /**
   * Provider webhooks: what the simulated providers delivered (each twice), and what the
   * receiver answered to the forged and late ones sent beside them, by code.
   */
  readonly webhooks: {
    readonly delivered: number;
    readonly answers: Readonly<Record<string, number>>;
  };
  readonly elapsedMs: number;
  readonly timedOut: boolean;
  /** AWS calls a function made that its deployed role would refuse. */
  readonly ungranted: readonly string[];
}

const TERMINAL_STATUSES = ['succeeded', 'errored', 'expired', 'canceled'] as const;

/** Per-item errors of every type the simulator knows, a few percent each. */
const ITEM_ERROR_RATES = {
  invalid_request_error: 0.02,
  api_error: 0.02,
  overloaded_error: 0.02,
  rate_limit_error: 0.01,
  timeout_error: 0.01,
} as const;
const CALM_HTTP = { rate: 0.02, statuses: [429, 500, 503], retryAfterMs: 10 };
// A storm: most calls fail, often enough for long that the SDKs' own retries run out.
const STORM_HTTP = { rate: 0.6, statuses: [429, 500, 503], retryAfterMs: 10, maxPerRequest: 3 };

/** A small seeded generator (mulberry32), so a failing run can be repeated. */
const seeded = (seed: number) => {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const queueDepth = async (sqs: SQSClient, queueUrl: string): Promise<number> => {
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const a = attrs.Attributes ?? {};
  return (
    Number(a['ApproximateNumberOfMessages'] ?? 0) +
    Number(a['ApproximateNumberOfMessagesNotVisible'] ?? 0) +
    Number(a['ApproximateNumberOfMessagesDelayed'] ?? 0)
  );
};

/**
 * Drives `requests` requests through the local stack while the simulator injects per-item
 * errors, one partially completed expiry and HTTP error storms, the test duplicates messages,
 * and every handler is crashed at every step between two I/O calls (see CrashInjector); then
 * waits until every id has a result and nothing is left to do, and reports what it saw.
 */
const runConservation = async (options: ConservationOptions): Promise<ConservationReport> => {
  const { log } = options;
  const random = seeded(options.seed);
  const injector = new CrashInjector({
    functions: ['collector', 'poller', 'completion'],
    // A hung poller run holds up all polling for its timeout: hang it less often. Its runs
    // make only a handful of calls (the heavy work is the completion function's), so a small
    // run crashes it about six times: every third of those hangs.
    hangEvery: { collector: 4, completion: 4, poller: 3 },
    // Crashes stop for a message after its 6th receive; the queues allow 10.
    maxReceiveCount: 6,
  });
  const stackLog = new Map<string, number>();
  const baseFaults: SimulatorFaults = { itemErrorRates: ITEM_ERROR_RATES, http: CALM_HTTP };
  const stack = await startLocalStack({
    processingMs: 1500,
    pollIntervalMs: 250,
    collectorBatchSize: options.collectorBatchSize,
    collectorBatchingWindowMs: 300,
    // Crashed invocations fail within seconds and their messages come back soon after.
    visibilityTimeoutSeconds: 8,
    maxReceiveCount: 10,
    // Longer than any function timeout below, so a lease outlives the run that took it.
    leaseSeconds: 12,
    maxAttempts: options.maxAttempts,
    realProvidersFromEnv: false,
    simulator: { seed: options.seed, faults: { ...baseFaults, stuckBatches: 1 } },
    functions: {
      collector: { timeoutMs: 7000, maxConcurrency: 3 },
      completion: { timeoutMs: 7000, maxConcurrency: 2 },
      poller: { timeoutMs: 5000 },
    },
    wrapRuntime: injector.wrapRuntime,
    // Bedrock's last group, below the job minimum, goes to the realtime lane within the run.
    // Stuck batches are cancelled and resubmitted, whatever the provider; with no history,
    // 6 s without progress is stuck (a healthy batch here ends in about 1.5 s).
    environment: {
      [ENV.belowMinimumWaitSeconds]: '3',
      [STUCK_ENV.policy]: JSON.stringify({ default: 'cancel_resubmit' }),
      [STUCK_ENV.floorMinutes]: '0.1',
    },
    recordAwsCalls: recordingFor('conservation'),
    // Counted by kind (crashes, timeouts, retries), not printed one by one.
    log: (line) => {
      const kind = line
        .replace(/\(.*$/, '')
        .replace(/[0-9]+/g, 'N')
        .slice(0, 80);
      stackLog.set(kind, (stackLog.get(kind) ?? 0) + 1);
    },
  });
  const sim = stack.simulator;
  if (sim === null) throw new Error('the conservation test needs the simulator');
  const { receiver } = stack;
  if (receiver === null) throw new Error('the conservation test needs the webhook receiver');
  // At-least-once delivery: every announcement of an ended batch comes twice.
  sim.setWebhooks(
    {
      openai: { url: `${receiver.url}openai`, secret: receiver.secrets.openai },
      gemini: { url: `${receiver.url}gemini`, secret: receiver.secrets.gemini },
    },
    { copies: 2 },
  );
  const aws = createAwsClients(stack.env);
  // SQS results go to a FIFO queue: its deduplication (MessageDeduplicationId = custom_id)
  // is what makes delivery exactly once across a completion run dying between a send and
  // its delivery record. S3 deliveries are idempotent by name.
  const fifo = await aws.sqs.send(
    new CreateQueueCommand({
      QueueName: 'batchlane-conservation-results.fifo',
      Attributes: { FifoQueue: 'true' },
    }),
  );
  const resultsQueueUrl = fifo.QueueUrl ?? '';
  const ledger = new DestinationLedger({
    sqs: aws.sqs,
    s3: aws.s3,
    queueUrl: resultsQueueUrl,
    bucket: stack.resultsBucket,
  });

  // Requests: every provider, both destinations, every combination.
  const ids: string[] = [];
  const bodies = new Map<string, string>();
  const expected = new Map<string, { via: 'sqs' | 's3'; index: number }>();
  for (let i = 0; i < options.requests; i += 1) {
    const id = `cons-${i.toString().padStart(6, '0')}`;
    const via = (i >> 1) % 2 === 0 ? 'sqs' : 's3';
    const destination =
      via === 'sqs'
        ? { type: 'sqs', queue_url: resultsQueueUrl }
        : { type: 's3', bucket: stack.resultsBucket, prefix: 'conservation/' };
    const common = { custom_id: id, destination, metadata: { index: i } };
    const question = `question ${i}`;
    const request = [
      {
        ...common,
        provider: 'anthropic',
        body: {
          model: 'claude-haiku-4-5',
          max_tokens: 16,
          messages: [{ role: 'user', content: question }],
        },
      },
      {
        ...common,
        provider: 'openai',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: question }] },
      },
      {
        ...common,
        provider: 'gemini',
        body: {
          model: 'gemini-2.5-flash',
          contents: [{ role: 'user', parts: [{ text: question }] }],
          generationConfig: { maxOutputTokens: 16 },
        },
      },
      {
        ...common,
        provider: 'bedrock',
        model: 'us.amazon.nova-micro-v1:0',
        body: { messages: [{ role: 'user', content: [{ text: question }] }] },
      },
      {
        ...common,
        provider: 'mistral',
        body: {
          model: 'mistral-small-latest',
          max_tokens: 16,
          messages: [{ role: 'user', content: question }],
        },
      },
      // A provider profile, the one departing most from OpenAI's API.
      {
        ...common,
        provider: 'together',
        body: {
          model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
          messages: [{ role: 'user', content: question }],
        },
      },
    ][i % 6];
    ids.push(id);
    bodies.set(id, JSON.stringify(request));
    expected.set(id, { via, index: i });
  }
  // 5 % of messages go twice, the copy shuffled in a little later (as an SQS resend would).
  const messages = ids.map((id) => bodies.get(id) ?? '');
  let duplicatesSent = 0;
  for (const [index, id] of ids.entries()) {
    if (random() >= options.duplicateShare) continue;
    const at = Math.min(messages.length, index + 1 + Math.floor(random() * 300));
    messages.splice(at, 0, bodies.get(id) ?? '');
    duplicatesSent += 1;
  }

  // Faults that change over the run: storms, and one batch created while expiry is on.
  let storm = false;
  let expiry = false;
  // A batch sits stuck at its provider until the poller's policy cancels it. The next batch
  // created is stuck until a Batch Stuck event is seen: a stuck batch whose submission crashed
  // after the provider's create, and which batchlane then created again, is one batchlane never
  // tracks, so another is made stuck at the next change of faults.
  const stuckSeen = (): boolean =>
    stack.emulators.eventBridge.events().some((e) => e['detail-type'] === 'Batch Stuck');
  const applyFaults = (): void =>
    sim.setFaults({
      ...baseFaults,
      http: storm ? STORM_HTTP : CALM_HTTP,
      ...(expiry ? { expireAtFraction: 0.5 } : {}),
      stuckBatches: stuckSeen() ? 0 : 1,
    });
  const simBatches = (): number => {
    const stats = sim.stats();
    const count = (r: Record<string, number>): number =>
      Object.values(r).reduce((a, b) => a + b, 0);
    return (
      count(stats.anthropic.batches) +
      count(stats.openai.batches) +
      count(stats.gemini.batches) +
      count(stats.bedrock.jobs) +
      count(stats.mistral.jobs)
    );
  };
  let stopped = false;
  let stormsRun = 0;
  let expiringBatches = 0;
  const faultSchedule = (async () => {
    await sleep(3000);
    // Expiry: on until the simulator has created one more batch, then off again.
    const before = simBatches();
    expiry = true;
    applyFaults();
    while (!stopped && simBatches() === before) await sleep(1);
    expiry = false;
    applyFaults();
    expiringBatches = simBatches() - before;
    log(`expiry fault caught ${expiringBatches} batch(es)`);
    for (let k = 0; k < options.storms && !stopped; k += 1) {
      await sleep(k === 0 ? 1000 : 12_000);
      if (stopped) break;
      storm = true;
      applyFaults();
      await sleep(3000);
      storm = false;
      applyFaults();
      stormsRun += 1;
    }
  })();

  // Beside the genuine webhooks: for each pushed batch, a forged one (another secret) and a
  // late one (the right secret, a timestamp 15 minutes old). Neither may change anything.
  const webhookAnswers: Record<string, number> = {};
  const forged = new Set<string>();
  const forgery = (async () => {
    const forgerSecret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    while (!stopped) {
      await sleep(1000);
      const submitted = stack.emulators.eventBridge
        .events()
        .filter((e) => e['detail-type'] === 'Batch Submitted')
        .map((e) => e.detail as { provider: string; provider_batch_id: string });
      for (const { provider, provider_batch_id: providerBatchId } of submitted) {
        if ((provider !== 'openai' && provider !== 'gemini') || forged.has(providerBatchId)) {
          continue;
        }
        forged.add(providerBatchId);
        const url = `${receiver.url}${provider}`;
        const event = batchEndedEvent(provider, providerBatchId);
        for (const answer of [
          await postWebhook(url, forgerSecret, event),
          await postWebhook(url, receiver.secrets[provider], event, {
            at: new Date(Date.now() - 15 * 60_000),
          }),
        ]) {
          webhookAnswers[answer.code] = (webhookAnswers[answer.code] ?? 0) + 1;
        }
      }
    }
  })();

  const startedAt = Date.now();
  const sending = sendRequests(aws.sqs, stack.intakeQueueUrl, messages);
  let sent = 0;
  let lateDuplicatesSent = 0;
  let lateSending: Promise<number> | null = null;
  let timedOut = false;
  let lastLog = 0;
  const store = new DynamoDbStateStore({
    client: aws.documentClient,
    tableName: stack.tableName,
    blobs: new S3BlobStore({ client: aws.s3, bucket: stack.artifactsBucket }),
  });
  const FAR_FUTURE = '9999-12-31T23:59:59.999Z';
  let activeBatches: Record<string, unknown>[] = [];

  for (;;) {
    await ledger.collect();
    const delivered = ledger.byId();
    const deliveredCount = ids.filter((id) => delivered.has(id)).length;
    if (lateSending === null && deliveredCount >= ids.length * 0.3) {
      // Resends of ids already delivered: they must fold into nothing.
      const late = ids
        .filter((id) => delivered.has(id))
        .slice(0, Math.ceil(ids.length * options.lateDuplicateShare));
      lateDuplicatesSent = late.length;
      lateSending = sendRequests(
        aws.sqs,
        stack.intakeQueueUrl,
        late.map((id) => bodies.get(id) ?? ''),
      );
    }
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      const crashes = injector
        .coverage()
        .map((c) => `${c.functionName} ${c.crashes}/${c.maxCalls}`);
      log(
        `${Math.round((Date.now() - startedAt) / 1000)} s: ${deliveredCount}/${ids.length} delivered; crashes ${crashes.join(', ')}`,
      );
    }
    if (deliveredCount === ids.length && lateSending !== null) {
      sent = (await sending) + (await lateSending);
      activeBatches = (await store.listDueBatches(FAR_FUTURE, 1000)).map((b) => ({
        batchId: b.batchId,
        state: b.state,
      }));
      const busy =
        (await queueDepth(aws.sqs, stack.intakeQueueUrl)) +
        (await queueDepth(aws.sqs, stack.completionQueueUrl));
      if (activeBatches.length === 0 && busy === 0) break;
    }
    if (Date.now() - startedAt > options.deadlineMs) {
      timedOut = true;
      break;
    }
    await sleep(500);
  }
  const elapsedMs = Date.now() - startedAt;
  stopped = true;
  await faultSchedule;
  await forgery;
  // A grace period for late duplicates to show up.
  await sleep(3000);
  await ledger.collect();
  sent = (await sending) + (lateSending === null ? 0 : await lateSending);

  activeBatches = (await store.listDueBatches(FAR_FUTURE, 1000)).map((b) => ({
    batchId: b.batchId,
    state: b.state,
    provider: b.provider,
    requestCount: b.requestCount,
    nextPollAt: b.nextPollAt,
    completionLeaseUntil: b.completionLeaseUntil,
    lastError: b.lastError,
    pollCount: b.pollCount,
  }));
  const batchesByState: Record<string, number> = {};
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await aws.documentClient.send(
      new ScanCommand({
        TableName: stack.tableName,
        FilterExpression: 'sk = :batch',
        ExpressionAttributeValues: { ':batch': 'BATCH' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const state = String(item['state']);
      batchesByState[state] = (batchesByState[state] ?? 0) + 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);

  const queueDepths = {
    intake: await queueDepth(aws.sqs, stack.intakeQueueUrl),
    intakeDlq: await queueDepth(aws.sqs, stack.intakeDlqUrl),
    completion: await queueDepth(aws.sqs, stack.completionQueueUrl),
    completionDlq: await queueDepth(aws.sqs, stack.completionDlqUrl),
  };
  const deliveries = ledger.byId();
  const byStatus: Record<string, number> = {};
  const byAttempts: Record<string, number> = {};
  for (const id of ids) {
    for (const { result } of deliveries.get(id) ?? []) {
      byStatus[result.status] = (byStatus[result.status] ?? 0) + 1;
      byAttempts[String(result.attempts)] = (byAttempts[String(result.attempts)] ?? 0) + 1;
    }
  }
  const stats = sim.stats();
  const report: ConservationReport = {
    ids,
    sent,
    duplicatesSent,
    lateDuplicatesSent,
    deliveries,
    vanished: ledger.vanished(),
    expected,
    byStatus,
    byAttempts,
    batchesByState,
    activeBatches,
    queueDepths,
    coverage: injector.coverage(),
    crashes: injector.crashes,
    expiringBatches,
    stuck: stuckReport(stats.stuckBatches, stack.emulators.eventBridge.events()),
    stormsRun,
    simulator: {
      batches: simBatches(),
      httpRequests: stats.http.requests,
      injectedHttpErrors: stats.http.injectedErrors,
    },
    s3Rewrites: ledger.rewrites,
    stackLog: Object.fromEntries(stackLog),
    webhooks: {
      delivered: sim.webhookStats().delivered.openai + sim.webhookStats().delivered.gemini,
      answers: webhookAnswers,
    },
    elapsedMs,
    timedOut,
    ungranted: [],
  };
  await stack.stop();
  return { ...report, ungranted: ungrantedCalls(stack.awsCalls()) };
};

/** The `Batch Stuck` events that cancel, and the distinct batches they name. */
const stuckReport = (
  created: number,
  events: readonly { 'detail-type'?: unknown; detail?: unknown }[],
): ConservationReport['stuck'] => {
  const cancelling = events
    .filter((e) => e['detail-type'] === 'Batch Stuck')
    .map(
      (e) =>
        e.detail as {
          batch_id: string;
          provider_status: string;
          stuck_at: string;
          action: { cancel: boolean };
        },
    )
    .filter((detail) => detail.action.cancel);
  return {
    created,
    events: cancelling.map((d) => ({
      batchId: d.batch_id,
      providerStatus: d.provider_status,
      stuckAt: d.stuck_at,
    })),
    cancelled: new Set(cancelling.map((d) => d.batch_id)).size,
  };
};

/** The counts, for the console. */
const formatReport = (report: ConservationReport): string => {
  const total = [...report.deliveries.entries()].filter(([id]) => report.expected.has(id));
  const multiple = total.filter(([, list]) => list.length > 1).length;
  const lines = [
    'batchlane conservation run',
    `  sent:              ${report.sent} messages for ${report.ids.length} ids (${report.duplicatesSent} duplicated in flight, ${report.lateDuplicatesSent} resent after delivery)`,
    `  accepted:          ${report.ids.length}`,
    `  delivered:         ${total.length} ids with a result, ${multiple} with more than one`,
    `  by status:         ${JSON.stringify(report.byStatus)}`,
    `  by attempts:       ${JSON.stringify(report.byAttempts)}`,
    `  batches:           ${JSON.stringify(report.batchesByState)} (simulator: ${report.simulator.batches}; ${report.expiringBatches} created during the expiry fault; ${report.stuck.created} created stuck, ${report.stuck.cancelled} cancelled as stuck, in ${report.stuck.events.length} Batch Stuck events: ${JSON.stringify(report.stuck.events)}); ${report.activeBatches.length} still active`,
    ...report.activeBatches.slice(0, 5).map((b) => `    still active: ${JSON.stringify(b)}`),
    `  queues:            ${JSON.stringify(report.queueDepths)}`,
    `  provider HTTP:     ${report.simulator.httpRequests} requests, ${report.simulator.injectedHttpErrors} injected errors, ${report.stormsRun} storms`,
    `  S3 objects reread: ${report.s3Rewrites}; results gone after a rewrite: ${report.vanished.length}`,
    `  webhooks:          ${report.webhooks.delivered} delivered by the providers (each twice); forged and late ones answered ${JSON.stringify(report.webhooks.answers)}`,
  ];
  for (const [kind, count] of Object.entries(report.stackLog)) {
    lines.push(`  stack: ${count} × ${kind}`);
  }
  for (const c of report.coverage) {
    lines.push(
      `  crashes ${c.functionName.padEnd(10)} ${c.crashes} (${c.exits} exits, ${c.hangs} hangs) over ${c.invocations} invocations; steps crashed ${c.crashedSteps.length} of ${c.maxCalls}${c.missingSteps.length > 0 ? `, missing ${c.missingSteps.slice(0, 20).join(',')}` : ''}`,
    );
    lines.push(`    crashed before: ${JSON.stringify(c.byCall)}`);
    const io = Object.entries(c.io).sort(([, a], [, b]) => b.ms - a.ms);
    lines.push(
      `    I/O: ${io.map(([call, t]) => `${call} ${t.calls}× ${(t.ms / 1000).toFixed(1)} s`).join('; ')}`,
    );
  }
  lines.push(
    `  elapsed:           ${(report.elapsedMs / 1000).toFixed(1)} s${report.timedOut ? ' (gave up waiting)' : ''}`,
  );
  return lines.join('\n');
};

export {
  type ConservationOptions,
  type ConservationReport,
  formatReport,
  runConservation,
  TERMINAL_STATUSES,
};
