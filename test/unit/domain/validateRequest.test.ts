import { describe, expect, it } from 'vitest';
import type { Destination } from '../../../shared/contract/destination.js';
import {
  type DestinationPolicy,
  parseDestinationPolicy,
} from '../../../shared/domain/destinationPolicy.js';
import {
  type ClaimCheckResolution,
  claimCheckUriOf,
  maxRequestBytesOf,
  REJECTION_CODES,
  type RejectionCode,
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
  destinationPolicy: { kind: 'all' } as DestinationPolicy,
  region: 'us-east-1',
};

const anthropic = (overrides: Record<string, unknown> = {}) => ({
  custom_id: 'req-1',
  provider: 'anthropic',
  body: { model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] },
  destination: queue,
  ...overrides,
});

const rejectionOf = (
  raw: string,
  context = ctx,
  claimCheck?: ClaimCheckResolution,
): RejectionCode => {
  const outcome = validateRequest(raw, context, claimCheck);
  if (outcome.ok) throw new Error('expected a rejection');
  return outcome.rejection.code;
};

describe('Function: validateRequest()', () => {
  it('accepts a well-formed request and resolves its endpoint, model and destination', () => {
    // Act
    const outcome = validateRequest(JSON.stringify(anthropic()), ctx);

    // Assess
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.accepted.endpoint).toBe('/v1/messages');
    expect(outcome.accepted.model).toBe('claude-haiku-4-5');
    expect(outcome.accepted.destination).toEqual(queue);
    expect(outcome.accepted.request.tier).toBe('batch');
    expect(outcome.accepted.requestHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same fingerprint whatever the key order or an explicit default tier', () => {
    const a = validateRequest(JSON.stringify(anthropic()), ctx);
    const reordered = {
      destination: queue,
      body: {
        messages: [{ content: 'hi', role: 'user' }],
        max_tokens: 64,
        model: 'claude-haiku-4-5',
      },
      provider: 'anthropic',
      custom_id: 'req-1',
      tier: 'batch',
    };
    const b = validateRequest(JSON.stringify(reordered), ctx);
    expect(a.ok && b.ok && a.accepted.requestHash === b.accepted.requestHash).toBe(true);
  });

  it('gives a different fingerprint when the body differs', () => {
    const a = validateRequest(JSON.stringify(anthropic()), ctx);
    const b = validateRequest(
      JSON.stringify(
        anthropic({
          body: {
            model: 'claude-haiku-4-5',
            max_tokens: 65,
            messages: [{ role: 'user', content: 'hi' }],
          },
        }),
      ),
      ctx,
    );
    expect(a.ok && b.ok && a.accepted.requestHash !== b.accepted.requestHash).toBe(true);
  });

  it('uses the default destination when the request names none', () => {
    const outcome = validateRequest(JSON.stringify(anthropic({ destination: undefined })), {
      ...ctx,
      defaultDestination: queue,
    });
    expect(outcome.ok && outcome.accepted.destination).toEqual(queue);
  });

  it.each<[string, string, RejectionCode]>([
    ['malformed JSON', '{"custom_id": "x", ', 'malformed_json'],
    ['an array', '[1,2]', 'not_an_object'],
    ['a JSON string', '"hello"', 'not_an_object'],
    [
      'a missing custom_id',
      JSON.stringify(anthropic({ custom_id: undefined })),
      'invalid_custom_id',
    ],
    [
      'a custom_id with a space',
      JSON.stringify(anthropic({ custom_id: 'a b' })),
      'invalid_custom_id',
    ],
    [
      'a custom_id of 65 characters',
      JSON.stringify(anthropic({ custom_id: 'x'.repeat(65) })),
      'invalid_custom_id',
    ],
    ['a numeric custom_id', JSON.stringify(anthropic({ custom_id: 42 })), 'invalid_custom_id'],
    ['an unknown provider', JSON.stringify(anthropic({ provider: 'acme-ai' })), 'unknown_provider'],
    [
      'an endpoint of another provider',
      JSON.stringify(anthropic({ endpoint: '/v1/embeddings' })),
      'unsupported_endpoint',
    ],
    [
      'an unknown endpoint',
      JSON.stringify(anthropic({ endpoint: '/v1/images' })),
      'unsupported_endpoint',
    ],
    [
      'stream: true',
      JSON.stringify(
        anthropic({
          body: {
            model: 'm',
            max_tokens: 5,
            stream: true,
            messages: [{ role: 'user', content: 'x' }],
          },
        }),
      ),
      'stream_not_supported',
    ],
    ['a body that is not an object', JSON.stringify(anthropic({ body: 'hello' })), 'invalid_body'],
    [
      'a body without model',
      JSON.stringify(
        anthropic({ body: { max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } }),
      ),
      'invalid_body',
    ],
    [
      'max_tokens 0',
      JSON.stringify(
        anthropic({
          body: { model: 'm', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] },
        }),
      ),
      'invalid_body',
    ],
    [
      'no messages',
      JSON.stringify(anthropic({ body: { model: 'm', max_tokens: 5 } })),
      'invalid_body',
    ],
    [
      'embeddings without input',
      JSON.stringify({
        custom_id: 'e',
        provider: 'openai',
        endpoint: '/v1/embeddings',
        body: { model: 'text-embedding-3-small' },
        destination: queue,
      }),
      'invalid_body',
    ],
    [
      'an sqs destination without queue_url',
      JSON.stringify(anthropic({ destination: { type: 'sqs' } })),
      'invalid_destination',
    ],
    [
      'an unknown destination type',
      JSON.stringify(anthropic({ destination: { type: 'ftp', url: 'ftp://x' } })),
      'invalid_destination',
    ],
    [
      'a webhook destination with a non-http URL',
      JSON.stringify(anthropic({ destination: { type: 'webhook', url: 'file:///etc/passwd' } })),
      'invalid_destination',
    ],
    [
      'an invalid bucket name',
      JSON.stringify(
        anthropic({ destination: { type: 's3', bucket: 'Not_A_Bucket', prefix: '' } }),
      ),
      'invalid_destination',
    ],
    [
      'flex on a provider without flex',
      JSON.stringify(anthropic({ tier: 'flex' })),
      'unsupported_tier',
    ],
    ['auto without a deadline', JSON.stringify(anthropic({ tier: 'auto' })), 'unsupported_tier'],
    [
      'flex on embeddings (no flex tier there)',
      JSON.stringify({
        custom_id: 'emb-1',
        provider: 'openai',
        endpoint: '/v1/embeddings',
        body: { model: 'text-embedding-3-small', input: 'hello' },
        tier: 'flex',
        destination: queue,
      }),
      'unsupported_tier',
    ],
    ['an unknown tier', JSON.stringify(anthropic({ tier: 'urgent' })), 'unsupported_tier'],
    [
      'a deadline that is not a date',
      JSON.stringify(anthropic({ deadline: 'tomorrow' })),
      'invalid_deadline',
    ],
    [
      'a deadline in the past',
      JSON.stringify(anthropic({ deadline: '2026-11-25T00:00:00Z' })),
      'deadline_passed',
    ],
    ['an unknown top-level field', JSON.stringify(anthropic({ prompt: 'hi' })), 'unknown_field'],
  ])('rejects %s with a specific reason', (_name, raw, code) => {
    expect(rejectionOf(raw)).toBe(code);
  });

  it.each([
    ['a path', '../anthropic'],
    ['capitals', 'Anthropic'],
    ['a control character', 'anthropic\n'],
    ['one character', 'a'],
    ['33 characters', `a${'b'.repeat(32)}`],
    ['an empty string', ''],
  ])(
    'refuses a malformed provider id (%s) as unknown_provider, naming the pattern, not the value',
    (_, provider) => {
      const outcome = validateRequest(JSON.stringify(anthropic({ provider })), ctx);
      if (outcome.ok) throw new Error('expected a rejection');
      expect(outcome.rejection.code).toBe('unknown_provider');
      expect(outcome.rejection.issues).toEqual([
        { path: 'provider', message: expect.stringContaining('^[a-z][a-z0-9-]{1,30}[a-z0-9]$') },
      ]);
      // What the producer sent is not echoed into events, results and logs.
      expect(outcome.rejection.message).not.toContain(`"${provider}"`);
    },
  );

  it('rejects a request for a provider this deployment has not enabled', () => {
    expect(
      rejectionOf(JSON.stringify(anthropic()), { ...ctx, enabledProviders: ['openai'] as never }),
    ).toBe('provider_not_enabled');
  });

  it('rejects a request with no destination when no default is configured', () => {
    expect(rejectionOf(JSON.stringify(anthropic({ destination: undefined })))).toBe(
      'missing_destination',
    );
  });

  it('rejects a body larger than the provider accepts in one batch', () => {
    expect(rejectionOf(JSON.stringify(anthropic()), { ...ctx, maxRequestBytes: 20 })).toBe(
      'request_too_large',
    );
  });

  it('keeps the custom_id and destination of a rejected request so its result can be delivered', () => {
    const outcome = validateRequest(JSON.stringify(anthropic({ tier: 'flex' })), ctx);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.customId).toBe('req-1');
    expect(outcome.destination).toEqual(queue);
    expect(outcome.rejection.message).toContain('tier');
    expect(outcome.rejection.issues[0]?.path).toBe('tier');
  });

  it('does not trust a malformed custom_id for routing', () => {
    const outcome = validateRequest(JSON.stringify(anthropic({ custom_id: 'bad id!' })), ctx);
    expect(!outcome.ok && outcome.customId).toBeNull();
  });

  it('lists every code it can give', () => {
    for (const code of [
      'missing_body',
      'ambiguous_body',
      'claim_check_missing',
      'claim_check_invalid',
    ] as const) {
      expect(REJECTION_CODES).toContain(code);
    }
  });
});

