import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, stackPropsFromContext } from '../../infra/stackPropsFromContext.js';
import { ENV } from '../../shared/config/BatchlaneConfig.js';
import { loadConfig } from '../../shared/config/loadConfig.js';
import { defaultPriceTable } from '../../shared/domain/pricing/defaultPriceTable.js';
import { environmentOf, logicalIdOf, synthBatchlane } from './synthBatchlane.js';

const contextOf = (context: Record<string, unknown>) => new App({ context }).node;

/** A price entry in the shipped table's schema, as a deployment would add it. */
const priceEntry = (model: string, overrides: Record<string, unknown> = {}) => ({
  model,
  effective_from: '2027-01-01',
  input: 0.3,
  output: 1.2,
  cache_write_5m: null,
  cache_write_1h: null,
  cache_read: 0.075,
  batch_discount: 0.5,
  batch_cache_rule: 'batch_cached_rate' as const,
  batch_cache_read: null,
  flex_rate: null,
  source: { url: 'https://example.com/acme-openai-prices', retrieved: '2026-12-15' },
  ...overrides,
});

const priceTableOverrideOf = (entries: ReturnType<typeof priceEntry>[]) => ({
  version: 'acme-2027-01',
  providers: { openai: entries },
});

const QUOTAS = {
  openai: { 'gpt-4o-mini': { requests: 50_000, tokens: 2_000_000 } },
  anthropic: { '*': { requests: 100_000 } },
};

