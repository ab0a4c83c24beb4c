import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, stackPropsFromContext } from '../../infra/stackPropsFromContext.js';
import { ENV } from '../../shared/config/BatchlaneConfig.js';
import { environmentOf, logicalIdOf, synthBatchlane } from './synthBatchlane.js';

const contextOf = (context: Record<string, unknown>) => new App({ context }).node;

describe('Function: stackPropsFromContext()', () => {
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
      }),
    );
    expect(props).toMatchObject({
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
      artifactRetentionDays: 30,
      idempotencyTtlDays: 7,
      destinationQueueArns: [],
    });
    expect(props.defaultDestination).toBeUndefined();
    expect(props.anthropicSecretArn).toBeUndefined();
    // cdk.json documents every key the app reads.
    expect(CONTEXT_KEYS.filter((key) => !(key in cdkJson.context))).toEqual([]);
  });

  it.each([
    [{ pollRateMinutes: '0' }, /pollRateMinutes/],
    [{ collectorBatchSize: 'many' }, /collectorBatchSize/],
    [{ collectorBatchingWindowSeconds: 301 }, /collectorBatchingWindowSeconds/],
    [{ enabledProviders: 'anthropic,gemini' }, /gemini/],
    [{ defaultDestination: '{"type":"ftp"}' }, /defaultDestination/],
    [{ defaultDestination: '{not json' }, /defaultDestination/],
    [{ destinationQueueArns: 42 }, /destinationQueueArns/],
    [{ maxAttempts: '101' }, /maxAttempts/],
    [{ intakeMaxReceiveCount: 0 }, /intakeMaxReceiveCount/],
    [{ publishRequestEvents: 'yes' }, /publishRequestEvents/],
    [{ logLevel: 'verbose' }, /logLevel/],
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
    idempotencyTtlDays: 2,
    enabledProviders: ['anthropic'],
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
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90 })] },
    });
    expect(env(stack.collector.function)).toMatchObject({
      [ENV.idempotencyTtlSeconds]: String(2 * 24 * 3600),
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
    [{ destinationQueueArns: ['arn:aws:sqs:eu-west-1:111111111111:*'] }, /wildcards/],
    [{ destinationEventBusArns: ['callers'] }, /full ARN/],
    [{ destinationBucketNames: ['Not_A_Bucket'] }, /bucket name/],
    [{ defaultDestination: { type: 'sqs', queue_url: 'https://example.com/q' } }, /SQS queue URL/],
  ] as const)('refuses %j', (props, message) => {
    expect(() => synthBatchlane(props)).toThrow(message);
  });
});
