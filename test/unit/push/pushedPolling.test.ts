import { describe, expect, it } from 'vitest';
import { loadPushedProviders, loadPushSecretsConfig } from '../../../shared/config/pushConfig.js';
import { CompletionQueueMessageSchema } from '../../../shared/contract/providerPush.js';
import { nextPollDelayMs } from '../../../shared/domain/nextPollDelay.js';

const MINUTE = 60_000;

describe('polling where the provider pushes', () => {
  it('polls a pushed batch five times less often, up to an hour', () => {
    const base = MINUTE;
    expect(nextPollDelayMs({ ageMs: 0, baseIntervalMs: base })).toBe(MINUTE);
    expect(nextPollDelayMs({ ageMs: 0, baseIntervalMs: base, pushExpected: true })).toBe(
      5 * MINUTE,
    );
    // Old batches: 15 min polled, 60 min (not 75) pushed.
    expect(nextPollDelayMs({ ageMs: 10 * 3600_000, baseIntervalMs: base })).toBe(15 * MINUTE);
    expect(
      nextPollDelayMs({ ageMs: 10 * 3600_000, baseIntervalMs: base, pushExpected: true }),
    ).toBe(60 * MINUTE);
    // A provider's Retry-After still wins.
    expect(
      nextPollDelayMs({ ageMs: 0, baseIntervalMs: base, pushExpected: true, retryAfterMs: 9e6 }),
    ).toBe(9e6);
  });

  it('reads the pushed providers, and refuses a name it does not know', () => {
    expect(loadPushedProviders({})).toEqual([]);
    expect(loadPushedProviders({ BATCHLANE_PUSHED_PROVIDERS: 'openai, bedrock' })).toEqual([
      'openai',
      'bedrock',
    ]);
    expect(() => loadPushedProviders({ BATCHLANE_PUSHED_PROVIDERS: 'openai,mystery' })).toThrow(
      /unknown provider mystery/,
    );
  });
});

describe('the receiver configuration', () => {
  const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

  it('takes Secrets Manager ARNs deployed, and inline secrets locally (two during a rotation)', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:hook-AbCdEf';
    expect(
      loadPushSecretsConfig({ BATCHLANE_PUSH_SECRET_ARNS: JSON.stringify({ openai: arn }) }),
    ).toEqual({ source: 'secretsManager', secretArnsByProvider: { openai: arn } });
    expect(
      loadPushSecretsConfig({
        BATCHLANE_PUSH_SECRETS: JSON.stringify({ gemini: [secret, secret.replace('B', 'C')] }),
      }),
    ).toEqual({
      source: 'static',
      secretsByProvider: { gemini: [secret, secret.replace('B', 'C')] },
    });
  });

  it('refuses a provider that sends no webhooks, a bad ARN and a weak secret', () => {
    expect(() =>
      loadPushSecretsConfig({ BATCHLANE_PUSH_SECRETS: JSON.stringify({ anthropic: secret }) }),
    ).toThrow(/BATCHLANE_PUSH_SECRETS/);
    expect(() =>
      loadPushSecretsConfig({ BATCHLANE_PUSH_SECRET_ARNS: JSON.stringify({ openai: 'nope' }) }),
    ).toThrow(/BATCHLANE_PUSH_SECRET_ARNS/);
    expect(() =>
      loadPushSecretsConfig({
        BATCHLANE_PUSH_SECRETS: JSON.stringify({ openai: 'whsec_c2hvcnQ=' }),
      }),
    ).toThrow(/at least 24 random bytes/);
  });
});

describe('completion queue messages', () => {
  const parse = (body: unknown) =>
    CompletionQueueMessageSchema.safeParse(typeof body === 'string' ? body : JSON.stringify(body));

  it('reads the poller’s and the receiver’s {batch_id}', () => {
    expect(parse({ batch_id: 'bl_1' }).data).toEqual({ batch_id: 'bl_1' });
  });

  it('reads Bedrock’s job state change, as the stack’s rule sends it', () => {
    const event = {
      version: '0',
      id: 'e-1',
      'detail-type': 'Batch Inference Job State Change',
      source: 'aws.bedrock',
      account: '111111111111',
      time: '2026-12-06T12:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {
        batchJobArn: 'arn:aws:bedrock:us-east-1:111111111111:model-invocation-job/abc',
        batchJobName: 'batchlane-bl-01abc',
        status: 'Completed',
      },
    };
    expect(parse(event).data).toMatchObject({ detail: { batchJobName: 'batchlane-bl-01abc' } });
  });

  it('refuses what names no batch', () => {
    expect(parse('not json').success).toBe(false);
    expect(parse({ batch_id: '' }).success).toBe(false);
    expect(parse({ source: 'aws.s3', detail: { batchJobName: 'x' } }).success).toBe(false);
    expect(parse({ source: 'aws.bedrock', detail: {} }).success).toBe(false);
  });
});
