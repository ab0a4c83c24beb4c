import { describe, expect, it } from 'vitest';
import type { Destination } from '../../../shared/contract/destination.js';
import { INTAKE_BOUNDS, REJECTION_CODES } from '../../../shared/contract/rejections.js';
import {
  unprocessable,
  type ValidationOutcome,
  validateRequest,
} from '../../../shared/domain/validateRequest.js';

const queue: Destination = {
  type: 'sqs',
  queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/results',
};
const ctx = {
  defaultDestination: null,
  enabledProviders: ['anthropic', 'openai'] as const,
  now: new Date('2026-11-26T12:00:00Z'),
  maxRequestBytes: 256_000_000,
  allowPrivateWebhooks: false,
};

const anthropicBody = (overrides: Record<string, unknown> = {}) => ({
  model: 'claude-haiku-4-5',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'hi' }],
  ...overrides,
});
const anthropic = (overrides: Record<string, unknown> = {}) => ({
  custom_id: 'req-1',
  provider: 'anthropic',
  body: anthropicBody(),
  destination: queue,
  ...overrides,
});
const openai = (endpoint: string, body: Record<string, unknown>) => ({
  custom_id: 'req-2',
  provider: 'openai',
  endpoint,
  body,
  destination: queue,
});

/** A message with `fragment` spliced in as the raw JSON of `field`. */
const withRaw = (field: string, fragment: string): string =>
  `${JSON.stringify(anthropic()).slice(0, -1)},${JSON.stringify(field)}:${fragment}}`;
const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;

const rejected = (outcome: ValidationOutcome) => {
  if (outcome.ok) throw new Error('expected a rejection');
  return outcome;
};
const codeOf = (raw: string | object) =>
  rejected(validateRequest(typeof raw === 'string' ? raw : JSON.stringify(raw), ctx)).rejection
    .code;