describe('Function: stackPropsFromContext()', () => {
  it('reads webhook secrets per host from an object, JSON text or host=arn pairs', () => {
    const a = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:hooks-a-AbCdEf';
    const b = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:hooks-b';
    const expected = { 'hooks.example.com': a, 'results.example.org': b };
    for (const value of [
      expected,
      JSON.stringify(expected),
      `hooks.example.com=${a}, results.example.org=${b}`,
    ]) {
      expect(
        stackPropsFromContext(contextOf({ webhookSecretArns: value })).webhookSecretArns,
      ).toEqual(expected);
    }
  });

  it('leaves every prop unset when the context is empty, so the documented defaults apply', () => {
    const props = stackPropsFromContext(contextOf({}));
    expect(Object.values(props).every((value) => value === undefined)).toBe(true);
  });

  it('parses the strings `-c key=value` gives', () => {
    const props = stackPropsFromContext(
      contextOf({
        pollRateMinutes: '5',
        collectorBatchSize: '500',
        enabledProviders: 'openai, anthropic',
        destinationBucketNames: 'a-bucket,b-bucket',
        defaultDestination: '{"type":"webhook","url":"https://example.com/hook"}',
        maxAttempts: '4',
        intakeMaxReceiveCount: '8',
        publishRequestEvents: 'true',
        logLevel: 'debug',
        priceTableOverride: JSON.stringify(priceTableOverrideOf([priceEntry('gpt-4.1-mini')])),
        costTagKey: ' team ',
        autoBatchWindowSeconds: '43200',
        autoMarginSeconds: '1800',
        escalateBeforeDeadlineSeconds: '3600',
        batchMaxAgeSeconds: '0',
        quotas: JSON.stringify(QUOTAS),
        quotaRetrySeconds: '120',
        budgetDailyUsd: '50',
        budgetMonthlyUsd: '1000.5',
      }),
    );
    expect(props).toMatchObject({
      priceTableOverride: priceTableOverrideOf([priceEntry('gpt-4.1-mini')]),
      costTagKey: 'team',
      autoBatchWindowSeconds: 43_200,
      autoMarginSeconds: 1800,
      escalateBeforeDeadlineSeconds: 3600,
      batchMaxAgeSeconds: 0,
      quotas: QUOTAS,
      quotaRetrySeconds: 120,
      budgetDailyUsd: 50,
      budgetMonthlyUsd: 1000.5,
      maxAttempts: 4,
      intakeMaxReceiveCount: 8,
      publishRequestEvents: true,
      logLevel: 'DEBUG',
      pollRateMinutes: 5,
      collectorBatchSize: 500,
      enabledProviders: ['openai', 'anthropic'],
      destinationBucketNames: ['a-bucket', 'b-bucket'],
      defaultDestination: { type: 'webhook', url: 'https://example.com/hook' },
    });
  });

  it('accepts objects and numbers as cdk.json or --context JSON gives them', () => {
    const override = priceTableOverrideOf([priceEntry('gpt-4.1-mini'), priceEntry('acme-model')]);
    const props = stackPropsFromContext(
      contextOf({
        priceTableOverride: override,
        costTagKey: 'team',
        autoBatchWindowSeconds: 43_200,
        autoMarginSeconds: 1800,
        escalateBeforeDeadlineSeconds: 3600,
        quotas: QUOTAS,
        quotaRetrySeconds: 900,
        budgetDailyUsd: 12.5,
        budgetMonthlyUsd: 300,
      }),
    );
    expect(props).toEqual({
      ...stackPropsFromContext(contextOf({})),
      priceTableOverride: override,
      costTagKey: 'team',
      autoBatchWindowSeconds: 43_200,
      autoMarginSeconds: 1800,
      escalateBeforeDeadlineSeconds: 3600,
      quotas: QUOTAS,
      quotaRetrySeconds: 900,
      budgetDailyUsd: 12.5,
      budgetMonthlyUsd: 300,
    });
  });

  it('keeps the price table override as written, without the defaults the schema fills in', () => {
    const props = stackPropsFromContext(
      contextOf({ priceTableOverride: priceTableOverrideOf([priceEntry('acme-model')]) }),
    );
    expect(props.priceTableOverride?.providers['openai']?.[0]).not.toHaveProperty('match');
  });

  it('accepts the typed values cdk.json holds, with empty strings meaning unset', () => {
    const cdkJson = JSON.parse(
      readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
    ) as {
      context: Record<string, unknown>;
    };
    const props = stackPropsFromContext(contextOf(cdkJson.context));
    expect(props).toMatchObject({
      pollRateMinutes: 1,
      collectorBatchSize: 100,
      collectorBatchingWindowSeconds: 20,
      maxAttempts: 3,
      intakeMaxReceiveCount: 5,
      completionMaxAttempts: 10,
      publishRequestEvents: false,
      logLevel: 'INFO',
      enabledProviders: ['anthropic', 'openai'],
      idempotencyTtlDays: 21,
      resultRetentionDays: 90,
      destinationQueueArns: [],
      costTagKey: 'tag',
      autoBatchWindowSeconds: 86_400,
      autoMarginSeconds: 3600,
      escalateBeforeDeadlineSeconds: 1800,
      quotaRetrySeconds: 60,
    });
    expect(props.defaultDestination).toBeUndefined();
    expect(props.anthropicSecretArn).toBeUndefined();
    // `{}` and '' leave the price table, quotas and budgets to the runtime: none of them.
    expect(props.priceTableOverride).toBeUndefined();
    expect(props.quotas).toBeUndefined();
    expect(props.budgetDailyUsd).toBeUndefined();
    expect(props.budgetMonthlyUsd).toBeUndefined();
    // Unset: the stack keeps the working files as long as its settings need, a month at least.
    expect(props.artifactRetentionDays).toBeUndefined();
    // cdk.json documents every key the app reads.
    expect(CONTEXT_KEYS.filter((key) => !(key in cdkJson.context))).toEqual([]);
  });

  it.each([
    [{ pollRateMinutes: '0' }, /pollRateMinutes/],
    [{ collectorBatchSize: 'many' }, /collectorBatchSize/],
    [{ collectorBatchingWindowSeconds: 301 }, /collectorBatchingWindowSeconds/],
    [{ enabledProviders: 'anthropic,nobody' }, /nobody/],
    [{ defaultDestination: '{"type":"ftp"}' }, /defaultDestination/],
    [{ defaultDestination: '{not json' }, /defaultDestination/],
    [{ destinationQueueArns: 42 }, /destinationQueueArns/],
    [{ maxAttempts: '101' }, /maxAttempts/],
    [{ intakeMaxReceiveCount: 0 }, /intakeMaxReceiveCount/],
    [{ publishRequestEvents: 'yes' }, /publishRequestEvents/],
    [{ logLevel: 'verbose' }, /logLevel/],
    [{ priceTableOverride: '{not json' }, /"priceTableOverride" is not valid JSON/],
    [{ priceTableOverride: '{"version":"acme"}' }, /"priceTableOverride".*providers/],
    [{ priceTableOverride: [1] }, /"priceTableOverride"/],
    [
      {
        priceTableOverride: priceTableOverrideOf([priceEntry('acme-model', { input: -1 })]),
      },
      /"priceTableOverride".*providers\.openai\[0\]\.input/,
    ],
    [
      { priceTableOverride: priceTableOverrideOf([priceEntry('a'), priceEntry('a')]) },
      /"priceTableOverride".*duplicate/,
    ],
    [{ costTagKey: 42 }, /costTagKey/],
    [{ autoBatchWindowSeconds: '0' }, /autoBatchWindowSeconds/],
    [{ autoBatchWindowSeconds: 86_400_000 }, /autoBatchWindowSeconds/],
    [{ autoMarginSeconds: 'an hour' }, /autoMarginSeconds/],
    [{ escalateBeforeDeadlineSeconds: 1.5 }, /escalateBeforeDeadlineSeconds/],
    [{ batchMaxAgeSeconds: '-1' }, /batchMaxAgeSeconds/],
    [{ batchMaxAgeSeconds: 3601 }, /batchMaxAgeSeconds/],
    [{ quotas: '{not json' }, /"quotas" is not valid JSON/],
    [{ quotas: '{"openai":{"gpt-4o-mini":{"requests":0}}}' }, /"quotas"[\s\S]*requests/],
    [{ quotas: { openai: { 'gpt-4o-mini': { calls: 5 } } } }, /"quotas"[\s\S]*calls/],
    [{ quotas: { openai: 100 } }, /"quotas"/],
    [{ quotaRetrySeconds: '901' }, /quotaRetrySeconds/],
    [{ quotaRetrySeconds: 0 }, /quotaRetrySeconds/],
    [{ budgetDailyUsd: '0' }, /budgetDailyUsd/],
    [{ budgetDailyUsd: 'lots' }, /budgetDailyUsd/],
    [{ budgetMonthlyUsd: -5 }, /budgetMonthlyUsd/],
    [{ budgetMonthlyUsd: true }, /budgetMonthlyUsd/],
    [{ resultRetentionDays: '7' }, /resultRetentionDays/],
    [
      { webhookSecretArns: 'hooks.example.com=not-an-arn' },
      /webhookSecretArns.*hooks\.example\.com/,
    ],
    [
      {
        webhookSecretArns: {
          'Hooks.Example.com': 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:h',
        },
      },
      /webhookSecretArns/,
    ],
    [{ webhookSecretArns: '{not json' }, /"webhookSecretArns" is not valid JSON/],
  ])('fails synth naming the key for %j', (context, message) => {
    expect(() => stackPropsFromContext(contextOf(context))).toThrow(message);
  });
});

