import { describe, expect, it } from 'vitest';
import { PROVIDER_LIMITS } from '../../../shared/contract/providers.js';
import { batchGroupKey, effectiveLimits } from '../../../shared/domain/batchLimits.js';
import {
  batchIdOfJobName,
  clientRequestTokenOf,
  jobNameOf,
  jobTimeoutHours,
  unansweredStatusOf,
} from '../../../shared/domain/bedrockJobs.js';
import type { DestinationPolicy } from '../../../shared/domain/destinationPolicy.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { parseResultLine } from '../../../shared/domain/parseResultLine.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import { priceRequest } from '../../../shared/domain/pricing/priceRequest.js';
import { tokenUsageFromResponse } from '../../../shared/domain/pricing/TokenUsage.js';
import { validateRequest } from '../../../shared/domain/validateRequest.js';
import { withProviderCustomId } from '../../../shared/domain/withProviderCustomId.js';

const NOW = new Date('2026-12-06T12:00:00.000Z');
const context = {
  defaultDestination: {
    type: 'sqs' as const,
    queue_url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
  },
  enabledProviders: ['anthropic', 'openai', 'bedrock'] as const,
  now: NOW,
  maxRequestBytes: 256_000_000,
  allowPrivateWebhooks: false,
  destinationPolicy: { kind: 'all' } as DestinationPolicy,
  region: 'eu-west-1',
};
const novaBody = { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] };

describe('Contract: provider bedrock', () => {
  it('accepts a request naming its model beside a native body, grouped by that model', () => {
    const outcome = validateRequest(
      JSON.stringify({
        custom_id: 'b-1',
        provider: 'bedrock',
        model: 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0',
        body: novaBody,
      }),
      context,
    );

    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.accepted.endpoint).toBe('/model/invoke');
    expect(outcome.accepted.model).toBe(
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0',
    );
    expect(batchGroupKey({ provider: 'bedrock', endpoint: '/model/invoke', model: 'm1' })).not.toBe(
      batchGroupKey({ provider: 'bedrock', endpoint: '/model/invoke', model: 'm2' }),
    );
  });

  it.each([
    [{ body: novaBody }, 'invalid_model', /model is required for bedrock/],
    [{ model: 'not a model id!', body: novaBody }, 'invalid_model', /not a Bedrock model id/],
    [
      { model: 'amazon.nova-lite-v1:0', body: { ...novaBody, model: 'x' } },
      'invalid_body',
      /top-level model/,
    ],
    [{ model: 'amazon.nova-lite-v1:0', body: novaBody, tier: 'flex' }, 'unsupported_tier', /flex/],
  ])('refuses %j with %s', (fields, code, message) => {
    const outcome = validateRequest(
      JSON.stringify({ custom_id: 'b-2', provider: 'bedrock', ...fields }),
      context,
    );

    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.rejection.code).toBe(code);
    expect(outcome.rejection.message).toMatch(message);
  });

  it('keeps model optional elsewhere, refusing one that disagrees with body.model', () => {
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
    const same = validateRequest(
      JSON.stringify({ custom_id: 'o-1', provider: 'openai', model: 'gpt-4o-mini', body }),
      context,
    );
    const other = validateRequest(
      JSON.stringify({ custom_id: 'o-2', provider: 'openai', model: 'gpt-5', body }),
      context,
    );

    expect(same.ok).toBe(true);
    expect(other.ok ? null : other.rejection.code).toBe('invalid_model');
  });

  it('renders a line batchlane can re-id, and holds a cap below the minimum at the minimum', () => {
    const line = formatProviderLine('bedrock', '/model/invoke', 'r000000', novaBody);

    expect(JSON.parse(withProviderCustomId(line, 'r000042'))).toEqual({
      custom_id: 'r000042',
      modelInput: novaBody,
    });
    expect(effectiveLimits('bedrock', { maxRequests: 60, maxBytes: null }).maxRequests).toBe(
      PROVIDER_LIMITS.bedrock.minRequests,
    );
    expect(effectiveLimits('openai', { maxRequests: 60, maxBytes: null }).maxRequests).toBe(60);
  });
});

