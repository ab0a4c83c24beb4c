import { ConfigError, InvalidInputError } from './errors.js';

/** Standard Webhooks secrets: `whsec_` and the base64 of the HMAC-SHA256 key. */
const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The signing secrets of each webhook host: the newest first, at most two (rotation). */
type WebhookSecretsByHost = Readonly<Record<string, readonly string[]>>;

/** Throws unless `secret` is `whsec_` followed by the base64 of at least 24 bytes. */
const checkWebhookSecret = (secret: string, source: string): string => {
  const key = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : '';
  if (!BASE64.test(key) || Buffer.from(key, 'base64').length < 24) {
    throw new ConfigError(
      `${source}: a webhook secret must be "${SECRET_PREFIX}" followed by the base64 of at least 24 random bytes`,
      { code: 'invalid_webhook_secret', details: { source } },
    );
  }
  return secret;
};

/**
 * The live secrets held in one stored value: a bare `whsec_…`, or during a rotation
 * `{"current": "whsec_new", "previous": "whsec_old"}`, where deliveries are signed with both
 * (the newest first) until `previous` is removed.
 */
const parseWebhookSecretValue = (value: string, source: string): string[] => {
  const trimmed = value.trim();
  if (!trimmed.startsWith('{')) return [checkWebhookSecret(trimmed, source)];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new ConfigError(`${source}: the webhook secret is neither whsec_… nor valid JSON`, {
      code: 'invalid_webhook_secret',
      details: { source },
    });
  }
  const { current, previous } = (parsed ?? {}) as { current?: unknown; previous?: unknown };
  if (typeof current !== 'string') {
    throw new ConfigError(`${source}: the webhook secret JSON needs a "current" secret`, {
      code: 'invalid_webhook_secret',
      details: { source },
    });
  }
  const secrets = [checkWebhookSecret(current, source)];
  if (typeof previous === 'string' && previous !== '' && previous !== current) {
    secrets.push(checkWebhookSecret(previous, source));
  }
  return secrets;
};

/**
 * The key a webhook URL's secret is configured under: its host name, lower case, without the
 * port. Each receiving host has a secret of its own; no secret is shared between hosts.
 */
const webhookHostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();

/** The refusal of a delivery to a host no secret is configured for. */
const noSecretFor = (host: string): InvalidInputError =>
  new InvalidInputError(
    `no webhook signing secret is configured for host ${host}: add one to the deployment's webhook secrets`,
    { code: 'webhook_secret_missing', details: { host } },
  );

export {
  checkWebhookSecret,
  noSecretFor,
  parseWebhookSecretValue,
  type WebhookSecretsByHost,
  webhookHostOf,
};
