import { Readable } from 'node:stream';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { partToItem } from '../shared/adapters/aws/stateItemCodec.js';
import { encodePartMember, partMembersKeyOf } from '../shared/domain/partMembers.js';
import type { BatchItem, BatchPart, BatchRecord } from '../shared/domain/records.js';
import type { StateStore } from '../shared/ports/StateStore.js';
import { createCollector } from '../shared/usecases/createCollector.js';
import { createCompletion } from '../shared/usecases/createCompletion.js';
import { finishSealing, sealBatch } from '../shared/usecases/sealBatch.js';
import { emptyTally, mergeTallies, type Tally } from './awsCounters.js';
import { createBenchRuntime } from './deps.js';
import { createMeter } from './measure.js';
import type { PhaseInput, PhaseResult } from './phaseTypes.js';
import { startRssSampler } from './rss.js';
import { intakeMessages, memberId, resultsFile } from './workload.js';

/**
 * The state store with a probe on `stopFilling`, the first step of sealing a batch, so the
 * phase knows when an invocation turns from filling to sealing. Every other method is the
 * store's own, bound to it (the adapter keeps private fields).
 */
const probeSealing = (store: StateStore, onStopFilling: () => void): StateStore =>
  new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'stopFilling') {
        return (...args: unknown[]) => {
          onStopFilling();
          return method.apply(target, args);
        };
      }
      return method.bind(target);
    },
  });

const cpuMsSince = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/**
 * The collector, called directly with invocation-sized groups of messages, one invocation at
 * a time (one warm Lambda). Message generation is outside the timed part. Requests go as parts
 * into the group's filling batch. A batch that fills up (the provider's 100,000) is stopped by
 * the invocation that filled it, which hands the rest to the completion function (`sealing`
 * plus a completion message); the phase then does that rest itself, `finishSealing` (seal the
 * parts, stream them into the input file, submit), as the completion function would. A batch
 * still filling after the last invocation is sealed and submitted with
 * `sealBatch(deps, id, 'full')`. Sealing is timed apart, from the `stopFilling` call to the
 * submission's return, and counted in the phase's totals. The batch records are then read
 * back (outside the timing and the tally) to check that one batch of every request went out.
 */