describe('Function: validateRequest() with a claim check', () => {
  const uri = 's3://producer-bodies/requests/req-1.json';
  const body = {
    model: 'claude-haiku-4-5',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'hi' }],
  };
  const byClaimCheck = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify(anthropic({ body: undefined, body_s3_uri: uri, ...overrides }));

  it('validates the body read from the claim check and fingerprints it like the same body inline', () => {
    const claimed = validateRequest(byClaimCheck(), ctx, { ok: true, body });
    const inline = validateRequest(JSON.stringify(anthropic()), ctx);

    expect(claimed.ok).toBe(true);
    if (!claimed.ok || !inline.ok) return;
    expect(claimed.accepted.request.body).toEqual(body);
    expect(claimed.accepted.request).not.toHaveProperty('body_s3_uri');
    expect(claimed.accepted.requestHash).toBe(inline.accepted.requestHash);
  });

  it.each<[string, string, ClaimCheckResolution | undefined, RejectionCode]>([
    [
      'both body and body_s3_uri',
      JSON.stringify(anthropic({ body_s3_uri: uri })),
      undefined,
      'ambiguous_body',
    ],
    [
      'neither body nor body_s3_uri',
      JSON.stringify(anthropic({ body: undefined })),
      undefined,
      'missing_body',
    ],
    [
      'an https URI',
      byClaimCheck({ body_s3_uri: 'https://bucket.s3.amazonaws.com/k' }),
      undefined,
      'claim_check_invalid',
    ],
    [
      'an s3 URI without a key',
      byClaimCheck({ body_s3_uri: 's3://bucket-name/' }),
      undefined,
      'claim_check_invalid',
    ],
    [
      'a URI that is not a string',
      byClaimCheck({ body_s3_uri: 42 }),
      undefined,
      'claim_check_invalid',
    ],
    [
      'a missing object',
      byClaimCheck(),
      { ok: false, code: 'claim_check_missing', message: 'no such key' },
      'claim_check_missing',
    ],
    [
      'an object that is not JSON',
      byClaimCheck(),
      { ok: false, code: 'claim_check_invalid', message: 'not JSON' },
      'claim_check_invalid',
    ],
    [
      'an object over the cap',
      byClaimCheck(),
      { ok: false, code: 'request_too_large', message: 'too big' },
      'request_too_large',
    ],
    [
      'a body that is JSON but not an object',
      byClaimCheck(),
      { ok: true, body: [1, 2] },
      'invalid_body',
    ],
    [
      'a body that streams',
      byClaimCheck(),
      { ok: true, body: { ...body, stream: true } },
      'stream_not_supported',
    ],
    [
      'a body without model',
      byClaimCheck(),
      { ok: true, body: { ...body, model: undefined } },
      'invalid_body',
    ],
  ])('rejects %s with a specific reason', (_name, raw, claimCheck, code) => {
    expect(rejectionOf(raw, ctx, claimCheck)).toBe(code);
  });

  it('keeps custom_id and destination of a refused claim check so its result can be delivered', () => {
    const outcome = validateRequest(byClaimCheck(), ctx, {
      ok: false,
      code: 'claim_check_missing',
      message: 'no such key',
    });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.customId).toBe('req-1');
    expect(outcome.destination).toEqual(queue);
    expect(outcome.rejection.issues[0]?.path).toBe('body_s3_uri');
  });

  it('refuses to guess when a claim-check message comes without its claim check read', () => {
    expect(() => validateRequest(byClaimCheck(), ctx)).toThrow(TypeError);
  });

  it('finds the claim check of a message that has one, and only then', () => {
    expect(claimCheckUriOf(byClaimCheck())).toBe(uri);
    expect(claimCheckUriOf(JSON.stringify(anthropic()))).toBeNull();
    expect(claimCheckUriOf(JSON.stringify(anthropic({ body_s3_uri: uri })))).toBeNull();
    expect(claimCheckUriOf(byClaimCheck({ body_s3_uri: 'ftp://x/y' }))).toBeNull();
    expect(claimCheckUriOf('{"body_s3_uri": ')).toBeNull();
    expect(claimCheckUriOf('[]')).toBeNull();
  });
});

