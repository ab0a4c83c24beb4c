import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../shared/domain/errors.js';
import type { WebhookSecrets } from '../../shared/ports/WebhookSecrets.js';
import type { Subject } from './subject.js';

/** Secrets per host, newest first, as a deployment configures them. */
type SecretsByHost = Readonly<Record<string, readonly string[]>>;

const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

const ONE = newSecret();
const NEW = newSecret();
const OLD = newSecret();
const IPV6 = newSecret();
/** What every subject is configured with. */
const CONFIGURED: SecretsByHost = {
  'hooks.example.com': [ONE],
  'Rotating.Example.com': [NEW, OLD],
  '::1': [IPV6],
};

/**
 * What every {@link WebhookSecrets} does: a URL's host (whatever its case, port or path) has
 * its own live secrets, newest first, two during a rotation; a host with none is refused with
 * `webhook_secret_missing`, for good.
 */
const describeWebhookSecretsContract = (
  name: string,
  makeSubject: (configured: SecretsByHost) => Promise<Subject<WebhookSecrets>>,
) => {
  describe(`WebhookSecrets contract: ${name}`, () => {
    let subject: Subject<WebhookSecrets>;

    beforeAll(async () => {
      subject = await makeSubject(CONFIGURED);
    });
    afterAll(() => subject.close?.());

    it("gives a host's one secret", async () => {
      expect(await subject.port.secretsFor(new URL('https://hooks.example.com/results'))).toEqual([
        ONE,
      ]);
    });

    it('gives both secrets during a rotation, the newest first', async () => {
      expect(await subject.port.secretsFor(new URL('https://rotating.example.com/'))).toEqual([
        NEW,
        OLD,
      ]);
    });

    it('keys on the host alone: not its case, port, path or query', async () => {
      for (const url of [
        'https://HOOKS.Example.COM/other/path?x=1',
        'https://hooks.example.com:8443/results',
        'http://hooks.example.com/',
      ]) {
        expect(await subject.port.secretsFor(new URL(url))).toEqual([ONE]);
      }
      expect(await subject.port.secretsFor(new URL('http://[::1]:9000/hook'))).toEqual([IPV6]);
    });

    it('refuses a host with no secret, even one under a configured domain, for good', async () => {
      for (const url of ['https://other.example.com/', 'https://sub.hooks.example.com/']) {
        const read = subject.port.secretsFor(new URL(url));
        await expect(read).rejects.toBeInstanceOf(InvalidInputError);
        await expect(read).rejects.toMatchObject({
          code: 'webhook_secret_missing',
          retryable: false,
        });
      }
    });
  });
};

export { describeWebhookSecretsContract, type SecretsByHost };