describe('Function: validateRequest() bounds', () => {
  it.each([
    ['metadata_too_deep', 'metadata 17 levels deep', withRaw('metadata', objects(17))],
    ['metadata_too_deep', 'metadata 100,000 levels deep', withRaw('metadata', arrays(100_000))],
    [
      'metadata_too_large',
      'metadata over 16 KiB',
      JSON.stringify(anthropic({ metadata: { note: 'x'.repeat(INTAKE_BOUNDS.metadataMaxBytes) } })),
    ],
    [
      'body_too_deep',
      'a body 65 levels deep',
      withRaw('body', `{"model":"claude-haiku-4-5","x":${arrays(64)}}`),
    ],
    ['unknown_field', 'an unknown field 100,000 levels deep', withRaw('extra', arrays(100_000))],
    [
      'invalid_destination',
      'a destination 100,000 levels deep',
      withRaw('destination', objects(100_000)),
    ],
    [
      'invalid_model',
      'a model of 2,000 characters',
      JSON.stringify(anthropic({ body: anthropicBody({ model: `claude-${'x'.repeat(2000)}` }) })),
    ],
    [
      'invalid_model',
      'a model with a control character',
      JSON.stringify(anthropic({ body: anthropicBody({ model: 'claude-haiku-4-5\u0000' }) })),
    ],
    [
      'invalid_model',
      'a model starting with a dash',
      JSON.stringify(anthropic({ body: anthropicBody({ model: '-claude' }) })),
    ],
    [
      'unknown_model',
      'a non-Claude model for Anthropic',
      JSON.stringify(anthropic({ body: anthropicBody({ model: 'gpt-4o' }) })),
    ],
    [
      'unknown_model',
      'a model outside every OpenAI family',
      openai('/v1/chat/completions', {
        model: 'llama-3',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ],
    [
      'max_tokens_too_large',
      'max_tokens above Claude Haiku 4.5 (64,000)',
      JSON.stringify(anthropic({ body: anthropicBody({ max_tokens: 64_001 }) })),
    ],
    [
      'max_tokens_too_large',
      'max_tokens above a dated snapshot of Claude Opus 4.1 (32,000)',
      JSON.stringify(
        anthropic({
          body: anthropicBody({ model: 'claude-opus-4-1-20250805', max_tokens: 32_001 }),
        }),
      ),
    ],
    [
      'max_tokens_too_large',
      'max_completion_tokens above gpt-4o-mini (16,384)',
      openai('/v1/chat/completions', {
        model: 'gpt-4o-mini-2024-07-18',
        max_completion_tokens: 16_385,
        messages: [{ role: 'user', content: 'x' }],
      }),
    ],
    [
      'max_tokens_too_large',
      'the older max_tokens above gpt-4.1 (32,768)',
      openai('/v1/chat/completions', {
        model: 'gpt-4.1',
        max_tokens: 40_000,
        messages: [{ role: 'user', content: 'x' }],
      }),
    ],
    [
      'max_tokens_too_large',
      'max_output_tokens above gpt-5-mini (128,000)',
      openai('/v1/responses', { model: 'gpt-5-mini', input: 'x', max_output_tokens: 128_001 }),
    ],
  ] as const)('refuses %s: %s', (code, _name, message) => {
    expect(REJECTION_CODES).toContain(code);
    expect(codeOf(message)).toBe(code);
  });

  it.each([
    ['metadata exactly 16 levels deep', withRaw('metadata', objects(16))],
    [
      'a body 64 levels deep',
      withRaw(
        'body',
        `{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"x"}],"x":${arrays(63)}}`,
      ),
    ],
    [
      'max_tokens at the model maximum',
      JSON.stringify(anthropic({ body: anthropicBody({ max_tokens: 64_000 }) })),
    ],
    [
      'a model in the family the table does not know (the provider decides)',
      JSON.stringify(
        anthropic({ body: anthropicBody({ model: 'claude-future-9', max_tokens: 500_000 }) }),
      ),
    ],
    [
      'a fine-tuned OpenAI model',
      JSON.stringify(
        openai('/v1/chat/completions', {
          model: 'ft:gpt-4o-mini-2024-07-18:acme::abc123',
          messages: [{ role: 'user', content: 'x' }],
        }),
      ),
    ],
    [
      'metadata with numbers of any magnitude, empty keys and a constructor key',
      JSON.stringify(
        anthropic({ metadata: JSON.parse('[0, 1e300, 5e-324, {"": 1, "constructor": 2}]') }),
      ),
    ],
  ])('accepts %s', (_name, raw) => {
    const outcome = validateRequest(raw, ctx);
    expect(outcome.ok ? 'accepted' : outcome.rejection.message).toBe('accepted');
  });

  it('still reads the id, destination and metadata of a message it refuses for depth', () => {
    const outcome = rejected(
      validateRequest(
        `${JSON.stringify(anthropic({ metadata: { run: 7 } })).slice(0, -1)},"extra":${arrays(10_000)}}`,
        ctx,
      ),
    );
    expect(outcome.customId).toBe('req-1');
    expect(outcome.destination).toEqual(queue);
    expect(outcome.metadata).toEqual({ run: 7 });
  });

  it('does not echo metadata that is itself out of bounds', () => {
    const outcome = rejected(validateRequest(withRaw('metadata', arrays(5_000)), ctx));
    expect(outcome.customId).toBe('req-1');
    expect(outcome.metadata).toBeNull();
  });

  it('folds identical deep messages by fingerprint, and tells different ones apart', () => {
    const a = rejected(validateRequest(withRaw('metadata', arrays(50_000)), ctx));
    const b = rejected(validateRequest(withRaw('metadata', arrays(50_000)), ctx));
    const c = rejected(validateRequest(withRaw('metadata', arrays(50_001)), ctx));
    expect(a.requestHash).toBe(b.requestHash);
    expect(a.requestHash).not.toBe(c.requestHash);
  });

  it('cuts a rejection of thousands of issues to a size fit for an event and a log line', () => {
    const many = Object.fromEntries(
      Array.from({ length: 5_000 }, (_, i) => [`field_${i}_${'k'.repeat(500)}`, i]),
    );
    const outcome = rejected(validateRequest(JSON.stringify(anthropic(many)), ctx));
    expect(outcome.rejection.code).toBe('unknown_field');
    expect(outcome.rejection.issues.length).toBeLessThanOrEqual(INTAKE_BOUNDS.maxIssues);
    expect(outcome.rejection.message.length).toBeLessThanOrEqual(
      INTAKE_BOUNDS.maxMessageChars + 40,
    );
    for (const issue of outcome.rejection.issues) {
      expect(issue.path.length).toBeLessThanOrEqual(INTAKE_BOUNDS.maxIssueChars);
      expect(issue.message.length).toBeLessThanOrEqual(INTAKE_BOUNDS.maxIssueChars);
    }
  });

  it('never throws, whatever the nesting (up to what an SQS message can hold)', () => {
    for (const fragment of [
      arrays(120_000),
      objects(40_000),
      `[1,${arrays(100)},${arrays(100_000)}]`,
    ]) {
      for (const field of ['metadata', 'body', 'destination', 'tier', 'zzz']) {
        expect(() => validateRequest(withRaw(field, fragment), ctx), field).not.toThrow();
      }
    }
  }, 60_000);
});

describe('Function: unprocessable()', () => {
  it('refuses for good with what it can read: the id and destination, never failing itself', () => {
    const outcome = rejected(unprocessable(JSON.stringify(anthropic()), ctx, 'boom'));
    expect(outcome.rejection.code).toBe('unprocessable_message');
    expect(outcome.rejection.message).toContain('boom');
    expect(outcome.customId).toBe('req-1');
    expect(outcome.destination).toEqual(queue);

    const unreadable = rejected(unprocessable(withRaw('metadata', arrays(100_000)), ctx, 'x'));
    expect(unreadable.customId).toBeNull();
    expect(rejected(unprocessable('{not json', ctx, 'x')).customId).toBeNull();
  });
});