describe('Function: validateRequest() on webhook destinations', () => {
  const webhook = (url: string) =>
    JSON.stringify(anthropic({ destination: { type: 'webhook', url } }));

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'https://10.1.2.3/hook',
    'https://172.16.0.1/hook',
    'https://192.168.1.10/hook',
    'http://127.0.0.1:8080/hook',
    'https://100.64.0.1/hook',
    'http://localhost:3000/hook',
    'http://api.localhost/hook',
    'http://[::1]/hook',
    'http://[fd00:ec2::254]/hook',
    'http://[::ffff:169.254.169.254]/hook',
    'http://2852039166/hook',
    'http://0x7f.1/hook',
  ])('refuses %s at intake when private webhooks are not allowed', (url) => {
    expect(rejectionOf(webhook(url))).toBe('invalid_destination');
  });

  it('does not salvage a forbidden webhook as the place to deliver the rejection', () => {
    const outcome = validateRequest(webhook('http://169.254.169.254/'), ctx);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.customId).toBe('req-1');
    expect(outcome.destination).toBeNull();
  });

  it('accepts them when the deployment allows private webhooks (local development)', () => {
    const local = { ...ctx, allowPrivateWebhooks: true };
    expect(validateRequest(webhook('http://127.0.0.1:8080/hook'), local).ok).toBe(true);
    expect(validateRequest(webhook('http://localhost:3000/hook'), local).ok).toBe(true);
  });

  it('accepts public addresses and names (names are checked again when delivering)', () => {
    expect(validateRequest(webhook('https://hooks.example.com/results'), ctx).ok).toBe(true);
    expect(validateRequest(webhook('https://93.184.216.34/results'), ctx).ok).toBe(true);
  });

  it.each(['file:///etc/passwd', 'ftp://files.example.com/drop', 'gopher://example.com/'])(
    'refuses the non-http URL %s whatever the setting',
    (url) => {
      expect(rejectionOf(webhook(url), { ...ctx, allowPrivateWebhooks: true })).toBe(
        'invalid_destination',
      );
    },
  );
});

