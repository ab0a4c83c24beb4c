import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';
import type { ResultV1 } from '../../../shared/contract/result.js';
import { ACME_PROFILE } from '../../support/acmeProfile.js';
import { type Pipeline, startPipeline } from './pipelineHarness.js';

/*
 * A provider the deployment defines as a profile of its own, `acme`, with its models' prices:
 * the local stack enables it and the simulator serves it as an OpenAI-faithful clone at
 * `/profiles/acme/v1`. Its requests are batched through the `openai` SDK at that base URL,
 * delivered once each, and priced from the profile's own prices.
 */
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({
    providerProfiles: [ACME_PROFILE],
    // A budget makes a model without a price a refusal (`unpriced_model`), not a free pass.
    environment: { [ENV.budgetDailyUsd]: '100' },
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

const acme = (id: string, content = `grade ${id}`, model = 'acme-chat-1') => ({
  custom_id: id,
  provider: 'acme',
  body: { model, max_tokens: 64, messages: [{ role: 'user', content }] },
  destination: pipeline.destinations.sqs,
  metadata: { tag: 'acme' },
});

const rejectionsOf = (id: string): string[] =>
  pipeline
    .events('Request Rejected')
    .filter((detail) => detail['custom_id'] === id)
    .map((detail) => (detail['reason'] as { code: string }).code);

const only = (id: string): ResultV1 => {
  const results = pipeline.resultsFor(id);
  expect(results, id).toHaveLength(1);
  return results[0] as ResultV1;
};

describe("Pipeline: a deployment's own provider profile", () => {
  it('batches its requests through the openai SDK at its base URL, delivers each once, priced from its own prices', async () => {
    expect(pipeline.stack.providers['acme']).toMatch(/\/profiles\/acme\/v1$/);
    expect(pipeline.stack.env[ENV.enabledProviders]?.split(',')).toContain('acme');

    await pipeline.send([acme('acme-1'), acme('acme-2'), acme('acme-3')]);
    await pipeline.waitForResults(['acme-1', 'acme-2', 'acme-3'], 120_000);

    const first = only('acme-1');
    expect(first).toMatchObject({
      status: 'succeeded',
      provider: 'acme',
      endpoint: '/v1/chat/completions',
      model: 'acme-chat-1',
      lane: { requested: 'batch', served_by: 'batch' },
      cost: { basis: 'usage', billed_as: 'batch' },
      metadata: { tag: 'acme' },
    });
    expect(first.response).toMatchObject({ object: 'chat.completion' });
    // Priced from the profile: $2 in and $8 out per million tokens, half of it in batch.
    const input = first.usage?.input_tokens ?? 0;
    const output = first.usage?.output_tokens ?? 0;
    expect(input).toBeGreaterThan(0);
    expect(output).toBeGreaterThan(0);
    const standard = (input * 2 + output * 8) / 1e6;
    expect(first.cost.realtime_usd).toBeCloseTo(standard, 9);
    expect(first.cost.usd).toBeCloseTo(standard * 0.5, 9);
    expect(first.cost.price_version).toContain('profiles');

    // The batch is the provider's: its id is one the simulated acme API knows, holding them.
    const client = new OpenAI({
      apiKey: 'sim-key',
      baseURL: pipeline.stack.providers['acme'],
      maxRetries: 0,
    });
    const batch = await client.batches.retrieve(first.provider_batch_id ?? '');
    expect(batch).toMatchObject({ status: 'completed', endpoint: '/v1/chat/completions' });
    const batchIds = new Set(
      ['acme-1', 'acme-2', 'acme-3'].map((id) => only(id).provider_batch_id),
    );
    const totals = await Promise.all(
      [...batchIds].map(async (id) => (await client.batches.retrieve(id ?? '')).request_counts),
    );
    expect(totals.reduce((sum, counts) => sum + (counts?.total ?? 0), 0)).toBe(3);
  });

  it('serves a request whose deadline cannot wait by a standard call at its base URL', async () => {
    const deadline = new Date(Date.now() + 10 * 60_000).toISOString();
    await pipeline.send([{ ...acme('acme-soon'), tier: 'auto', deadline }]);
    await pipeline.waitForResults(['acme-soon'], 60_000);

    const soon = only('acme-soon');
    expect(soon).toMatchObject({
      status: 'succeeded',
      provider: 'acme',
      lane: { requested: 'auto', served_by: 'realtime' },
      cost: { basis: 'usage', billed_as: 'standard' },
      provider_batch_id: null,
    });
    expect(soon.lane.reason).toContain('standard realtime (no flex tier here)');
    const input = soon.usage?.input_tokens ?? 0;
    const output = soon.usage?.output_tokens ?? 0;
    expect(soon.cost.usd).toBeCloseTo((input * 2 + output * 8) / 1e6, 9);
  });

  it('folds an identical resend and refuses a different one, never delivering twice', async () => {
    await pipeline.send([acme('acme-1'), acme('acme-2', 'a different body')]);
    const deadline = Date.now() + 30_000;
    while (rejectionsOf('acme-2').length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await pipeline.waitForResults(['acme-1', 'acme-2']);

    expect(rejectionsOf('acme-2')).toEqual(['conflicting_resend']);
    expect(rejectionsOf('acme-1')).toEqual([]);
    expect(pipeline.resultsFor('acme-1').map((r) => r.status)).toEqual(['succeeded']);
    expect(pipeline.resultsFor('acme-2').map((r) => r.status)).toEqual(['succeeded']);
  });

  it('refuses a model the profile does not price, and an id the deployment does not define', async () => {
    await pipeline.send([
      acme('acme-unpriced', 'x', 'acme-chat-2'),
      { ...acme('acme-stranger'), provider: 'stranger' },
    ]);
    await pipeline.waitForResults(['acme-unpriced', 'acme-stranger']);

    expect(only('acme-unpriced')).toMatchObject({
      status: 'rejected',
      error: { type: 'unpriced_model' },
    });
    expect(only('acme-stranger')).toMatchObject({
      status: 'rejected',
      error: { type: 'unknown_provider' },
    });
  });
});
