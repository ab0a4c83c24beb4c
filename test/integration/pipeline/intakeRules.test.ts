import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({ collectorBatchSize: 50, collectorBatchingWindowMs: 1500 });
});

afterAll(async () => {
  await pipeline?.stop();
});

const good = (id: string, destination: object, content = 'hello') => ({
  custom_id: id,
  provider: 'anthropic',
  body: { model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content }] },
  destination,
});

const rejectionFor = (id: string | null) =>
  pipeline
    .events('Request Rejected')
    .filter((d) => d['custom_id'] === id)
    .map((d) => (d['reason'] as { code: string }).code);

describe('Pipeline: bad input', () => {
  it('refuses each bad message with its own reason, delivers a rejected result where it can, and serves the rest of the SQS batch', async () => {
    // Prepare: good and bad messages interleaved, so they share collector invocations.
    const dest = pipeline.destinations.sqs;
    const goodOnes = Array.from({ length: 10 }, (_, i) => good(`ok-${i}`, dest));
    const bad: [string | object, string | null, string][] = [
      ['{"custom_id": "trunc-1", ', null, 'malformed_json'],
      [
        {
          provider: 'anthropic',
          body: { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
          destination: dest,
        },
        null,
        'invalid_custom_id',
      ],
      [
        {
          ...good('stream-1', dest),
          body: {
            model: 'm',
            max_tokens: 5,
            stream: true,
            messages: [{ role: 'user', content: 'x' }],
          },
        },
        'stream-1',
        'stream_not_supported',
      ],
      [{ ...good('prov-1', dest), provider: 'acme-ai' }, 'prov-1', 'unknown_provider'],
      [{ ...good('tier-1', dest), tier: 'auto' }, 'tier-1', 'unsupported_tier'],
      [{ ...good('dest-1', dest), destination: { type: 'sqs' } }, 'dest-1', 'invalid_destination'],
      [{ ...good('nodest-1', dest), destination: undefined }, 'nodest-1', 'missing_destination'],
    ];
    const messages = goodOnes.flatMap((g, i) =>
      bad[i] === undefined ? [g] : [g, bad[i]?.[0] as string | object],
    );

    // Act
    await pipeline.send(messages);
    await pipeline.waitForResults([
      ...goodOnes.map((g) => g.custom_id),
      'stream-1',
      'prov-1',
      'tier-1',
    ]);

    // Assess
    for (const g of goodOnes) {
      expect(pipeline.resultsFor(g.custom_id).map((r) => r.status)).toEqual(['succeeded']);
    }
    for (const [, id, code] of bad) {
      expect(rejectionFor(id)).toContain(code);
      if (id !== null && code !== 'invalid_destination' && code !== 'missing_destination') {
        const results = pipeline.resultsFor(id);
        expect(results.map((r) => r.status)).toEqual(['rejected']);
        expect(results[0]?.error?.type).toBe(code);
        expect(results[0]?.error?.message.length ?? 0).toBeGreaterThan(10);
      }
    }
    // A destination that is itself invalid, or missing, cannot be delivered to: event only.
    expect(pipeline.resultsFor('dest-1')).toEqual([]);
    expect(pipeline.resultsFor('nodest-1')).toEqual([]);
    expect(await pipeline.queueDepth(pipeline.stack.intakeDlqUrl)).toBe(0);
  });
});

describe('Pipeline: a refusal whose result cannot be delivered', () => {
  it('still publishes Request Rejected (result_delivered false) and does not loop into the DLQ', async () => {
    const missingQueue = pipeline.stack.resultsQueueUrl.replace(/[^/]+$/, 'no-such-queue');
    await pipeline.send([
      { ...good('undeliverable-1', { type: 'sqs', queue_url: missingQueue }), tier: 'flex' },
    ]);
    const deadline = Date.now() + 20_000;
    while (rejectionFor('undeliverable-1').length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const events = pipeline
      .events('Request Rejected')
      .filter((d) => d['custom_id'] === 'undeliverable-1');
    expect(events.map((d) => (d['reason'] as { code: string }).code)).toEqual(['unsupported_tier']);
    expect(events[0]?.['result_delivered']).toBe(false);
    expect(await pipeline.queueDepth(pipeline.stack.intakeQueueUrl)).toBe(0);
    expect(await pipeline.queueDepth(pipeline.stack.intakeDlqUrl)).toBe(0);
  });
});

describe('Pipeline: custom_id is an idempotency key', () => {
  it('folds identical resends, in one SQS batch and across batches, into one batch entry and one delivery', async () => {
    const dest = pipeline.destinations.s3;
    const request = good('dup-1', dest, 'same body');

    await pipeline.send([request, request, request]);
    await pipeline.waitForResults(['dup-1']);
    await pipeline.send([request]);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await pipeline.waitForResults(['dup-1']);

    expect(pipeline.resultsFor('dup-1')).toHaveLength(1);
    expect(rejectionFor('dup-1')).toEqual([]);
    const submittedWithIt = pipeline
      .events('Batch Submitted')
      .reduce((n, d) => n + (d['request_count'] as number), 0);
    // 10 good from the first test, this one once.
    expect(submittedWithIt).toBe(11);
  });

  it('refuses a resend with a different body with Request Rejected and never delivers twice', async () => {
    const dest = pipeline.destinations.sqs;
    await pipeline.send([good('conflict-1', dest, 'first body')]);
    await pipeline.waitForResults(['conflict-1']);

    await pipeline.send([good('conflict-1', dest, 'a different body')]);
    const deadline = Date.now() + 20_000;
    while (rejectionFor('conflict-1').length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await pipeline.waitForResults(['conflict-1']);

    expect(rejectionFor('conflict-1')).toEqual(['conflicting_resend']);
    const results = pipeline.resultsFor('conflict-1');
    expect(results.map((r) => r.status)).toEqual(['succeeded']);
  });

  it('refuses a different body sent in the same SQS batch as the first', async () => {
    const dest = pipeline.destinations.sqs;
    await pipeline.send([good('race-1', dest, 'one'), good('race-1', dest, 'two')]);
    await pipeline.waitForResults(['race-1']);
    expect(pipeline.resultsFor('race-1')).toHaveLength(1);
    expect(rejectionFor('race-1')).toEqual(['conflicting_resend']);
  });
});
