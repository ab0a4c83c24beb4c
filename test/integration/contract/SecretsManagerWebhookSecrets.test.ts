import { describe, expect, it } from 'vitest';
import { SecretsManagerWebhookSecrets } from '../../../shared/adapters/aws/SecretsManagerWebhookSecrets.js';
import { NotFoundError } from '../../../shared/domain/errors.js';
import { describeWebhookSecretsContract } from '../../contract/WebhookSecretsContract.js';
import {
  secretsManagerClientOn,
  startSecretsManagerStub,
  startStubbedSecrets,
} from '../../support/secretsManagerStub.js';

const arnOf = (host: string): string =>
  `arn:aws:secretsmanager:us-east-1:000000000000:secret:hooks-${host.replaceAll(':', '_')}-AbCdEf`;

describeWebhookSecretsContract(
  'SecretsManagerWebhookSecrets on a local Secrets Manager',
  async (configured) => {
    // One secret per host: a bare whsec_…, or both while a rotation is under way.
    const { client, arns, close } = await startStubbedSecrets(configured, arnOf);
    return {
      port: new SecretsManagerWebhookSecrets({ client: () => client, secretArnsByHost: arns }),
      close,
    };
  },
);

describe('SecretsManagerWebhookSecrets against the store', () => {
  it('reads a host once per TTL, and translates a missing secret and an unreachable store', async () => {
    const stub = await startSecretsManagerStub();
    const client = secretsManagerClientOn(stub.endpoint);
    const dead = secretsManagerClientOn('http://127.0.0.1:9');
    try {
      const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      stub.put(arnOf('a.example.com'), secret);
      const arns = { 'a.example.com': arnOf('a.example.com'), 'b.example.com': arnOf('b') };
      const secrets = new SecretsManagerWebhookSecrets({
        client: () => client,
        secretArnsByHost: arns,
      });
      expect(await secrets.secretsFor(new URL('https://a.example.com/1'))).toEqual([secret]);
      expect(await secrets.secretsFor(new URL('https://a.example.com/2'))).toEqual([secret]);
      expect(stub.reads()).toEqual([arnOf('a.example.com')]);
      // Configured, but the secret was deleted: not a retry matter.
      await expect(secrets.secretsFor(new URL('https://b.example.com/'))).rejects.toBeInstanceOf(
        NotFoundError,
      );
      const unreachable = new SecretsManagerWebhookSecrets({
        client: () => dead,
        secretArnsByHost: arns,
      });
      await expect(unreachable.secretsFor(new URL('https://a.example.com/'))).rejects.toMatchObject(
        { retryable: true },
      );
    } finally {
      client.destroy();
      dead.destroy();
      await stub.stop();
    }
  });
});
