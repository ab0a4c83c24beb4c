import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StaticWebhookSecrets } from '../../../shared/adapters/system/StaticWebhookSecrets.js';
import { ENV } from '../../../shared/config/BatchlaneConfig.js';
import { parseWebhookSecrets } from '../../../shared/config/loadConfig.js';
import { ConfigError, InvalidInputError } from '../../../shared/domain/errors.js';
import { parseWebhookSecretValue, webhookHostOf } from '../../../shared/domain/webhookSecrets.js';

const secret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

describe('Function: parseWebhookSecretValue()', () => {
  it('reads a bare secret, and both secrets of a rotation with the newest first', () => {
    const [a, b] = [secret(), secret()];
    expect(parseWebhookSecretValue(` ${a}\n`, 's')).toEqual([a]);
    expect(parseWebhookSecretValue(JSON.stringify({ current: a, previous: b }), 's')).toEqual([
      a,
      b,
    ]);
    expect(parseWebhookSecretValue(JSON.stringify({ current: a, previous: '' }), 's')).toEqual([a]);
    expect(parseWebhookSecretValue(JSON.stringify({ current: a, previous: a }), 's')).toEqual([a]);
  });

  it.each([
    ['', 'empty'],
    ['not-whsec', 'no prefix'],
    ['whsec_c2hvcnQ=', 'too short a key'],
    ['whsec_not base64!', 'not base64'],
    ['{"previous":"whsec_x"}', 'no current secret'],
    ['{broken', 'broken JSON'],
  ])('refuses %j (%s) with a ConfigError naming where it came from', (value) => {
    expect(() => parseWebhookSecretValue(value, 'arn:secret:x')).toThrow(ConfigError);
    expect(() => parseWebhookSecretValue(value, 'arn:secret:x')).toThrow(/arn:secret:x/);
  });
});

describe('Function: webhookHostOf()', () => {
  it('keys a URL by its lower-case host name, without port or brackets', () => {
    expect(webhookHostOf(new URL('https://Hooks.Example.com:8443/x'))).toBe('hooks.example.com');
    expect(webhookHostOf(new URL('http://[::1]:80/x'))).toBe('::1');
  });
});

describe('Function: parseWebhookSecrets()', () => {
  it('reads Secrets Manager ARNs per host, or secrets per host for local runs', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:hooks-AbCdEf';
    expect(
      parseWebhookSecrets({
        [ENV.webhookSecretArns]: JSON.stringify({ 'hooks.example.com': arn }),
      }),
    ).toEqual({ source: 'secretsManager', secretArnsByHost: { 'hooks.example.com': arn } });
    const [a, b] = [secret(), secret()];
    expect(
      parseWebhookSecrets({
        [ENV.webhookSecrets]: JSON.stringify({ '127.0.0.1': a, localhost: [a, b] }),
      }),
    ).toEqual({ source: 'inline', secretsByHost: { '127.0.0.1': [a], localhost: [a, b] } });
    expect(parseWebhookSecrets({})).toBeNull();
  });

  it.each([
    [ENV.webhookSecretArns, '["arn"]'],
    [ENV.webhookSecretArns, '{"hooks.example.com":"not-an-arn"}'],
    [ENV.webhookSecrets, '{"localhost":"plain-text"}'],
    [ENV.webhookSecrets, '{"localhost":[]}'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => parseWebhookSecrets({ [name]: value })).toThrow(ConfigError);
  });
});

describe('Class: StaticWebhookSecrets', () => {
  it('gives each host its own secrets and refuses a host without any', async () => {
    const a = secret();
    const secrets = new StaticWebhookSecrets({ 'hooks.example.com': [a] });
    await expect(secrets.secretsFor(new URL('https://HOOKS.example.com/r'))).resolves.toEqual([a]);
    const refused = secrets.secretsFor(new URL('https://other.example.com/r'));
    await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refused).rejects.toMatchObject({
      code: 'webhook_secret_missing',
      retryable: false,
    });
  });
});