describe('Domain: Bedrock jobs', () => {
  it('names a job and its token after the batch, and reads the batch back from the name', () => {
    const batchId = 'bl_01jq8z3k4m5n6p7q8r9s0t1v2w';

    expect(jobNameOf(batchId)).toMatch(/^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/);
    expect(clientRequestTokenOf(batchId)).toMatch(/^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$/);
    expect(batchIdOfJobName(jobNameOf(batchId))).toBe(batchId);
    expect(batchIdOfJobName('someone-elses-job')).toBeNull();
  });

  it.each([
    [null, 24],
    [new Date(NOW.getTime() + 3 * 3_600_000).toISOString(), 24],
    [new Date(NOW.getTime() + 72.5 * 3_600_000).toISOString(), 72],
    [new Date(NOW.getTime() + 30 * 24 * 3_600_000).toISOString(), 168],
  ])('times a job answering by %s out after %i h', (answerBy, hours) => {
    expect(jobTimeoutHours(NOW, answerBy)).toBe(hours);
  });

  it('says what an ended job left its missing records', () => {
    expect(unansweredStatusOf('Expired')).toBe('expired');
    expect(unansweredStatusOf('PartiallyCompleted')).toBe('expired');
    expect(unansweredStatusOf('Stopped')).toBe('canceled');
    expect(unansweredStatusOf('Completed')).toBeNull();
  });

  it('parses output lines: a native response with usage, a retryable and a final record error', () => {
    const ok = parseResultLine(
      'bedrock',
      JSON.stringify({
        recordId: 'r000001',
        modelInput: {},
        modelOutput: { output: {}, usage: { inputTokens: 12, outputTokens: 5 } },
      }),
    );
    const throttled = parseResultLine(
      'bedrock',
      JSON.stringify({ recordId: 'r000002', error: { errorCode: 429, errorMessage: 'slow down' } }),
    );
    const bad = parseResultLine(
      'bedrock',
      JSON.stringify({ recordId: 'r000003', error: { errorCode: 400, errorMessage: 'bad input' } }),
    );

    expect(ok).toMatchObject({
      status: 'succeeded',
      usage: { input_tokens: 12, output_tokens: 5 },
    });
    expect(throttled).toMatchObject({ status: 'errored', retryable: true });
    expect(bad).toMatchObject({
      status: 'errored',
      retryable: false,
      error: { type: 'bedrock_error_400', message: 'bad input' },
    });
    expect(() => parseResultLine('bedrock', '{"modelOutput":{}}')).toThrow(/recordId/);
  });

  it('reads usage from every native family, and prices profiles and ARNs as their model at half price', () => {
    const claude = tokenUsageFromResponse('bedrock', '/model/invoke', {
      usage: { input_tokens: 1000, output_tokens: 100, cache_read_input_tokens: 0 },
    });
    const llama = tokenUsageFromResponse('bedrock', '/model/invoke', {
      prompt_token_count: 7,
      generation_token_count: 3,
    });
    const cost = priceRequest(
      {
        provider: 'bedrock',
        model:
          'arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0',
        lane: 'batch',
        usage: claude,
        at: NOW,
      },
      defaultPriceTable,
    );

    expect(llama).toMatchObject({ inputTokens: 7, outputTokens: 3 });
    expect(cost.basis).toBe('usage');
    // 1000 × $1/M + 100 × $5/M = $0.0015 on demand; half in a batch.
    expect(cost.realtime_usd).toBeCloseTo(0.0015, 9);
    expect(cost.usd).toBeCloseTo(0.00075, 9);
    expect(
      priceRequest(
        {
          provider: 'bedrock',
          model: 'us.amazon.nova-lite-v1:0',
          lane: 'batch',
          usage: claude,
          at: NOW,
        },
        defaultPriceTable,
      ).basis,
    ).toBe('usage');
  });
});
