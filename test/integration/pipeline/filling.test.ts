import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

// Small collector invocations (20 messages), a batch cap of 150 and 6 s of filling: batches
// must be made of many invocations' parts, sealed when full or when their time is up.
beforeAll(async () => {
  pipeline = await startPipeline({
    maxRequestsPerBatch: 150,
    batchMaxAgeSeconds: 6,
    collectorBatchSize: 20,
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

const request = (id: string, provider: 'anthropic' | 'openai', model: string) => ({
  custom_id: id,
  provider,
  body: {
    model,
    max_tokens: 32,
    messages: [{ role: 'user', content: `Label item ${id}: ${'context '.repeat(40)}` }],
  },
  destination: pipeline.destinations.s3,
});

describe('Filling: batches grow across collector invocations', () => {
  it('packs many invocations into full batches, seals the rest by age, and delivers each once', async () => {
    // Prepare
    const anthropicIds = Array.from({ length: 400 }, (_, i) => `fill-a-${i}`);
    const openaiIds = Array.from({ length: 30 }, (_, i) => `fill-o-${i}`);
    const messages = [
      ...anthropicIds.map((id, i) =>
        request(id, 'anthropic', i % 2 === 0 ? 'claude-haiku-4-5' : 'claude-sonnet-4-6'),
      ),
      ...openaiIds.map((id, i) =>
        request(id, 'openai', i % 3 === 0 ? 'gpt-4o-mini' : 'gpt-4.1-mini'),
      ),
    ];

    // Act
    await pipeline.send(messages);
    await pipeline.waitForResults([...anthropicIds, ...openaiIds], 120_000);

    // Assert: every request delivered exactly once, succeeded.
    for (const id of [...anthropicIds, ...openaiIds]) {
      const results = pipeline.resultsFor(id);
      expect(results, id).toHaveLength(1);
      expect(results[0]?.status, id).toBe('succeeded');
    }
    const submitted = pipeline.events('Batch Submitted');
    const sizes = (provider: string) =>
      submitted
        .filter((e) => e['provider'] === provider)
        .map((e) => Number(e['request_count']))
        .sort((a, b) => b - a);
    // 400 Anthropic requests from 20-message invocations: two full batches of 150, and the
    // last 100 sealed by age. Anthropic batches mix models; OpenAI's hold one model each.
    expect(sizes('anthropic')).toEqual([150, 150, 100]);
    expect(sizes('openai')).toEqual([20, 10]);
    const anthropicBatches = submitted.filter((e) => e['provider'] === 'anthropic');
    expect(anthropicBatches.every((e) => (e['models'] as string[]).length === 2)).toBe(true);

    // Each input file holds its members under consecutive ids.
    const { s3 } = pipeline.aws;
    const bucket = pipeline.stack.artifactsBucket;
    for (const event of anthropicBatches) {
      const batchId = String(event['batch_id']);
      const input = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: `batches/${batchId}/input.jsonl` }),
      );
      const lines = (await input.Body?.transformToString())?.trim().split('\n') ?? [];
      const ids = lines.map((l) => (JSON.parse(l) as { custom_id: string }).custom_id).sort();
      expect(ids).toEqual(
        Array.from({ length: lines.length }, (_, i) => `r${String(i).padStart(6, '0')}`),
      );
      // The parts' lines are in the input file now; their sidecars of members stay, one per
      // part: they are what completion routes the batch's results by.
      const parts = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: `batches/${batchId}/parts/` }),
      );
      const keys = (parts.Contents ?? []).map((o) => o.Key ?? '');
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((key) => key.endsWith('.members.jsonl'))).toBe(true);
      expect(Number(event['request_count'])).toBeLessThanOrEqual(keys.length * 20);
    }
    expect(await pipeline.queueDepth(pipeline.stack.intakeQueueUrl)).toBe(0);
    expect(await pipeline.queueDepth(pipeline.stack.intakeDlqUrl)).toBe(0);
  });
});
