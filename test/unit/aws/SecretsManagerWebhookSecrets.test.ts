import { randomBytes } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { SecretsManagerWebhookSecrets } from '../../../shared/adapters/aws/SecretsManagerWebhookSecrets.js';
import { ConfigError } from '../../../shared/domain/errors.js';

const secret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
const ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:hooks-AbCdEf';
const URL_A = new URL('https://hooks.example.com/results');

/** A Secrets Manager client answering from `values` (one per read), counting its reads. */
const fakeClient = (values: (string | Error)[]) => {
  const reads: string[] = [];
  const client = {
    send: async (command: { input: { SecretId: string } }) => {
      reads.push(command.input.SecretId);
      const next = values.shift();
      if (next instanceof Error) throw next;
      return { SecretString: next };
    },
  } as unknown as SecretsManagerClient;
  return { client, reads };
};

describe('Class: SecretsManagerWebhookSecrets', () => {
  it('reads the host secret once per TTL, and again after it (a rotation step is picked up)', async () => {
    const [first, second] = [secret(), secret()];
    const { client, reads } = fakeClient([
      first,
      JSON.stringify({ current: second, previous: first }),
    ]);
    let now = 0;
    const secrets = new SecretsManagerWebhookSecrets({
      client: () => client,
      secretArnsByHost: { 'hooks.example.com': ARN },
      ttlMs: 60_000,
      now: () => now,
    });
    expect(await secrets.secretsFor(URL_A)).toEqual([first]);
    now = 59_000;
    expect(await secrets.secretsFor(URL_A)).toEqual([first]);
    expect(reads).toEqual([ARN]);
    now = 60_001;
    expect(await secrets.secretsFor(URL_A)).toEqual([second, first]);
    expect(reads).toEqual([ARN, ARN]);
  });

  it('translates a throttled read into a retryable error and does not keep the failure', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    const value = secret();
    const { client } = fakeClient([throttled, value]);
    const secrets = new SecretsManagerWebhookSecrets({
      client: () => client,
      secretArnsByHost: { 'hooks.example.com': ARN },
    });
    await expect(secrets.secretsFor(URL_A)).rejects.toMatchObject({ retryable: true });
    expect(await secrets.secretsFor(URL_A)).toEqual([value]);
  });

  it('refuses a secret that is not whsec_, naming the secret', async () => {
    const { client } = fakeClient(['hunter2']);
    const secrets = new SecretsManagerWebhookSecrets({
      client: () => client,
      secretArnsByHost: { 'hooks.example.com': ARN },
    });
    const read = secrets.secretsFor(URL_A);
    await expect(read).rejects.toBeInstanceOf(ConfigError);
    await expect(read).rejects.toThrow(ARN);
  });

  it('refuses a host without a secret and never builds the client', async () => {
    const secrets = new SecretsManagerWebhookSecrets({
      client: () => {
        throw new Error('no client expected');
      },
      secretArnsByHost: { 'hooks.example.com': ARN },
    });
    await expect(secrets.secretsFor(new URL('https://evil.example.net/'))).rejects.toMatchObject({
      code: 'webhook_secret_missing',
      retryable: false,
    });
  });
});
