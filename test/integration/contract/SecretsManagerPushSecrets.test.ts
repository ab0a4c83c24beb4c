import { describe, expect, it } from 'vitest';
import { SecretsManagerPushSecrets } from '../../../shared/adapters/aws/SecretsManagerPushSecrets.js';
import type { WebhookProvider } from '../../../shared/contract/providerPush.js';
import { NotFoundError } from '../../../shared/domain/errors.js';
import { describePushSecretsContract } from '../../contract/PushSecretsContract.js';
import {
  secretsManagerClientOn,
  startSecretsManagerStub,
  startStubbedSecrets,
} from '../../support/secretsManagerStub.js';

const arnOf = (provider: string): string =>
  `arn:aws:secretsmanager:us-east-1:000000000000:secret:batchlane-${provider}-webhook-AbCdEf`;

describePushSecretsContract(
  'SecretsManagerPushSecrets on a local Secrets Manager',
  async (configured) => {
    // One secret per provider: a bare whsec_…, or both while a rotation is under way.
    const { client, arns, close } = await startStubbedSecrets(configured, arnOf);
    return {
      port: new SecretsManagerPushSecrets({
        client: () => client,
        secretArnsByProvider: arns as Partial<Record<WebhookProvider, string>>,
      }),
      close,
    };
  },
);

describe('SecretsManagerPushSecrets against the store', () => {
  it('reads a provider once per TTL, and translates a deleted secret and an unreachable store', async () => {
    const stub = await startSecretsManagerStub();
    const client = secretsManagerClientOn(stub.endpoint);
    const dead = secretsManagerClientOn('http://127.0.0.1:9');
    try {
      const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      stub.put(arnOf('openai'), secret);
      const arns = { openai: arnOf('openai'), gemini: arnOf('gemini') };
      const secrets = new SecretsManagerPushSecrets({
        client: () => client,
        secretArnsByProvider: arns,
      });
      expect(await secrets.secretsFor('openai')).toEqual([secret]);
      expect(await secrets.secretsFor('openai')).toEqual([secret]);
      expect(stub.reads()).toEqual([arnOf('openai')]);
      // Configured, but the secret was deleted: not a retry matter.
      await expect(secrets.secretsFor('gemini')).rejects.toBeInstanceOf(NotFoundError);
      const unreachable = new SecretsManagerPushSecrets({
        client: () => dead,
        secretArnsByProvider: arns,
      });
      await expect(unreachable.secretsFor('openai')).rejects.toMatchObject({ retryable: true });
    } finally {
      client.destroy();
      dead.destroy();
      await stub.stop();
    }
  });
});
