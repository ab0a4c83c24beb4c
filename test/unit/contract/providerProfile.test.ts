import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_PROFILE_IDS,
  BUILT_IN_PROFILES,
  DeploymentProfilesSchema,
  type ProviderProfileInput,
  ProviderProfileSchema,
  profileEndpointPath,
  profileModelName,
  profileRunLimits,
  windowHours,
} from '../../../shared/contract/providerProfile.js';
import { PROVIDER_LIMITS, PROVIDERS } from '../../../shared/contract/providers.js';
import type { DestinationPolicy } from '../../../shared/domain/destinationPolicy.js';
import { defaultPriceTable } from '../../../shared/domain/pricing/defaultPriceTable.js';
import { isKnownModel } from '../../../shared/domain/pricing/modelLimits.js';
import { priceRequest } from '../../../shared/domain/pricing/priceRequest.js';
import { validateRequest } from '../../../shared/domain/validateRequest.js';

const deploymentProfile = (
  overrides: Partial<ProviderProfileInput> = {},
): ProviderProfileInput => ({
  id: 'fireworks',
  baseUrl: 'https://api.fireworks.ai/inference/v1',
  key: { secretName: 'batchlane/fireworks', envVar: 'FIREWORKS_API_KEY' },
  endpoints: ['/v1/chat/completions'],
  limits: { maxRequests: 50_000, maxBytes: 100_000_000, maxEnqueuedTokens: null },
  window: { request: '24h', accepted: ['24h'], runsPastHours: null },
  batchDiscount: 0.5,
  ...overrides,
});

const issuesOf = (input: unknown): string[] => {
  const parsed = DeploymentProfilesSchema.safeParse(input);
  if (parsed.success) throw new Error('expected the profiles to be refused');
  return parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('provider profiles', () => {
  it('ships Together, Groq, xAI and Azure OpenAI as providers, with their limits', () => {
    expect(BUILT_IN_PROFILE_IDS).toEqual(['together', 'groq', 'xai', 'azure-openai']);
    for (const id of BUILT_IN_PROFILE_IDS) expect(PROVIDERS).toContain(id);
    expect(PROVIDER_LIMITS.together).toEqual({
      maxRequests: 50_000,
      maxBytes: 100_000_000,
      oneModelPerBatch: true,
    });
    expect(PROVIDER_LIMITS['azure-openai'].maxRequests).toBe(100_000);
    expect(BUILT_IN_PROFILES.groq.window.accepted).toContain('7d');
    expect(BUILT_IN_PROFILES.together.window.runsPastHours).toBe(72);
  });

  it("fills a faithful clone's quirks with OpenAI's behaviour", () => {
    const profile = ProviderProfileSchema.parse(deploymentProfile());
    expect(profile.quirks).toEqual({
      client: 'openai',
      apiVersion: null,
      deployments: {},
      deploymentType: null,
      inputLine: 'openai',
      filePurpose: 'batch',
      upperCaseStatus: false,
      createEnvelope: 'none',
      batchMetadata: true,
    });
  });

  it("names Azure's endpoints without /v1 and its deployments for models", () => {
    const azure = ProviderProfileSchema.parse({
      ...BUILT_IN_PROFILES['azure-openai'],
      quirks: {
        ...BUILT_IN_PROFILES['azure-openai'].quirks,
        deployments: { 'gpt-4o-mini': 'mini-gb' },
      },
    });
    expect(profileEndpointPath(azure, '/v1/chat/completions')).toBe('/chat/completions');
    expect(profileEndpointPath(BUILT_IN_PROFILES.groq, '/v1/chat/completions')).toBe(
      '/v1/chat/completions',
    );
    expect(profileModelName(azure, 'gpt-4o-mini')).toBe('mini-gb');
    expect(profileModelName(azure, 'gpt-4.1-nano')).toBe('gpt-4.1-nano');
  });

  it('reads window values in hours', () => {
    expect(windowHours('24h')).toBe(24);
    expect(windowHours('7d')).toBe(168);
  });

  it('refuses malformed deployment profiles, saying where', () => {
    expect(
      issuesOf([
        deploymentProfile({ id: 'Bad_Id' }),
        deploymentProfile({ id: 'azr', quirks: { client: 'azure' } }),
        deploymentProfile({
          id: 'win',
          window: { request: '7d', accepted: ['24h'], runsPastHours: null },
        }),
        deploymentProfile({ id: 'eps', endpoints: ['/v1/messages' as '/v1/chat/completions'] }),
      ]),
    ).toEqual([
      '0.id: id must be 3-32 characters of a-z, 0-9 and -, starting with a letter',
      '1.quirks.apiVersion: an azure profile needs quirks.apiVersion',
      '2.window.request: window.request must be one of window.accepted',
      expect.stringMatching(/^3\.endpoints\.0: /),
    ]);
  });

  it('refuses deployment profiles that take a reserved id or repeat one', () => {
    expect(
      issuesOf([deploymentProfile({ id: 'openai' }), deploymentProfile(), deploymentProfile()]),
    ).toEqual([
      '0.id: id "openai" names a provider batchlane drives with its own SDK',
      '2.id: id "fireworks" is given twice',
    ]);
  });
});

describe('requests to profiles', () => {
  const ctx = {
    defaultDestination: null,
    enabledProviders: ['groq', 'azure-openai'] as const,
    now: new Date('2026-11-26T12:00:00Z'),
    maxRequestBytes: 256_000_000,
    allowPrivateWebhooks: false,
    destinationPolicy: { kind: 'all' } as DestinationPolicy,
    region: 'us-east-1',
  };
  const request = (provider: string, endpoint?: string) =>
    JSON.stringify({
      custom_id: 'req-1',
      provider,
      ...(endpoint === undefined ? {} : { endpoint }),
      body: { model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'hi' }] },
      destination: { type: 'sqs', queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/r' },
    });

  it('accepts a built-in profile by id, on its default endpoint', () => {
    const outcome = validateRequest(request('groq'), ctx);
    expect(outcome.ok && outcome.accepted.endpoint).toBe('/v1/chat/completions');
  });

  it.each([
    ['an unknown profile', request('grok'), 'unknown_provider'],
    [
      'the flex tier, which no profile sells',
      JSON.stringify({ ...JSON.parse(request('groq')), tier: 'flex' }),
      'unsupported_tier',
    ],
    [
      'an endpoint the profile does not take',
      request('groq', '/v1/responses'),
      'unsupported_endpoint',
    ],
    ['a profile the deployment has not enabled', request('together'), 'provider_not_enabled'],
  ])('refuses %s with its own code', (_name, raw, code) => {
    const outcome = validateRequest(raw, ctx);
    expect(outcome.ok ? null : outcome.rejection.code).toBe(code);
  });
});

