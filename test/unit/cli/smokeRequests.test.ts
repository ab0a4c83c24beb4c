import { describe, expect, it } from 'vitest';
import { buildSmokeRequests, DEFAULT_SMOKE_MODELS } from '../../../cli/smoke/buildSmokeRequests.js';
import { RequestV1Schema } from '../../../shared/contract/request.js';

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Batchlane-smoke-results';

describe('Function: buildSmokeRequests()', () => {
  it('spreads the requests over the providers, each valid under the v1 contract', () => {
    const requests = buildSmokeRequests({
      runId: 'r1',
      count: 5,
      providers: ['anthropic', 'openai'],
      resultsQueueUrl: QUEUE,
    });
    expect(requests.map((r) => r.provider)).toEqual([
      'anthropic',
      'openai',
      'anthropic',
      'openai',
      'anthropic',
    ]);
    for (const request of requests) {
      const parsed = RequestV1Schema.safeParse(request);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(request.destination).toEqual({ type: 'sqs', queue_url: QUEUE });
      expect(request.metadata).toEqual({ batchlane_smoke: 'r1' });
      expect(request.body?.model).toBe(DEFAULT_SMOKE_MODELS[request.provider as 'anthropic']);
      // A few output tokens: a smoke run costs fractions of a cent.
      expect(request.body?.max_tokens).toBeLessThanOrEqual(16);
    }
  });

  it('gives every request of a run its own custom id, distinct from other runs', () => {
    const ids = (runId: string) =>
      buildSmokeRequests({ runId, count: 3, providers: ['openai'], resultsQueueUrl: QUEUE }).map(
        (r) => r.custom_id,
      );
    expect(ids('a')).toEqual(['smoke-a-0000', 'smoke-a-0001', 'smoke-a-0002']);
    expect(new Set([...ids('a'), ...ids('b')]).size).toBe(6);
  });

  it('uses the models it is given', () => {
    const [request] = buildSmokeRequests({
      runId: 'r',
      count: 1,
      providers: ['openai'],
      resultsQueueUrl: QUEUE,
      models: { openai: 'gpt-test' },
    });
    expect(request?.body?.model).toBe('gpt-test');
  });

  it.each([
    [{ count: 0, providers: ['openai'] as const }, /count/],
    [{ count: 1.5, providers: ['openai'] as const }, /count/],
    [{ count: 1, providers: [] as const }, /no provider/],
  ])('refuses %j', (options, message) => {
    expect(() => buildSmokeRequests({ runId: 'r', resultsQueueUrl: QUEUE, ...options })).toThrow(
      message,
    );
  });
});