describe('Function: maxRequestBytesOf()', () => {
  it('is the largest provider per-batch limit, or the deployment cap when lower', () => {
    expect(maxRequestBytesOf(null)).toBe(256_000_000);
    expect(maxRequestBytesOf(65_536)).toBe(65_536);
    expect(maxRequestBytesOf(10 ** 12)).toBe(256_000_000);
  });
});

describe('Function: validateRequest() with a destination allow-list', () => {
  const listed = {
    ...ctx,
    destinationPolicy: parseDestinationPolicy('sqs:arn:aws:sqs:us-east-1:123456789012:results'),
  };

  it('accepts a destination the allow-list names', () => {
    expect(validateRequest(JSON.stringify(anthropic()), listed).ok).toBe(true);
  });

  it('refuses one it does not name, and sends its rejection nowhere near it', () => {
    const elsewhere = {
      type: 'sqs',
      queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/results-x',
    };
    const outcome = validateRequest(JSON.stringify(anthropic({ destination: elsewhere })), listed);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.rejection.code).toBe('destination_forbidden');
    expect(outcome.destination).toBeNull();
  });

  it('refuses every destination when the deployment lists none', () => {
    const nothing = { ...ctx, destinationPolicy: parseDestinationPolicy(undefined) };
    expect(rejectionOf(JSON.stringify(anthropic()), nothing)).toBe('destination_forbidden');
  });

  it('refuses a queue URL whose host is not SQS, even when everything is allowed', () => {
    const hostile = { type: 'sqs', queue_url: 'https://attacker.example/123456789012/results' };
    const outcome = validateRequest(JSON.stringify(anthropic({ destination: hostile })), ctx);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.rejection.code).toBe('invalid_destination');
    expect(outcome.destination).toBeNull();
  });

  it('keeps a rejected message away from a forbidden destination it names', () => {
    const outcome = validateRequest(
      JSON.stringify({
        custom_id: 'bad-1',
        provider: 'nobody',
        destination: {
          type: 'sqs',
          queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/results-x',
        },
      }),
      { ...listed, defaultDestination: queue },
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.destination).toEqual(queue);
  });
});
