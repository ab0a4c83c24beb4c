import { z } from 'zod';
import { WEBHOOK_PROVIDERS, type WebhookProvider } from '../contract/providerPush.js';
import { PROVIDERS, type ProviderName } from '../contract/providers.js';
import { ConfigError } from '../domain/errors.js';
import { checkWebhookSecret } from '../domain/webhookSecrets.js';
import type { Env } from './loadConfig.js';

/** The webhook receiver's own variables (the rest of its configuration is every function's). */
const PUSH_ENV = {
  /** `{"openai": "<secret ARN>", "gemini": "<secret ARN>"}`: deployed stacks. */
  secretArns: 'BATCHLANE_PUSH_SECRET_ARNS',
  /** `{"openai": "whsec_…" | ["whsec_new", "whsec_old"], …}`: the local stack and tests. */
  secrets: 'BATCHLANE_PUSH_SECRETS',
  /** `openai,gemini,bedrock`: providers whose batch ends are pushed to this deployment. */
  pushedProviders: 'BATCHLANE_PUSHED_PROVIDERS',
} as const;

/** The providers named in `BATCHLANE_PUSHED_PROVIDERS` (unknown names are refused). */
const loadPushedProviders = (env: Env): ProviderName[] => {
  const names = (env[PUSH_ENV.pushedProviders] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(PROVIDERS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(`${PUSH_ENV.pushedProviders}: unknown provider ${unknown.join(', ')}`, {
      code: 'invalid_config',
      details: { name: PUSH_ENV.pushedProviders },
    });
  }
  return names as ProviderName[];
};

/** Where the providers' webhook secrets come from. */
type PushSecretsConfig =
  | {
      readonly source: 'secretsManager';
      readonly secretArnsByProvider: Partial<Record<WebhookProvider, string>>;
    }
  | {
      readonly source: 'static';
      readonly secretsByProvider: Partial<Record<WebhookProvider, readonly string[]>>;
    };

const providerKeys = z.enum(WEBHOOK_PROVIDERS);
const ArnsSchema = z.partialRecord(providerKeys, z.string().regex(/^arn:[^:]+:secretsmanager:/));
const SecretsSchema = z.partialRecord(
  providerKeys,
  z.union([z.string(), z.array(z.string()).min(1).max(2)]),
);

const parseJsonVariable = <T>(env: Env, name: string, schema: z.ZodType<T>): T | null => {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError(
      `${name} must be a JSON object keyed by ${WEBHOOK_PROVIDERS.join(' or ')}`,
      {
        code: 'invalid_config',
        details: { name },
      },
    );
  }
  return parsed.data;
};

/**
 * The receiver's secrets: ARNs when deployed, inline secrets locally; none configured means
 * every webhook is refused (`push_secret_missing`).
 */
const loadPushSecretsConfig = (env: Env): PushSecretsConfig => {
  const arns = parseJsonVariable(env, PUSH_ENV.secretArns, ArnsSchema);
  if (arns !== null) return { source: 'secretsManager', secretArnsByProvider: arns };
  const inline = parseJsonVariable(env, PUSH_ENV.secrets, SecretsSchema) ?? {};
  const secretsByProvider: Partial<Record<WebhookProvider, readonly string[]>> = {};
  for (const provider of WEBHOOK_PROVIDERS) {
    const value = inline[provider];
    if (value === undefined) continue;
    secretsByProvider[provider] = [value]
      .flat()
      .map((secret) => checkWebhookSecret(secret, `${PUSH_ENV.secrets} (${provider})`));
  }
  return { source: 'static', secretsByProvider };
};

export { loadPushedProviders, loadPushSecretsConfig, PUSH_ENV, type PushSecretsConfig };
