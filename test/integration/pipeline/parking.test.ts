import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { createDeliverer } from '../../../shared/composition/createAwsAdapters.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { silentLogger } from '../../../shared/ports/Logger.js';
import { createReplay } from '../../../shared/usecases/createReplay.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline();
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('Pipeline: a destination that fails', () => {
  it('parks its results without holding back the batch or other destinations, and replays them once it works', async () => {
    // Prepare: a queue URL shaped like the emulator's, for a queue that does not exist yet.
    const { aws, stack } = pipeline;
    const missingQueueUrl = stack.resultsQueueUrl.replace(/[^/]+$/, 'created-later');
    const request = (id: string, destination: object) => ({
      custom_id: id,
      provider: 'openai',
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: id }] },
      destination,
    });
    const good = Array.from({ length: 5 }, (_, i) =>
      request(`fine-${i}`, pipeline.destinations.sqs),
    );
    const parked = Array.from({ length: 5 }, (_, i) =>
      request(`later-${i}`, { type: 'sqs', queue_url: missingQueueUrl }),
    );

    // Act
    await pipeline.send([...good, ...parked]);
    await pipeline.waitForResults(good.map((g) => g.custom_id));
    const deadline = Date.now() + 30_000;
    while (pipeline.events('Batch Delivered').length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    // Assess: the batch completed, the failing destination's results are parked.
    const deliveredEvents = pipeline.events('Batch Delivered');
    expect(deliveredEvents).toHaveLength(1);
    expect((deliveredEvents[0]?.['counts'] as { succeeded: number } | undefined)?.succeeded).toBe(
      10,
    );
    const blobs = new S3BlobStore({ client: aws.s3, bucket: stack.artifactsBucket });
    const keys: string[] = [];
    for await (const key of blobs.list('parked/')) keys.push(key);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith('parked/sqs/'))).toBe(true);

    // Act: the destination comes to exist; replay.
    const created = await aws.sqs.send(new CreateQueueCommand({ QueueName: 'created-later' }));
    expect(created.QueueUrl).toBe(missingQueueUrl);
    const deliverer = createDeliverer(aws, blobs, {
      webhookSecrets: null,
      allowPrivateWebhooks: false,
      destinationAllowList: [],
    });
    const replay = createReplay({ blobs, deliverer, logger: silentLogger });
    const first = await replay();
    const second = await replay();

    // Assess: each parked result arrives exactly once; nothing stays parked.
    expect(first).toMatchObject({ replayed: 5, kept: [] });
    expect(second).toMatchObject({ objects: 0, replayed: 0 });
    const received: ResultV1[] = [];
    for (let i = 0; i < 5; i += 1) {
      const page = await aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: missingQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      received.push(...(page.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as ResultV1));
    }
    expect(received.map((r) => r.custom_id).sort()).toEqual(parked.map((p) => p.custom_id).sort());
    expect(received.every((r) => r.status === 'succeeded')).toBe(true);
  });
});
