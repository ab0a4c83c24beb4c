import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({ maxRequestsPerBatch: 25 });
});

afterAll(async () => {
  await pipeline?.stop();
});

const anthropicRequest = (id: string, destination: object) => ({
  custom_id: id,
  provider: 'anthropic',
  body: {
    model: 'claude-haiku-4-5',
    max_tokens: 64,
    system: [
      { type: 'text', text: 'Shared context '.repeat(50), cache_control: { type: 'ephemeral' } },
    ],
    messages: [{ role: 'user', content: `Summarise item ${id}` }],
  },
  destination,
  metadata: { source: 'e2e', id },
});

const openaiRequest = (id: string, destination: object, endpoint = '/v1/chat/completions') => ({
  custom_id: id,
  provider: 'openai',
  endpoint,
  body:
    endpoint === '/v1/embeddings'
      ? { model: 'text-embedding-3-small', input: `embed ${id}` }
      : {
          model: id.endsWith('1') ? 'gpt-4o-mini' : 'gpt-4.1-mini',
          messages: [{ role: 'user', content: `Classify ${id}` }],
        },
  destination,
  metadata: { source: 'e2e', id },
});

describe('Pipeline: SQS → collector → provider batch → poller → completion → destinations', () => {
  it('delivers every request exactly once, to the destination it named, with the provider response', async () => {
    // Prepare
    const { destinations } = pipeline;
    const kinds = [
      destinations.sqs,
      destinations.s3,
      destinations.eventbridge,
      destinations.webhook,
    ];
    const requests = [
      ...Array.from({ length: 40 }, (_, i) => anthropicRequest(`a-${i}`, kinds[i % 4] as object)),
      ...Array.from({ length: 30 }, (_, i) => openaiRequest(`o-${i}`, kinds[i % 4] as object)),
      ...Array.from({ length: 10 }, (_, i) =>
        openaiRequest(`e-${i}`, kinds[i % 4] as object, '/v1/embeddings'),
      ),
    ];
    const ids = requests.map((r) => r.custom_id);

    // Act
    await pipeline.send(requests);
    await pipeline.waitForResults(ids);

    // Assess
    const byType = new Map<string, number>();
    for (const [index, request] of requests.entries()) {
      const results = pipeline.resultsFor(request.custom_id);
      expect(results, request.custom_id).toHaveLength(1);
      const result = results[0] as ResultV1;
      expect(result.status).toBe('succeeded');
      expect(result.provider).toBe(request.provider);
      expect(result.metadata).toEqual({ source: 'e2e', id: request.custom_id });
      expect(result.batch_id).toMatch(/^bl_/);
      expect(result.provider_batch_id).toBeTruthy();
      expect(result.attempts).toBe(1);
      expect(result.usage?.output_tokens ?? -1).toBeGreaterThanOrEqual(0);
      expect(result.error).toBeNull();
      const type = (kinds[index % 4] as { type: string }).type;
      byType.set(type, (byType.get(type) ?? 0) + 1);
    }
    expect(Object.fromEntries(byType)).toEqual({ sqs: 20, s3: 20, eventbridge: 20, webhook: 20 });
    expect(pipeline.webhook.received.every((w) => w.signatureValid)).toBe(true);

    const anthropic = pipeline.resultsFor('a-0')[0]?.response as {
      type: string;
      content: { type: string }[];
    };
    expect(anthropic.type).toBe('message');
    expect(anthropic.content[0]?.type).toBe('text');
    const chat = pipeline.resultsFor('o-1')[0]?.response as { object: string; model: string };
    expect(chat.object).toBe('chat.completion');
    const embedding = pipeline.resultsFor('e-0')[0]?.response as {
      object: string;
      data: { embedding: number[] }[];
    };
    expect(embedding.object).toBe('list');
    expect(embedding.data[0]?.embedding.length ?? 0).toBeGreaterThan(0);
  });

  it('packs within limits: one model per OpenAI batch, at most the configured requests per batch', () => {
    const submitted = pipeline.events('Batch Submitted');
    expect(submitted.length).toBeGreaterThanOrEqual(5);
    for (const detail of submitted) {
      expect(detail['request_count'] as number).toBeLessThanOrEqual(25);
      if (detail['provider'] === 'openai') expect(detail['models']).toHaveLength(1);
    }
    const submittedTotal = submitted.reduce((n, d) => n + (d['request_count'] as number), 0);
    expect(submittedTotal).toBe(80);
  });

  it('publishes Batch Ended with per-status counts that add up to every request', () => {
    const ended = pipeline.events('Batch Ended');
    const submittedIds = pipeline.events('Batch Submitted').map((d) => d['batch_id']);
    expect(ended.map((d) => d['batch_id']).sort()).toEqual([...submittedIds].sort());
    const succeeded = ended.reduce(
      (n, d) => n + (d['counts'] as { succeeded: number }).succeeded,
      0,
    );
    expect(succeeded).toBe(80);
  });

  it('leaves nothing behind in the intake and completion queues or their DLQs', async () => {
    const { stack } = pipeline;
    expect(await pipeline.queueDepth(stack.intakeQueueUrl)).toBe(0);
    expect(await pipeline.queueDepth(stack.intakeDlqUrl)).toBe(0);
    expect(await pipeline.queueDepth(stack.completionDlqUrl)).toBe(0);
  });
});