const collectorPhase = async (input: PhaseInput): Promise<PhaseResult> => {
  const tally = emptyTally();
  const sealTally = emptyTally();
  /** Calls made to check the outcome: neither timed nor reported. */
  const checkTally = emptyTally();
  let current = tally;
  const runtime = await createBenchRuntime(process.env, () => current);
  let sealMark: { at: number; cpu: NodeJS.CpuUsage } | null = null;
  let stopFillingCalls = 0;
  const collect = createCollector({
    ...runtime.deps,
    store: probeSealing(runtime.deps.store, () => {
      stopFillingCalls += 1;
      if (sealMark === null) sealMark = { at: performance.now(), cpu: process.cpuUsage() };
      current = sealTally;
    }),
  });
  const workload = { runId: input.runId, resultsBucket: input.resultsBucket };
  const meter = createMeter();
  let processed = 0;
  let bytes = 0;
  let spentMs = 0;
  let sealMs = 0;
  let sealCpuMs = 0;
  const batchIds = new Set<string>();
  const notes: string[] = [];
  for (let from = 0; from < input.size; from += input.invocationSize) {
    if (spentMs >= input.collectorBudgetMs) {
      notes.push(
        `time budget of ${Math.round(input.collectorBudgetMs / 1000)} s reached after ${processed} of ${input.size} requests`,
      );
      break;
    }
    const messages = intakeMessages(
      workload,
      from,
      Math.min(input.size, from + input.invocationSize),
    );
    sealMark = null;
    current = tally;
    const started = performance.now();
    const report = await meter.time(() => collect(messages));
    const ended = performance.now();
    const mark = sealMark as { at: number; cpu: NodeJS.CpuUsage } | null;
    if (mark !== null) {
      // This invocation filled a batch and sealed it itself: from `stopFilling` to return.
      sealMs += ended - mark.at;
      sealCpuMs += cpuMsSince(mark.cpu);
    }
    current = tally;
    runtime.flushMetrics();
    spentMs += ended - started;
    if (report.failedMessageIds.length > 0 || report.accepted !== messages.length) {
      throw new Error(
        `collector invocation at ${from}: ${report.accepted} accepted, ${report.failedMessageIds.length} failed, ${report.rejected} rejected`,
      );
    }
    for (const m of messages) bytes += Buffer.byteLength(m.body);
    processed += messages.length;
    for (const id of report.batches) batchIds.add(id);
  }
  const sealedByCollector = stopFillingCalls;

  // After the last invocation: seal and submit what is still filling, and finish what the
  // collector handed off (assemble and submit, the completion function's part).
  current = checkTally;
  const ids = [...batchIds];
  const before = await Promise.all(ids.map((id) => runtime.deps.store.getBatch(id)));
  const filling = before.flatMap((b) => (b?.state === 'filling' ? [b.batchId] : []));
  const handedOff = before.flatMap((b) => (b?.state === 'sealing' ? [b] : []));
  let sealPeakRssMb: number | null = null;
  const timedSeal = async (work: () => Promise<unknown>): Promise<void> => {
    current = sealTally;
    const rss = startRssSampler(50);
    const at = performance.now();
    const cpu = process.cpuUsage();
    await meter.time(work);
    sealMs += performance.now() - at;
    sealCpuMs += cpuMsSince(cpu);
    sealPeakRssMb = Math.max(sealPeakRssMb ?? 0, rss.stop().peakMb);
    current = checkTally;
  };
  for (const batch of handedOff) {
    await timedSeal(() => finishSealing(runtime.deps, batch));
  }
  for (const id of filling) {
    await timedSeal(async () => {
      const sealed = await sealBatch(runtime.deps, id, 'full');
      if (sealed === null) notes.push(`batch ${id} was no longer filling when sealed`);
    });
  }
  runtime.flushMetrics();
  const measured = meter.finish();

  const after = await Promise.all(ids.map((id) => runtime.deps.store.getBatch(id)));
  const submitted = after.flatMap((b) =>
    b === null
      ? []
      : [
          {
            batchId: b.batchId,
            state: b.state,
            requestCount: b.requestCount,
            inputBytes: b.inputBytes,
            parts: b.partCount ?? 0,
          },
        ],
  );
  const expectOne = processed <= 100_000;
  const total = submitted.reduce((sum, b) => sum + b.requestCount, 0);
  const problems: string[] = [];
  if (expectOne && submitted.length !== 1)
    problems.push(`${submitted.length} batches, expected one`);
  if (total !== processed) problems.push(`${total} requests in batches, expected ${processed}`);
  for (const b of submitted) {
    if (b.state !== 'submitted') problems.push(`batch ${b.batchId} is ${b.state}`);
  }
  const checkFailure = problems.length === 0 ? null : problems.join('; ');
  for (const b of submitted) {
    notes.push(
      `provider batch: ${b.batchId} ${b.state}, ${b.requestCount.toLocaleString('en-US')} requests, ${(b.inputBytes / 1e6).toFixed(1)} MB input file assembled from ${b.parts} parts; ${filling.includes(b.batchId) ? 'sealed with sealBatch after the last invocation' : handedOff.some((h) => h.batchId === b.batchId) ? "stopped by the invocation that filled it and handed off; assembled and submitted with finishSealing (the completion function's part)" : 'sealed by the collector'}`,
    );
  }
  if (checkFailure !== null) notes.push(`CHECK FAILED: ${checkFailure}`);
  runtime.aws.destroy();
  return {
    phase: 'collector',
    size: input.size,
    processed,
    bytes,
    ...measured,
    tally: mergeTallies(tally, sealTally),
    batchId: null,
    batches: submitted.length,
    notes,
    seal: {
      ms: sealMs,
      cpuMs: sealCpuMs,
      tally: sealTally,
      sealedByCollector,
      sealedAfterLastInvocation: filling.length + handedOff.length,
      peakRssMb: sealPeakRssMb,
    },
    submitted,
    checkFailure,
  };
};

/**
 * Puts an ended batch of `size` members in place for the completion, as sealing leaves one:
 * the record through the store, its parts (a sidecar object of members and a sealed part
 * record each, encoded with the store's own codec), and the provider results file at the key
 * the completion archives it to, so `archive()` finds it and makes no provider call.
 */
const SEED_PART_SIZE = 1_000;

