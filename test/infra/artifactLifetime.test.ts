import { describe, expect, it } from 'vitest';
import { minimumArtifactRetention } from '../../infra/artifactLifetime.js';
import type { BatchlaneStackProps } from '../../infra/BatchlaneStack.js';
import { applyProfileOverrides, resolveProfiles } from '../../shared/contract/providerProfile.js';
import { synthBatchlane } from './synthBatchlane.js';

/** The retention of the lifecycle rule that expires `prefix` in the synthesized bucket. */
const expirationDaysOf = (props: BatchlaneStackProps, prefix: string): number => {
  const { template } = synthBatchlane(props);
  const buckets = template.findResources('AWS::S3::Bucket', {
    Properties: { VersioningConfiguration: { Status: 'Enabled' } },
  });
  const [bucket] = Object.values(buckets) as {
    Properties: {
      LifecycleConfiguration: { Rules: { Prefix?: string; ExpirationInDays?: number }[] };
    };
  }[];
  const rule = bucket?.Properties.LifecycleConfiguration.Rules.find((r) => r.Prefix === prefix);
  if (rule?.ExpirationInDays === undefined) throw new Error(`no rule expires ${prefix}`);
  return rule.ExpirationInDays;
};

const applied = applyProfileOverrides([]);
if (!applied.ok) throw new Error('the built-in profiles do not apply');
const builtIn = applied.profiles;

/** The settings of a default deployment (Anthropic and OpenAI, no quota or budget). */
const defaults = {
  enabledProviders: ['anthropic', 'openai'] as const,
  profiles: builtIn,
  batchMaxAgeSeconds: 60,
  quotasSet: false,
  budgetDailySet: false,
  budgetMonthlySet: false,
  // 14 days in a dead-letter queue, a redrive, 4 days in the queue, 6 visibility timeouts.
  intakeMessageHours: 18 * 24 + 0.2,
  completionMessageHours: 18 * 24 + 1.5,
  realtimeMessageHours: 18 * 24 + 1.5,
};

describe('artifact lifetimes', () => {
  it('needs the longest run, the completion retries and the filling of a default batch', () => {
    const { days, longest } = minimumArtifactRetention(defaults);
    // 60 s filling + 24 h run + 433.5 h of completion retries and redrive = 457.5 h.
    expect(longest.prefix).toBe('batches/');
    expect(days).toBe(20);
  });

  it('grows with the enabled providers: a Bedrock job waits for capacity and runs up to 7 days', () => {
    const { days, longest } = minimumArtifactRetention({
      ...defaults,
      enabledProviders: ['bedrock'],
    });
    // A day below the minimum, a job quota holding it for a run, 168 h running, 433.5 h.
    expect(longest.terms.map((t) => t.hours)).toEqual([24, 168, 168, 433.5]);
    expect(days).toBe(34);
  });

  it("counts a profile's overrun and its window as the deployment overrides it", () => {
    const together = minimumArtifactRetention({ ...defaults, enabledProviders: ['together'] });
    // Together's 24 h target runs to 72 h; its cap on enqueued tokens holds for a run too.
    expect(together.longest.terms.map((t) => t.hours)).toEqual([1 / 60, 72, 72, 433.5]);
    const overridden = applyProfileOverrides([{ id: 'groq', window: { request: '7d' } }]);
    if (!overridden.ok) throw new Error(overridden.issues.join('; '));
    const groq = minimumArtifactRetention({
      ...defaults,
      enabledProviders: ['groq'],
      profiles: overridden.profiles,
    });
    expect(groq.longest.terms.map((t) => t.hours)).toEqual([1 / 60, 168, 433.5]);
  });

  it("counts a deployment's own profile by its window and its cap on enqueued tokens", () => {
    const resolved = resolveProfiles([
      {
        id: 'acme',
        baseUrl: 'https://api.acme.example/v1',
        key: { secretName: 'batchlane/acme', envVar: 'ACME_API_KEY' },
        endpoints: ['/v1/chat/completions'],
        limits: { maxRequests: 1000, maxBytes: 1_000_000, maxEnqueuedTokens: 1_000_000 },
        window: { request: '48h', accepted: ['24h', '48h'], runsPastHours: 96 },
        batchDiscount: 0.5,
      },
    ]);
    if (!resolved.ok) throw new Error(resolved.issues.join('; '));
    const acme = minimumArtifactRetention({
      ...defaults,
      enabledProviders: ['acme'],
      profiles: resolved.profiles,
    });
    // Its 48 h window runs to 96 h; its token cap holds a batch for a run too.
    expect(acme.longest.terms.map((t) => t.hours)).toEqual([1 / 60, 96, 96, 433.5]);
  });

  it('keeps claim checks and retry batches as long as a monthly budget may hold them', () => {
    const { days, longest } = minimumArtifactRetention({ ...defaults, budgetMonthlySet: true });
    // batches/: filling + 31 days held + 24 h run + 433.5 h; claims/: 432.2 h + 31 days.
    expect(longest.prefix).toBe('batches/');
    expect(days).toBe(51);
    const daily = minimumArtifactRetention({ ...defaults, budgetDailySet: true });
    expect(daily.days).toBe(21);
  });

  it('keeps realtime jobs through the off-peak wait and a redrive', () => {
    const { days } = minimumArtifactRetention({
      ...defaults,
      enabledProviders: ['deepseek'],
    });
    expect(days).toBe(20);
  });
});

describe('the stack ties the working files to the batches that need them', () => {
  it('keeps a month by default, and longer when the settings need it', () => {
    expect(expirationDaysOf({}, 'batches/')).toBe(30);
    expect(
      expirationDaysOf(
        {
          enabledProviders: ['bedrock'],
          bedrockModels: ['anthropic.claude-3-haiku-20240307-v1:0'],
        },
        'batches/',
      ),
    ).toBe(34);
    expect(expirationDaysOf({ budgetMonthlyUsd: 100 }, 'claims/')).toBe(51);
  });

  it('outputs the completion queue a restored batch is handed back to', () => {
    const { template } = synthBatchlane();
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.CompletionQueueUrl?.Value)).toMatch(/CompletionQueues/);
  });

  it('keeps what is configured when it is long enough', () => {
    expect(expirationDaysOf({ artifactRetentionDays: 20 }, 'batches/')).toBe(20);
    expect(expirationDaysOf({ artifactRetentionDays: 60, budgetMonthlyUsd: 5 }, 'realtime/')).toBe(
      60,
    );
  });

  it('fails synthesis naming the setting, the minimum and why when configured shorter', () => {
    expect(() => synthBatchlane({ artifactRetentionDays: 19 })).toThrow(
      /artifactRetentionDays is 19, but objects under batches\/ must live 20 days \(.*anthropic batches run up to 24 h.*\): set artifactRetentionDays to at least 20/,
    );
    expect(() =>
      synthBatchlane({
        artifactRetentionDays: 30,
        enabledProviders: ['bedrock'],
        bedrockModels: ['anthropic.claude-3-haiku-20240307-v1:0'],
      }),
    ).toThrow(/at least 34/);
    expect(() => synthBatchlane({ artifactRetentionDays: 50, budgetMonthlyUsd: 10 })).toThrow(
      /budgetMonthlyUsd holds up to 31 days.*at least 51/,
    );
  });
});
