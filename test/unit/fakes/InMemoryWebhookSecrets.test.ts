import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StaticWebhookSecrets } from '../../../shared/adapters/system/StaticWebhookSecrets.js';
import { UnavailableError } from '../../../shared/domain/errors.js';
import { describeWebhookSecretsContract } from '../../contract/WebhookSecretsContract.js';
import { InMemoryWebhookSecrets } from '../../support/fakes/InMemoryWebhookSecrets.js';

describeWebhookSecretsContract('InMemoryWebhookSecrets', async (configured) => ({
  port: new InMemoryWebhookSecrets(configured),
}));

describeWebhookSecretsContract('StaticWebhookSecrets', async (configured) => ({
  port: new StaticWebhookSecrets(configured),
}));

describe('InMemoryWebhookSecrets beyond the contract', () => {
  const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
  const url = new URL('https://hooks.example.com/');

  it('rotates: the next secret signs first while the current one still signs', async () => {
    const [current, next] = [secret(), secret()];
    const secrets = new InMemoryWebhookSecrets({ 'hooks.example.com': [current] });
    secrets.rotate('hooks.example.com', next);
    expect(await secrets.secretsFor(url)).toEqual([next, current]);
  });

  it('fails reads as an unreachable store would, until told otherwise', async () => {
    const secrets = new InMemoryWebhookSecrets({ 'hooks.example.com': [secret()] });
    secrets.failWith(new UnavailableError('down', { code: 'unavailable' }));
    await expect(secrets.secretsFor(url)).rejects.toMatchObject({ retryable: true });
    secrets.failWith(null);
    await expect(secrets.secretsFor(url)).resolves.toHaveLength(1);
  });
});
