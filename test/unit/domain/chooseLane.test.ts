import { describe, expect, it } from 'vitest';
import { BUILT_IN_REGISTRY } from '../../../shared/contract/providerRegistry.js';
import { PROVIDERS } from '../../../shared/contract/providers.js';
import { TIERS } from '../../../shared/contract/request.js';
import { chooseLane } from '../../../shared/domain/chooseLane.js';
import { escalateAtOf } from '../../../shared/domain/escalateAtOf.js';

const HOUR = 3_600_000;
const policy = { batchWindowMs: 24 * HOUR, batchMarginMs: HOUR };
const now = new Date('2026-11-26T12:00:00.000Z');
const at = (hoursFromNow: number): string =>
  new Date(now.getTime() + hoursFromNow * HOUR).toISOString();

describe('chooseLane for a provider whose batches run past the default window', () => {
  // Together's profile: a 24 h window its batches may overrun to 72 h.
  const withTogether = { ...policy, batchWindowMsByProvider: { together: 72 * HOUR } };

  it("sends auto to batch only when the deadline leaves the provider's own window", () => {
    const roomy = chooseLane(
      { provider: 'together', tier: 'auto', deadline: at(73) },
      false,
      now,
      withTogether,
    );
    const tight = chooseLane(
      { provider: 'together', tier: 'auto', deadline: at(30) },
      false,
      now,
      withTogether,
    );

    expect(roomy).toMatchObject({ lane: 'batch', reason: /the 72\.0 h batch window/ });
    expect(tight).toMatchObject({
      lane: 'realtime',
      reason: /inside the 73\.0 h a batch may need/,
    });
  });

  it("keeps the deployment's window for other providers, and the longer of the two", () => {
    const groq = chooseLane(
      { provider: 'groq', tier: 'auto', deadline: at(30) },
      false,
      now,
      withTogether,
    );
    const shorter = chooseLane(
      { provider: 'together', tier: 'auto', deadline: at(30) },
      false,
      now,
      { ...policy, batchWindowMsByProvider: { together: 12 * HOUR } },
    );

    expect(groq.lane).toBe('batch');
    expect(shorter).toMatchObject({ lane: 'batch', reason: /the 24\.0 h batch window/ });
  });
});

describe('chooseLane', () => {
  // One row per provider, tier and situation: the lanes table read back through chooseLane.
  const rows: [
    string,
    Parameters<typeof chooseLane>[0],
    boolean,
    { lane: string; reason: string | RegExp },
  ][] = [
    [
      'batch stays batch',
      { provider: 'anthropic', tier: 'batch', deadline: at(1) },
      true,
      { lane: 'batch', reason: 'tier batch' },
    ],
    [
      'openai flex stays flex',
      { provider: 'openai', tier: 'flex' },
      true,
      { lane: 'flex', reason: 'tier flex' },
    ],
    [
      'gemini flex stays flex',
      { provider: 'gemini', tier: 'flex' },
      true,
      { lane: 'flex', reason: 'tier flex' },
    ],
    [
      'auto with room for the window and margin',
      { provider: 'openai', tier: 'auto', deadline: at(25) },
      true,
      {
        lane: 'batch',
        reason: 'auto: deadline in 25.0 h leaves room for the 24.0 h batch window and 1.0 h margin',
      },
    ],
    [
      'auto inside the window, flex offered',
      { provider: 'openai', tier: 'auto', deadline: at(24.9) },
      true,
      { lane: 'flex', reason: /inside the 25\.0 h a batch may need; flex$/ },
    ],
    [
      'auto inside the window, no flex',
      { provider: 'anthropic', tier: 'auto', deadline: at(2) },
      false,
      { lane: 'realtime', reason: /standard realtime/ },
    ],
    [
      'bedrock auto inside the window',
      { provider: 'bedrock', tier: 'auto', deadline: at(2) },
      false,
      { lane: 'realtime', reason: /standard realtime/ },
    ],
    [
      'auto without a deadline',
      { provider: 'gemini', tier: 'auto' },
      true,
      { lane: 'batch', reason: 'auto: no deadline, batch lane' },
    ],
  ];

  it.each(rows)('%s', (_name, request, flexAvailable, expected) => {
    const choice = chooseLane(request, flexAvailable, now, policy);
    expect(choice.lane).toBe(expected.lane);
    expect(choice.requested).toBe(request.tier);
    if (typeof expected.reason === 'string') expect(choice.reason).toBe(expected.reason);
    else expect(choice.reason).toMatch(expected.reason);
  });

  it('has a rule for every provider and tier, and refuses flex where there is none', () => {
    for (const provider of PROVIDERS) {
      for (const tier of TIERS)
        expect(BUILT_IN_REGISTRY.laneRuleOf(provider, tier).kind).toBeTypeOf('string');
    }
    expect(BUILT_IN_REGISTRY.laneRuleOf('anthropic', 'flex')).toMatchObject({
      kind: 'unsupported',
    });
    expect(BUILT_IN_REGISTRY.laneRuleOf('bedrock', 'flex')).toMatchObject({ kind: 'unsupported' });
  });
});

describe('escalateAtOf', () => {
  it('is the earliest auto deadline less the lead, ignoring batch members', () => {
    const members = [
      { lane: { requested: 'auto' as const }, deadline: at(5) },
      { lane: { requested: 'batch' as const }, deadline: at(1) },
      { lane: { requested: 'auto' as const }, deadline: at(3) },
      { lane: { requested: 'auto' as const }, deadline: null },
    ];
    expect(escalateAtOf(members, HOUR)).toBe(at(2));
  });

  it('is null when no auto member has a deadline', () => {
    expect(escalateAtOf([{ lane: { requested: 'batch' }, deadline: at(1) }], HOUR)).toBeNull();
  });
});

describe('needsRealtimeLane', () => {
  it('is true only for a provider no tier of which is served in batch (DeepSeek)', () => {
    const needing = PROVIDERS.filter((provider) => BUILT_IN_REGISTRY.needsRealtimeLane(provider));

    expect(needing).toEqual(['deepseek']);
  });
});