describe('Stack: BatchlaneStack configuration', () => {
  const { stack, template } = synthBatchlane({
    pollRateMinutes: 5,
    collectorBatchSize: 500,
    collectorBatchingWindowSeconds: 5,
    maxAttempts: 2,
    intakeMaxReceiveCount: 3,
    completionMaxAttempts: 4,
    publishRequestEvents: true,
    logLevel: 'DEBUG',
    artifactRetentionDays: 90,
    idempotencyTtlDays: 30,
    resultRetentionDays: 120,
    enabledProviders: ['anthropic'],
    priceTableOverride: priceTableOverrideOf([priceEntry('gpt-4.1-mini')]),
    costTagKey: 'team',
    autoBatchWindowSeconds: 43_200,
    autoMarginSeconds: 1800,
    escalateBeforeDeadlineSeconds: 3600,
    batchMaxAgeSeconds: 300,
    quotas: QUOTAS,
    quotaRetrySeconds: 120,
    budgetDailyUsd: 12.5,
    budgetMonthlyUsd: 300,
  });
  const resources = template.toJSON().Resources as Record<
    string,
    { Properties: Record<string, unknown> }
  >;
  const env = (fn: typeof stack.poller.function) =>
    environmentOf(template, logicalIdOf(stack, fn.function));

  it('applies the poll rate to the schedule and to the poll interval the runtime uses', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    expect(env(stack.poller.function)[ENV.pollIntervalSeconds]).toBe('300');
  });

  it('applies the collector batch size and batching window', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(stack, stack.collector.function.function) },
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
    });
  });

  it('applies provider attempts, request events and the log level to every function', () => {
    for (const fn of [stack.collector.function, stack.poller.function, stack.completion.function]) {
      expect(env(fn)).toMatchObject({
        [ENV.maxAttempts]: '2',
        [ENV.publishRequestEvents]: 'true',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
      });
    }
  });

  it('sets the cost, lane and admission settings on every function', () => {
    for (const fn of [
      stack.collector.function,
      stack.poller.function,
      stack.completion.function,
      stack.realtime.function,
    ]) {
      const variables = env(fn);
      expect(variables).toMatchObject({
        [ENV.costTagKey]: 'team',
        [ENV.autoBatchWindowSeconds]: '43200',
        [ENV.autoMarginSeconds]: '1800',
        [ENV.escalateBeforeDeadlineSeconds]: '3600',
        [ENV.batchMaxAgeSeconds]: '300',
        [ENV.quotaRetrySeconds]: '120',
        [ENV.budgetDailyUsd]: '12.5',
        [ENV.budgetMonthlyUsd]: '300',
      });
      expect(JSON.parse(String(variables[ENV.priceTable]))).toEqual(
        priceTableOverrideOf([priceEntry('gpt-4.1-mini')]),
      );
      expect(JSON.parse(String(variables[ENV.quotas]))).toEqual(QUOTAS);
    }
  });

  it('sets them so the runtime configuration loader reads back the values given', () => {
    // References resolve at deploy time; any text stands in for them here.
    const variables = Object.fromEntries(
      Object.entries(env(stack.collector.function)).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : `resolved-${name}`,
      ]),
    );
    const config = loadConfig(variables);
    expect(config).toMatchObject({
      costTagKey: 'team',
      autoBatchWindowSeconds: 43_200,
      autoMarginSeconds: 1800,
      escalateBeforeDeadlineSeconds: 3600,
      batchMaxAgeSeconds: 300,
      quotas: QUOTAS,
      quotaRetrySeconds: 120,
      budgetDailyUsd: 12.5,
      budgetMonthlyUsd: 300,
    });
    expect(config.priceTable.version).toBe(`${defaultPriceTable.version}+acme-2027-01`);
    expect(config.priceTable.providers['openai']).toContainEqual(
      expect.objectContaining({ model: 'gpt-4.1-mini', effective_from: '2027-01-01', input: 0.3 }),
    );
  });

  it('applies the receive counts to the redrive policies, apart from provider attempts', () => {
    expect(
      resources[logicalIdOf(stack, stack.intakeQueue.queue)]?.Properties.RedrivePolicy,
    ).toMatchObject({
      maxReceiveCount: 3,
    });
    expect(
      resources[logicalIdOf(stack, stack.completion.queue)]?.Properties.RedrivePolicy,
    ).toMatchObject({
      maxReceiveCount: 4,
    });
  });

  it('applies artifact retention, idempotency TTL and the enabled providers', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'batches/', ExpirationInDays: 90 }),
          Match.objectLike({ Prefix: 'parked/', ExpirationInDays: 120 }),
          Match.objectLike({ Prefix: 'results/oversize/', ExpirationInDays: 120 }),
        ]),
      },
    });
    expect(env(stack.collector.function)).toMatchObject({
      [ENV.idempotencyTtlSeconds]: String(30 * 24 * 3600),
      [ENV.enabledProviders]: 'anthropic',
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  it.each([
    [{ collectorBatchSize: 10_001 }, /batchSize/],
    [{ collectorBatchSize: 50, collectorBatchingWindowSeconds: 0 }, /maxBatchingWindow/],
    [{ pollRateMinutes: 0.5 }, /poll rate|poller timeout/],
    [{ maxAttempts: 0 }, /maxAttempts/],
    [{ maxAttempts: 2.5 }, /maxAttempts/],
    [{ intakeMaxReceiveCount: 0 }, /maxReceiveCount/],
    [{ artifactRetentionDays: 1 }, /artifactRetentionDays/],
    [{ enabledProviders: [] }, /enabledProviders/],
    [{ destinationQueueArns: ['arn:aws:sqs:eu-west-1:*:results'] }, /only a trailing \*/],
    [{ destinationQueueArns: ['arn:aws:sqs:eu-west-1:111111111111:re*s'] }, /only a trailing \*/],
    [
      { destinationQueueArns: ['https://sqs.eu-west-1.amazonaws.com/111111111111/results'] },
      /destinationQueueArns.*queue's ARN/,
    ],
    [{ destinationEventBusArns: ['callers'] }, /must be the bus's ARN/],
    [{ destinationBucketNames: ['Not_A_Bucket'] }, /destinationBucketNames.*bucket name/],
    // 14 days in the intake dead-letter queue, a redrive, 4 days in the intake queue.
    [{ idempotencyTtlDays: 7 }, /idempotencyTtlDays is 7.*at least 19/],
    [{ idempotencyTtlDays: 18 }, /at least 19/],
    [{ resultRetentionDays: 13 }, /resultRetentionDays/],
    [
      {
        env: { region: 'eu-west-1', account: '111111111111' },
        destinationQueueArns: ['arn:aws:sqs:us-east-1:111111111111:results'],
      },
      /is in us-east-1; this stack delivers in eu-west-1 only/,
    ],
    [{ defaultDestination: { type: 'sqs', queue_url: 'https://example.com/q' } }, /SQS queue URL/],
  ] as const)('refuses %j', (props, message) => {
    expect(() => synthBatchlane(props)).toThrow(message);
  });
});

describe('Stack: BatchlaneStack price table override size', () => {
  /** An override of `count` models, and the bytes it takes as an escaped JSON string value. */
  const overrideOf = (count: number) => {
    const override = priceTableOverrideOf(
      Array.from({ length: count }, (_, index) => priceEntry(`acme-model-${index}`)),
    );
    return { override, bytes: Buffer.byteLength(JSON.stringify(JSON.stringify(override))) };
  };

  it('synthesizes an override of several entries that fits the 4 KB environment', () => {
    const { override } = overrideOf(5);
    const { stack, template } = synthBatchlane({ priceTableOverride: override });
    const variables = environmentOf(
      template,
      logicalIdOf(stack, stack.collector.function.function),
    );
    expect(JSON.parse(String(variables[ENV.priceTable]))).toEqual(override);
  });

  it('fails synth naming the key when the override alone passes 4 KB', () => {
    const { override, bytes } = overrideOf(12);
    expect(bytes).toBeGreaterThan(4096);
    expect(() => synthBatchlane({ priceTableOverride: override })).toThrow(
      /priceTableOverride is too large: the environment variables of Test\/Collector\/Function would take about \d+ bytes, over Lambda's limit of 4096 bytes/,
    );
  });

  it('fails synth when the override fits 4 KB alone but not with the other variables', () => {
    const { override, bytes } = overrideOf(8);
    expect(bytes).toBeLessThan(4096);
    expect(() => synthBatchlane({ priceTableOverride: override })).toThrow(
      new RegExp(`${ENV.priceTable} alone takes ${bytes}\\)`),
    );
  });
});