const seedPhase = async (input: PhaseInput): Promise<PhaseResult> => {
  const tally = emptyTally();
  const runtime = await createBenchRuntime(process.env, () => tally);
  const { deps, aws } = runtime;
  const meter = createMeter();
  const batchId = deps.ids.next('bl');
  const resultsKey = `batches/${batchId}/results-0.jsonl`;
  const now = new Date();
  const iso = now.toISOString();
  const record: BatchRecord = {
    batchId,
    provider: 'anthropic',
    endpoint: '/v1/messages',
    models: ['claude-sonnet-4-6'],
    state: 'ended',
    version: 0,
    inputKey: `batches/${batchId}/input.jsonl`,
    inputBytes: 0,
    requestCount: input.size,
    providerBatchId: `msgbatch_bench_${input.runId}`,
    providerStatus: 'ended',
    providerExpiresAt: new Date(now.getTime() + 86_400_000).toISOString(),
    createdAt: iso,
    submittedAt: iso,
    endedAt: iso,
    completedAt: null,
    nextPollAt: iso,
    pollCount: 3,
    counts: null,
    resultKeys: [resultsKey],
    lastError: null,
    completionLeaseUntil: null,
    checkpoint: null,
  };
  const destination = {
    type: 's3' as const,
    bucket: input.resultsBucket,
    prefix: `bench/${input.runId}/`,
  };
  await meter.time(async () => {
    await deps.store.createBatch({
      ...record,
      partCount: Math.ceil(input.size / SEED_PART_SIZE),
    });
    const item = (index: number): BatchItem => ({
      batchId,
      providerCustomId: memberId(index),
      producer: '',
      customId: `${input.runId}-${index}`,
      model: 'claude-sonnet-4-6',
      destination,
      metadata: { run: input.runId, index, suite: 'nightly-eval' },
      attempts: 1,
      acceptedAt: iso,
      deadline: null,
      status: null,
      deliveredAt: null,
      escalatedAt: null,
      lane: { requested: 'batch', reason: 'tier batch' },
      cost: null,
    });
    // As the collector leaves a batch: parts of 1,000 members, each with its sidecar object
    // and its part record (sealed, every member claimed).
    const parts: number[] = [];
    for (let from = 0; from < input.size; from += SEED_PART_SIZE) parts.push(from);
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < parts.length) {
        const partNo = next + 1;
        const from = parts[next] ?? 0;
        next += 1;
        const count = Math.min(SEED_PART_SIZE, input.size - from);
        const lines: string[] = [];
        for (let i = from; i < from + count; i += 1) {
          lines.push(
            encodePartMember({ item: item(i), requestHash: `h${i}`, expiresAt: 1_900_000_000 }),
          );
        }
        await deps.blobs.put(partMembersKeyOf(batchId, partNo), lines.join(''), {
          contentType: 'application/x-ndjson',
        });
        const part: BatchPart = {
          batchId,
          partNo,
          state: 'sealed',
          firstIndex: from,
          requestCount: count,
          models: ['claude-sonnet-4-6'],
          escalateAt: null,
          claimed: count,
          voids: [],
        };
        await aws.documentClient.send(
          new PutCommand({ TableName: runtime.config.tableName, Item: partToItem(part) }),
        );
      }
    };
    await Promise.all(Array.from({ length: 4 }, writer));
    await new Upload({
      client: aws.s3,
      params: {
        Bucket: input.artifactsBucket,
        Key: resultsKey,
        Body: Readable.from(resultsFile(input.size)),
        ContentType: 'application/x-ndjson',
      },
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
    }).done();
  });
  const measured = meter.finish();
  aws.destroy();
  return {
    phase: 'seed',
    size: input.size,
    processed: input.size,
    bytes: 0,
    ...measured,
    tally: null,
    batchId,
    batches: 1,
    notes: [],
  };
};

/** `createCompletion(deps)(batchId)` on the seeded batch, timed from call to return. */
const completionPhase = async (input: PhaseInput): Promise<PhaseResult> => {
  if (input.batchId === null) throw new Error('completion needs the seeded batch id');
  const batchId = input.batchId;
  const tally: Tally = emptyTally();
  const runtime = await createBenchRuntime(process.env, () => tally);
  const complete = createCompletion(runtime.deps);
  const meter = createMeter();
  const report = await meter.time(() => complete(batchId));
  runtime.flushMetrics();
  const measured = meter.finish();
  if (report.outcome !== 'completed' || report.delivered !== input.size) {
    throw new Error(
      `completion: ${report.outcome}, ${report.delivered} of ${input.size} delivered`,
    );
  }
  const archived = await runtime.deps.store.getBatch(batchId);
  runtime.aws.destroy();
  return {
    phase: 'completion',
    size: input.size,
    processed: report.delivered,
    bytes: 0,
    ...measured,
    tally,
    batchId,
    batches: 1,
    notes: [
      `counts ${JSON.stringify(report.counts)}`,
      `batch state after: ${archived?.state ?? 'missing'}`,
    ],
  };
};

export { collectorPhase, completionPhase, seedPhase };