describe('profile prices', () => {
  it('prices every model each profile offers, at half the standard price in batch', () => {
    for (const id of BUILT_IN_PROFILE_IDS) {
      const entries = defaultPriceTable.providers[id] ?? [];
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries) {
        expect(isKnownModel(id, entry.model)).toBe(true);
        const cost = priceRequest(
          {
            provider: id,
            model: entry.model,
            lane: 'batch',
            usage: {
              inputTokens: 1_000_000,
              outputTokens: entry.output === null ? 0 : 1_000_000,
              cacheReadTokens: 0,
              cacheWrite5mTokens: 0,
              cacheWrite1hTokens: 0,
              serviceTier: null,
              inferenceGeo: null,
            },
            at: new Date('2026-12-06T00:00:00Z'),
          },
          defaultPriceTable,
        );
        expect(cost.basis).toBe('usage');
        expect(cost.usd).toBeCloseTo((entry.input + (entry.output ?? 0)) / 2, 9);
        expect(cost.saved_usd).toBeCloseTo(cost.usd, 9);
      }
    }
  });

  it("prices Azure's dated model names by the model's entry", () => {
    expect(isKnownModel('azure-openai', 'gpt-4o-mini-2024-07-18')).toBe(true);
  });
});

describe('profileRunLimits', () => {
  it('gives a profile that overruns its window its longer run, and passes on its token cap', () => {
    const limits = profileRunLimits(BUILT_IN_PROFILES);

    // Together: a 24 h window that may run to 72 h, 30B tokens enqueued per model.
    expect(limits.batchWindowMs['together']).toBe(72 * 3_600_000);
    expect(limits.runsPastExpiryMs['together']).toBe(48 * 3_600_000);
    expect(limits.maxEnqueuedTokensPerModel['together']).toBe(30e9);
    // xAI: a hard 24 h window and no token cap.
    expect(limits.batchWindowMs['xai']).toBe(24 * 3_600_000);
    expect(limits.runsPastExpiryMs['xai']).toBeUndefined();
    expect(limits.maxEnqueuedTokensPerModel['xai']).toBeUndefined();
  });

  it('reads the window a deployment asks for (Groq at 7d)', () => {
    const groq = ProviderProfileSchema.parse({
      ...BUILT_IN_PROFILES.groq,
      window: { ...BUILT_IN_PROFILES.groq.window, request: '7d' },
    });

    expect(profileRunLimits({ groq }).batchWindowMs['groq']).toBe(168 * 3_600_000);
  });
});
