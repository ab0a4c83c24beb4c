import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookProvider } from '../../shared/contract/providerPush.js';
import { InvalidInputError } from '../../shared/domain/errors.js';
import type { PushSecrets } from '../../shared/ports/PushSecrets.js';
import type { Subject } from './subject.js';

/** Secrets per webhook provider, newest first, as a deployment configures them. */
type SecretsByProvider = Readonly<Partial<Record<WebhookProvider, readonly string[]>>>;

const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

const ONE = newSecret();
const NEW = newSecret();
const OLD = newSecret();

/**
 * What every subject is configured with: OpenAI's endpoint with one secret, Gemini's during a
 * rotation. `none` is configured with no provider at all.
 */
const CONFIGURED: SecretsByProvider = { openai: [ONE], gemini: [NEW, OLD] };

/**
 * What every {@link PushSecrets} does: each webhook provider has its own live secrets,
 * newest first, two during a rotation; a provider with none configured is refused with
 * `push_secret_missing`, for good (a webhook no secret can verify is never genuine).
 */
const describePushSecretsContract = (
  name: string,
  makeSubject: (configured: SecretsByProvider) => Promise<Subject<PushSecrets>>,
) => {
  describe(`PushSecrets contract: ${name}`, () => {
    let subject: Subject<PushSecrets>;
    let none: Subject<PushSecrets>;

    beforeAll(async () => {
      subject = await makeSubject(CONFIGURED);
      none = await makeSubject({});
    });
    afterAll(async () => {
      await subject.close?.();
      await none.close?.();
    });

    it("gives a provider's one secret", async () => {
      expect(await subject.port.secretsFor('openai')).toEqual([ONE]);
    });

    it('gives both secrets during a rotation, the newest first', async () => {
      expect(await subject.port.secretsFor('gemini')).toEqual([NEW, OLD]);
    });

    it("gives each provider its own secrets, never another's", async () => {
      const [openai, gemini] = await Promise.all([
        subject.port.secretsFor('openai'),
        subject.port.secretsFor('gemini'),
      ]);
      expect(openai).not.toContain(NEW);
      expect(gemini).not.toContain(ONE);
    });

    it('refuses a provider with no secret configured, for good', async () => {
      for (const provider of ['openai', 'gemini'] as const) {
        const read = none.port.secretsFor(provider);
        await expect(read).rejects.toBeInstanceOf(InvalidInputError);
        await expect(read).rejects.toMatchObject({
          code: 'push_secret_missing',
          retryable: false,
        });
      }
    });
  });
};

export { describePushSecretsContract, type SecretsByProvider };
