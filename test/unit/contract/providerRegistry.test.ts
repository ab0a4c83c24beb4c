import { describe, expect, it } from 'vitest';
import { LANES } from '../../../shared/contract/lanes.js';
import {
  BUILT_IN_PROFILES,
  type ProviderProfileInput,
  resolveProfiles,
} from '../../../shared/contract/providerProfile.js';
import { BUILT_IN_REGISTRY, providerRegistry } from '../../../shared/contract/providerRegistry.js';
import { PROVIDER_LIMITS, PROVIDERS } from '../../../shared/contract/providers.js';
import { TIERS } from '../../../shared/contract/request.js';
import { effectiveLimits } from '../../../shared/domain/batchLimits.js';
import { chooseLane } from '../../../shared/domain/chooseLane.js';
import { claimCheckCapOf } from '../../../shared/domain/claimCheckLocation.js';
import type { DestinationPolicy } from '../../../shared/domain/destinationPolicy.js';
import { validateRequest } from '../../../shared/domain/validateRequest.js';
import { ACME_PROFILE } from '../../support/acmeProfile.js';

/** acme with limits and a window of its own, and no prices. */
const ACME: ProviderProfileInput = {
  ...ACME_PROFILE,
  limits: { maxRequests: 2_000, maxBytes: 10_000_000, maxEnqueuedTokens: 5_000_000 },
  window: { request: '72h', accepted: ['24h', '72h'], runsPastHours: 96 },
  prices: [],
};

const resolved = resolveProfiles([ACME]);
if (!resolved.ok) throw new Error(resolved.issues.join('; '));
const registry = providerRegistry(resolved.profiles);

describe('providerRegistry', () => {
  it('knows the built-in providers, then the deployment’s own profiles', () => {
    expect(registry.ids).toEqual([...PROVIDERS, 'acme']);
    expect(registry.has('acme')).toBe(true);
    expect(BUILT_IN_REGISTRY.has('acme')).toBe(false);
    expect(registry.has('stranger')).toBe(false);
    // Not an own property: an id such as `constructor` is not a provider.
    expect(registry.has('constructor')).toBe(false);
  });

  it('answers for a built-in provider from its tables', () => {
    expect(registry.limitsOf('anthropic')).toBe(PROVIDER_LIMITS.anthropic);
    expect(registry.endpointsOf('mistral')).toContain('/v1/fim/completions');
    expect(registry.defaultEndpointOf('gemini')).toBe('generateContent');
    expect(registry.lanesOf('openai')).toBe(LANES.openai);
  });

  it('answers for a profile from its profile data', () => {
    expect(registry.limitsOf('acme')).toEqual({
      maxRequests: 2_000,
      maxBytes: 10_000_000,
      oneModelPerBatch: true,
    });
    expect(registry.endpointsOf('acme')).toEqual(['/v1/chat/completions', '/v1/embeddings']);
    expect(registry.defaultEndpointOf('acme')).toBe('/v1/chat/completions');
    expect(registry.profiles['acme']?.window.request).toBe('72h');
    // The built-in profiles answer from their profiles too.
    expect(registry.limitsOf('together').maxBytes).toBe(BUILT_IN_PROFILES.together.limits.maxBytes);
  });

  it('gives a profile the lanes row the built-in profiles have, under its own name', () => {
    const row = registry.lanesOf('acme');
    expect(Object.keys(row)).toEqual([...TIERS]);
    expect(row.batch).toEqual({ kind: 'fixed', lane: 'batch' });
    expect(row.auto).toEqual(LANES.groq.auto);
    expect(row.flex).toEqual({
      kind: 'unsupported',
      why: 'acme sells no flex tier batchlane uses',
    });
    expect(registry.needsRealtimeLane('acme')).toBe(false);
    expect(registry.needsRealtimeLane('deepseek')).toBe(true);
  });

  it('throws, naming the id, when asked about one it does not know', () => {
    expect(() => registry.limitsOf('stranger')).toThrow(/provider "stranger" is neither built in/);
    expect(() => BUILT_IN_REGISTRY.lanesOf('acme')).toThrow(/"acme"/);
  });

  it('is what batch limits, lanes and claim-check caps read', () => {
    expect(effectiveLimits('acme', { maxRequests: null, maxBytes: null }, registry)).toMatchObject({
      maxRequests: 2_000,
      oneModelPerBatch: true,
    });
    const caps = { maxBytesPerBatch: null, maxClaimCheckBytes: 1e9, registry };
    expect(claimCheckCapOf('acme', caps)).toBe(10_000_000);
    // `auto` with a deadline too near for a batch: standard realtime, as for any profile.
    const choice = chooseLane(
      { provider: 'acme', tier: 'auto', deadline: '2026-12-01T01:00:00Z' },
      false,
      new Date('2026-12-01T00:00:00Z'),
      { batchWindowMs: 86_400_000, batchMarginMs: 3_600_000, registry },
    );
    expect(choice.lane).toBe('realtime');
  });
});

