import { describe, expect, it } from 'vitest';
import { type DeploymentFacts, prepareRequest } from '../../../client/prepareRequest.js';

const facts: DeploymentFacts = {
  region: 'eu-west-1',
  enabledProviders: ['anthropic', 'openai'],
  destinationAllowList: 'sqs:arn:aws:sqs:eu-west-1:123456789012:results',
  hasDefaultDestination: false,
  allowPrivateWebhooks: false,
  claimCheckBucket: 'artifacts-bucket',
  claimCheckPrefix: 'claims/',
  producer: null,
  maxMessageBytes: 1_048_576,
};

const destination = {
  type: 'sqs',
  queue_url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/results',
} as const;
const request = (overrides: Record<string, unknown> = {}) => ({
  custom_id: 'r-1',
  provider: 'anthropic',
  body: { model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
  destination,
  ...overrides,
});

const codeOf = (value: unknown, known: DeploymentFacts = facts): string => {
  const prepared = prepareRequest(value, known);
  return prepared.ok ? 'ok' : prepared.rejection.code;
};

describe('prepareRequest', () => {
  it("judges a deployment's own profile by what any profile takes", () => {
    const withAcme = { ...facts, enabledProviders: ['openai', 'acme'] };
    const acme = (overrides: Record<string, unknown> = {}) =>
      request({
        provider: 'acme',
        body: { model: 'acme-chat-1', messages: [{ role: 'user', content: 'hi' }] },
        ...overrides,
      });
    expect(codeOf(acme(), withAcme)).toBe('ok');
    // Whatever endpoints and limits acme's profile has, no profile takes these.
    expect(codeOf(acme({ endpoint: '/v1/messages' }), withAcme)).toBe('unsupported_endpoint');
    expect(codeOf(acme({ tier: 'flex' }), withAcme)).toBe('unsupported_tier');
    // Not enabled where the enabled providers are known; sent where they are not.
    expect(codeOf(acme())).toBe('provider_not_enabled');
    expect(codeOf(acme(), { ...facts, enabledProviders: null })).toBe('ok');
    expect(codeOf(acme({ provider: 'Not An Id' }), { ...facts, enabledProviders: null })).toBe(
      'unknown_provider',
    );
  });

  it('sends a valid request as it is', () => {
    const prepared = prepareRequest(request(), facts);
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(JSON.parse(prepared.message)).toEqual(request());
    expect(prepared.claimCheck).toBeNull();
    expect(prepared.customId).toBe('r-1');
  });

  it("refuses with the collector's own codes what the deployment is certain to refuse", () => {
    expect(codeOf(request({ custom_id: 'has space' }))).toBe('invalid_custom_id');
    expect(
      codeOf(request({ provider: 'gemini', body: { model: 'gemini-2.5-flash', contents: [{}] } })),
    ).toBe('provider_not_enabled');
    expect(codeOf(request({ body: { model: 'claude-haiku-4-5', messages: [] } }))).toBe(
      'invalid_body',
    );
    expect(codeOf(request({ body: { model: 'gpt-4o', max_tokens: 1, messages: [{}] } }))).toBe(
      'unknown_model',
    );
    expect(codeOf(request({ colour: 'blue' }))).toBe('unknown_field');
    expect(codeOf(request({ deadline: '2001-01-01T00:00:00Z' }))).toBe('deadline_passed');
    expect(codeOf(request({ tier: 'flex' }))).toBe('unsupported_tier');
    expect(codeOf(request({ destination: undefined }))).toBe('missing_destination');
    expect(
      codeOf(
        request({
          destination: {
            type: 'sqs',
            queue_url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/other',
          },
        }),
      ),
    ).toBe('destination_forbidden');
    expect(codeOf(request({ destination: { type: 'webhook', url: 'https://127.0.0.1/h' } }))).toBe(
      'invalid_destination',
    );
    expect(codeOf(request({ body: { model: 'claude-haiku-4-5' }, body_s3_uri: 's3://b/k' }))).toBe(
      'ambiguous_body',
    );
    expect(codeOf(1n)).toBe('malformed_json');
    expect(codeOf(undefined)).toBe('not_an_object');
    expect(codeOf([1])).toBe('not_an_object');
    expect(codeOf(null)).toBe('not_an_object');
  });

  it('does not refuse what it cannot know: providers, allow-list and default destination unknown', () => {
    const unknown: DeploymentFacts = {
      ...facts,
      region: null,
      enabledProviders: null,
      destinationAllowList: null,
      hasDefaultDestination: null,
    };
    expect(codeOf(request({ destination: undefined }), unknown)).toBe('ok');
    expect(
      codeOf(
        request({
          destination: {
            type: 'sqs',
            queue_url: 'https://sqs.ap-south-1.amazonaws.com/123456789012/far',
          },
        }),
        unknown,
      ),
    ).toBe('ok');
    expect(
      codeOf(
        request({ provider: 'gemini', body: { model: 'gemini-2.5-flash', contents: [{}] } }),
        unknown,
      ),
    ).toBe('ok');
  });

  it('puts a body too large for a message in a claim check named by its hash', () => {
    const big = request({
      body: {
        model: 'claude-haiku-4-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }],
      },
    });
    const prepared = prepareRequest(big, facts);
    expect(prepared.ok).toBe(true);
    if (!prepared.ok || prepared.claimCheck === null) throw new Error('expected a claim check');
    expect(prepared.claimCheck.bucket).toBe('artifacts-bucket');
    expect(prepared.claimCheck.key).toMatch(/^claims\/[0-9a-f]{64}\.json$/);
    expect(JSON.parse(prepared.claimCheck.body)).toEqual(big.body);
    const message = JSON.parse(prepared.message) as Record<string, unknown>;
    expect(message['body']).toBeUndefined();
    expect(message['body_s3_uri']).toBe(`s3://artifacts-bucket/${prepared.claimCheck.key}`);
    expect(message['custom_id']).toBe('r-1');
    // The same body, the same object: a resend writes nothing new and folds.
    const again = prepareRequest(big, facts);
    expect(again.ok && again.claimCheck?.key).toBe(prepared.claimCheck.key);
  });

  it('refuses a body too large for a message when it has nowhere to put a claim check', () => {
    const big = request({
      body: {
        model: 'claude-haiku-4-5',
        max_tokens: 16,
        messages: [{ content: 'x'.repeat(2000) }],
      },
    });
    expect(codeOf(big, { ...facts, maxMessageBytes: 1024, claimCheckBucket: null })).toBe(
      'request_too_large',
    );
  });

  it('checks where a claim check the producer made itself lives', () => {
    const own = (uri: string) => ({ ...request(), body: undefined, body_s3_uri: uri });
    expect(codeOf(own('s3://artifacts-bucket/claims/mine.json'))).toBe('ok');
    expect(codeOf(own('s3://artifacts-bucket/elsewhere/mine.json'))).toBe('claim_check_missing');
    expect(codeOf(own('s3://other-bucket/claims/mine.json'))).toBe('claim_check_missing');
    expect(codeOf({ ...own('s3://artifacts-bucket/claims/m.json'), typo: 1 })).toBe(
      'unknown_field',
    );
  });

  it('keeps a claim check the producer made itself to its own prefix once it knows who it is', () => {
    const own = (uri: string) => ({ ...request(), body: undefined, body_s3_uri: uri });
    const teamA = { ...facts, producer: 'team-a', claimCheckPrefix: 'claims/team-a/' };
    expect(codeOf(own('s3://artifacts-bucket/claims/team-a/mine.json'), teamA)).toBe('ok');
    expect(codeOf(own('s3://artifacts-bucket/claims/team-b/theirs.json'), teamA)).toBe(
      'claim_check_missing',
    );
    expect(codeOf(own('s3://artifacts-bucket/claims/shared.json'), teamA)).toBe(
      'claim_check_missing',
    );
    const refusal = prepareRequest(own('s3://artifacts-bucket/claims/shared.json'), teamA);
    expect(!refusal.ok && refusal.rejection.message).toBe(
      'body_s3_uri must name an object under s3://artifacts-bucket/claims/team-a/',
    );
  });
});
