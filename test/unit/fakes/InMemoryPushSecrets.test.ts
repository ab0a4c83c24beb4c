import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StaticPushSecrets } from '../../../shared/adapters/system/StaticPushSecrets.js';
import { UnavailableError } from '../../../shared/domain/errors.js';
import { describePushSecretsContract } from '../../contract/PushSecretsContract.js';
import { InMemoryPushSecrets } from '../../support/fakes/InMemoryPushSecrets.js';

describePushSecretsContract('InMemoryPushSecrets', async (configured) => ({
  port: new InMemoryPushSecrets(configured),
}));

describePushSecretsContract('StaticPushSecrets', async (configured) => ({
  port: new StaticPushSecrets(configured),
}));

describe('InMemoryPushSecrets beyond the contract', () => {
  const secret = () => `whsec_${randomBytes(32).toString('base64')}`;

  it('rotates: the next secret is the newest while the current one still verifies', async () => {
    const [current, next] = [secret(), secret()];
    const secrets = new InMemoryPushSecrets({ openai: [current] });
    secrets.rotate('openai', next);
    expect(await secrets.secretsFor('openai')).toEqual([next, current]);
  });

  it('fails reads as an unreachable store would, until told otherwise', async () => {
    const secrets = new InMemoryPushSecrets({ gemini: [secret()] });
    secrets.failWith(new UnavailableError('down', { code: 'unavailable' }));
    await expect(secrets.secretsFor('gemini')).rejects.toMatchObject({ retryable: true });
    secrets.failWith(null);
    await expect(secrets.secretsFor('gemini')).resolves.toHaveLength(1);
  });
});