describe('validateRequest with a deployment profile', () => {
  const ctx = {
    defaultDestination: null,
    enabledProviders: ['openai', 'acme'],
    registry,
    now: new Date('2026-12-01T00:00:00Z'),
    maxRequestBytes: 256_000_000,
    allowPrivateWebhooks: false,
    destinationPolicy: { kind: 'all' } as DestinationPolicy,
    region: 'us-east-1',
  };
  const request = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      custom_id: 'req-1',
      provider: 'acme',
      body: { model: 'acme-chat-1', messages: [{ role: 'user', content: 'hi' }] },
      destination: { type: 'sqs', queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/r' },
      ...extra,
    });
  const codeOf = (raw: string, context: Parameters<typeof validateRequest>[1] = ctx) => {
    const outcome = validateRequest(raw, context);
    return outcome.ok ? 'ok' : outcome.rejection.code;
  };

  it('accepts it on its default endpoint, with any model id', () => {
    const outcome = validateRequest(request(), ctx);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.accepted.endpoint).toBe('/v1/chat/completions');
    expect(outcome.accepted.model).toBe('acme-chat-1');
    expect(
      codeOf(request({ endpoint: '/v1/embeddings', body: { model: 'acme-embed', input: 'x' } })),
    ).toBe('ok');
  });

  it('refuses an id that is neither built in nor a deployment profile as unknown_provider', () => {
    const outcome = validateRequest(request({ provider: 'stranger' }), ctx);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.rejection.code).toBe('unknown_provider');
    expect(outcome.rejection.message).toContain('provider "stranger" is unknown');
    expect(outcome.rejection.message).toContain('acme');
    expect(codeOf(request({ provider: 'Not An Id' }))).toBe('unknown_provider');
    // Without the deployment's registry, acme is unknown too.
    expect(codeOf(request(), { ...ctx, registry: BUILT_IN_REGISTRY })).toBe('unknown_provider');
  });

  it('accepts it only when the deployment enables it', () => {
    expect(codeOf(request(), { ...ctx, enabledProviders: ['openai'] })).toBe(
      'provider_not_enabled',
    );
  });

  it('applies its endpoints, tiers and limits', () => {
    expect(codeOf(request({ endpoint: '/v1/responses', body: { model: 'm', input: 'x' } }))).toBe(
      'unsupported_endpoint',
    );
    expect(codeOf(request({ tier: 'flex' }))).toBe('unsupported_tier');
    expect(codeOf(request({ tier: 'off_peak' }))).toBe('unsupported_tier');
    const big = 'x'.repeat(10_000_001);
    expect(
      codeOf(
        request({ body: { model: 'acme-chat-1', messages: [{ role: 'user', content: big }] } }),
      ),
    ).toBe('request_too_large');
  });
});

describe('resolveProfiles', () => {
  it('gives the built-in profiles with their changes and the deployment’s own', () => {
    const both = resolveProfiles([{ id: 'groq', window: { request: '7d' } }, ACME]);
    expect(both.ok).toBe(true);
    if (!both.ok) return;
    expect(Object.keys(both.profiles).sort()).toEqual(
      ['acme', 'azure-openai', 'groq', 'together', 'xai'].sort(),
    );
    expect(both.profiles['groq']?.window.request).toBe('7d');
    expect(both.profiles['acme']?.prices).toEqual([]);
  });

  it('names each bad entry once, by its index in the whole list', () => {
    const bad = resolveProfiles([
      ACME,
      { id: 'xai' },
      { id: 'xai' },
      { id: 'groq', endpoints: ['/v1/embeddings'] },
      { id: 'gemini' },
      { baseUrl: 'https://x.example' },
      { id: 'groq', window: { request: '9d' } },
    ]);
    expect(bad).toEqual({
      ok: false,
      issues: [
        '2.id: id "xai" is given twice',
        '3: "groq" is a built-in profile: its entry may change baseUrl, key, window, quirks only, not endpoints (a profile of your own needs an id of its own)',
        '4.id: id "gemini" names a provider batchlane drives with its own SDK; a profile may not take it',
        '5.id: each profile needs an id',
        '6.id: id "groq" is given twice',
        expect.stringMatching(/^6\.window\.request: window\.request must be one of/),
      ],
    });
    expect(resolveProfiles({ id: 'acme' })).toEqual({
      ok: false,
      issues: ['(root): providerProfiles must be a list of profiles'],
    });
  });
});
