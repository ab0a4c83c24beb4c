import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../../shared/adapters/aws/DynamoDbStateStore.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { createRuntime, type Runtime } from '../../../shared/composition/createRuntime.js';
import type { BatchRecord } from '../../../shared/domain/records.js';
import { createCompletion } from '../../../shared/usecases/createCompletion.js';
import { anthropicRequest, idsOf } from '../../support/requests.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({
    // The poller never hands ended batches to the completion function: the test does. Sealed
    // batches it still hands over, to be assembled and submitted.
    wrapRuntime: (name, runtime: Runtime) =>
      name === 'poller'
        ? {
            ...runtime,
            deps: {
              ...runtime.deps,
              completion: {
                ...runtime.deps.completion,
                notifyEnded: async (batchId: string) => {
                  const batch = await runtime.deps.store.getBatch(batchId);
                  if (batch?.state !== 'ended') await runtime.deps.completion.notifyEnded(batchId);
                },
              },
            },
          }
        : runtime,
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

const FAR_FUTURE = '9999-12-31T23:59:59.999Z';

describe('Pipeline: a completion run short of time', () => {
  it('pauses at a checkpoint, hands the batch on, and the next run delivers the rest once', async () => {
    const ids = idsOf('pause', 40);
    await pipeline.send(ids.map((id) => anthropicRequest(id, pipeline.destinations.sqs)));
    const store = new DynamoDbStateStore({
      client: pipeline.aws.documentClient,
      tableName: pipeline.stack.tableName,
      blobs: new S3BlobStore({ client: pipeline.aws.s3, bucket: pipeline.stack.artifactsBucket }),
    });
    // Wait until the batches have ended (the poller records it, but tells no one).
    let ended: BatchRecord[] = [];
    for (let tries = 0; tries < 300; tries += 1) {
      const active = await store.listDueBatches(FAR_FUTURE, 100);
      const members = active.reduce((n, b) => n + b.requestCount, 0);
      ended = active.filter((b) => b.state === 'ended');
      if (members === ids.length && ended.length === active.length) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const batch = ended.sort((a, b) => b.requestCount - a.requestCount)[0];
    expect(batch?.requestCount ?? 0).toBeGreaterThan(10);
    if (batch === undefined) return;

    const runtime = await createRuntime(pipeline.stack.env, 'completion');
    const complete = createCompletion(runtime.deps, { chunkSize: 5 });
    // 60 s at the start, then 10 s: the run is under its reserve after its first chunk.
    const times = [60_000];
    const report = await complete(batch.batchId, { timeLeftMs: () => times.shift() ?? 10_000 });
    expect(report.outcome).toBe('paused');
    expect(report.delivered).toBe(5);
    const paused = await store.getBatch(batch.batchId);
    expect(paused?.state).toBe('ended');
    expect(paused?.completionLeaseUntil).toBeNull();
    expect(paused?.checkpoint?.offset ?? 0).toBeGreaterThan(0);

    // The completion message the paused run sent brings the deployed handler in.
    await pipeline.waitForResults(ids, 60_000);
    for (const id of ids) expect(pipeline.resultsFor(id), id).toHaveLength(1);
    for (let tries = 0; tries < 100; tries += 1) {
      if ((await store.getBatch(batch.batchId))?.state === 'completed') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await store.getBatch(batch.batchId))?.state).toBe('completed');
  }, 120_000);
});
