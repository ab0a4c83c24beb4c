import { z } from 'zod';
import { DestinationSchema } from '../contract/destination.js';
import {
  BUILT_IN_PROFILES,
  type ProviderProfile,
  resolveProfiles,
} from '../contract/providerProfile.js';
import { providerRegistry } from '../contract/providerRegistry.js';
import { DEFAULT_ENABLED_PROVIDERS, type ProviderName } from '../contract/providers.js';
import {
  AllowListSyntaxError,
  type DestinationPolicy,
  parseDestinationPolicy,
} from '../domain/destinationPolicy.js';
import { ConfigError, errorMessage } from '../domain/errors.js';
import { defaultPriceTable } from '../domain/pricing/defaultPriceTable.js';
import { resolvePriceTable } from '../domain/pricing/loadPriceTable.js';
import type { PriceTable } from '../domain/pricing/PriceTable.js';
import { profilePriceTable } from '../domain/pricing/profilePrices.js';
import { NAMESPACE_PATTERN, PRINCIPAL_PATTERN, type ProducerPolicy } from '../domain/producer.js';
import { checkWebhookSecret } from '../domain/webhookSecrets.js';
import {
  type BatchlaneConfig,
  type BedrockConfig,
  ENV,
  type ProviderConnection,
  profileEnvNames,
  type WebhookSecretsConfig,
} from './BatchlaneConfig.js';

type Env = Readonly<Record<string, string | undefined>>;

const required = (env: Env, name: string): string => {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(`environment variable ${name} is required`, {
      code: 'missing_config',
      details: { name },
    });
  }
  return value.trim();
};

const optional = (env: Env, name: string): string | null => {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? null : value;
};

const nonNegativeInt = (env: Env, name: string, fallback: number): number => {
  const raw = optional(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(
      `environment variable ${name} must be a non-negative integer, got "${raw}"`,
      { code: 'invalid_config', details: { name } },
    );
  }
  return value;
};

/**
 * A minute of filling: batches fill up when the queue is deep, and a lone request waits at
 * most about a minute plus one poller period before it is submitted (a rounding error next
 * to the provider's own hours).
 */
const DEFAULT_BATCH_MAX_AGE_SECONDS = 60;

const positiveInt = (env: Env, name: string, fallback: number | null): number | null => {
  const raw = optional(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`environment variable ${name} must be a positive integer, got "${raw}"`, {
      code: 'invalid_config',
      details: { name },
    });
  }
  return value;
};

const parseDestination = (env: Env): BatchlaneConfig['defaultDestination'] => {
  const raw = optional(env, ENV.defaultDestination);
  if (raw === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new ConfigError(`${ENV.defaultDestination} is not valid JSON`, {
      code: 'invalid_config',
      cause,
    });
  }
  const parsed = DestinationSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      `${ENV.defaultDestination} is not a valid destination: ${z.prettifyError(parsed.error)}`,
      {
        code: 'invalid_config',
      },
    );
  }
  return parsed.data;
};

/**
 * 64 MiB: a body is held several times over while it is decoded, parsed and rendered as a
 * provider line, in a collector of 1,024 MB that holds the rest of its invocation too.
 */
const DEFAULT_MAX_CLAIM_CHECK_BYTES = 64 * 1024 * 1024;

/** The destination allow-list; an entry it cannot read stops the function at start. */
const parsePolicy = (env: Env): DestinationPolicy => {
  try {
    return parseDestinationPolicy(optional(env, ENV.destinationAllowList));
  } catch (error) {
    if (!(error instanceof AllowListSyntaxError)) throw error;
    throw new ConfigError(`${ENV.destinationAllowList}: ${error.message}`, {
      code: 'invalid_config',
      cause: error,
      details: { name: ENV.destinationAllowList },
    });
  }
};

/** The providers the deployment enables: built-in ones, or ids of its profiles. */
const parseProviders = (
  env: Env,
  profiles: Readonly<Record<string, ProviderProfile>>,
): ProviderName[] => {
  const raw = optional(env, ENV.enabledProviders);
  // Bedrock needs its service role; without one it is not on by default.
  if (raw === null) {
    return optional(env, ENV.bedrockRoleArn) === null
      ? [...DEFAULT_ENABLED_PROVIDERS]
      : [...DEFAULT_ENABLED_PROVIDERS, 'bedrock'];
  }
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = providerRegistry(profiles);
  for (const name of names) {
    if (!known.has(name)) {
      throw new ConfigError(
        `${ENV.enabledProviders} names unknown provider "${name}" (neither built in nor in ${ENV.providerProfiles})`,
        { code: 'invalid_config' },
      );
    }
  }
  return names;
};

const connection = (
  env: Env,
  keyVar: string,
  arnVar: string,
  urlVar: string,
): ProviderConnection => ({
  apiKey: optional(env, keyVar),
  secretArn: optional(env, arnVar),
  baseUrl: optional(env, urlVar),
});

/**
 * Every profile: the built-in ones with the deployment's changes, and its own
 * (`BATCHLANE_PROVIDER_PROFILES`, a JSON list).
 */
const parseProfiles = (env: Env): Readonly<Record<string, ProviderProfile>> => {
  const raw = optional(env, ENV.providerProfiles);
  if (raw === null) return { ...BUILT_IN_PROFILES };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError(`${ENV.providerProfiles} is not JSON: ${errorMessage(error)}`, {
      code: 'invalid_config',
      details: { name: ENV.providerProfiles },
    });
  }
  const applied = resolveProfiles(parsed);
  if (!applied.ok) {
    throw new ConfigError(`${ENV.providerProfiles}: ${applied.issues.join('; ')}`, {
      code: 'invalid_config',
      details: { name: ENV.providerProfiles },
    });
  }
  return applied.profiles;
};

/** Each profile's connection: its key variable, secret ARN and base URL override. */
const profileConnections = (
  env: Env,
  profiles: Readonly<Record<string, ProviderProfile>>,
): Record<string, ProviderConnection> =>
  Object.fromEntries(
    Object.values(profiles).map((profile) => {
      const names = profileEnvNames(profile.id);
      return [profile.id, connection(env, profile.key.envVar, names.secretArn, names.baseUrl)];
    }),
  );

const QuotasSchema = z.record(
  z.string(),
  z.record(
    z.string(),
    z
      .object({
        requests: z.number().int().positive().optional(),
        tokens: z.number().int().positive().optional(),
      })
      .strict(),
  ),
);

/** `{"openai": {"gpt-4o-mini": {"tokens": 2000000}}, "anthropic": {"*": {"requests": 100000}}}`. */
const parseQuotas = (env: Env): BatchlaneConfig['quotas'] => {
  const raw = optional(env, ENV.quotas);
  if (raw === null) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${ENV.quotas} must be JSON`, { code: 'invalid_config' });
  }
  const parsed = QuotasSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`${ENV.quotas}: ${z.prettifyError(parsed.error)}`, {
      code: 'invalid_config',
    });
  }
  return parsed.data;
};

/**
 * Producer namespaces by principal pattern: `{"AROAEXAMPLEROLEID": "team-a", "1234567890*":
 * "team-b"}`. A pattern is a SenderId or its principal (before `:`), exact or ending in `*`.
 */
const ProducerNamespacesSchema = z.record(
  z.string().regex(PRINCIPAL_PATTERN, 'a SenderId or principal id, optionally ending in *'),
  z
    .string()
    .regex(
      NAMESPACE_PATTERN,
      "a namespace: letters, digits, _ . - (up to 64), or '' for the default producer",
    ),
);

const parseProducers = (env: Env): ProducerPolicy => {
  const raw = optional(env, ENV.producerNamespaces);
  let namespaces: ProducerPolicy['namespaces'] = [];
  if (raw !== null) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ConfigError(`${ENV.producerNamespaces} must be JSON`, { code: 'invalid_config' });
    }
    const parsed = ProducerNamespacesSchema.safeParse(json);
    if (!parsed.success) {
      throw new ConfigError(`${ENV.producerNamespaces}: ${z.prettifyError(parsed.error)}`, {
        code: 'invalid_config',
      });
    }
    namespaces = Object.entries(parsed.data).map(([pattern, namespace]) => ({
      pattern,
      namespace,
    }));
  }
  const selfPrincipals = (optional(env, ENV.selfPrincipals) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { namespaces, selfPrincipals };
};

/** A positive amount of US dollars, or null when unset. */
const positiveUsd = (env: Env, name: string): number | null => {
  const raw = optional(env, name);
  if (raw === null) return null;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive amount of USD, got "${raw}"`, {
      code: 'invalid_config',
      details: { name },
    });
  }
  return value;
};

/**
 * The shipped price table, with the prices the deployment's own profiles carry, then its JSON
 * overrides (`BATCHLANE_PRICE_TABLE`), which may correct a profile's prices too.
 */
const parsePriceTable = (
  env: Env,
  profiles: Readonly<Record<string, ProviderProfile>>,
): PriceTable => {
  try {
    const withProfiles = resolvePriceTable(defaultPriceTable, profilePriceTable(profiles));
    return resolvePriceTable(withProfiles, optional(env, ENV.priceTable));
  } catch (error) {
    throw new ConfigError(`${ENV.priceTable}: ${errorMessage(error)}`, {
      code: 'invalid_config',
      cause: error,
    });
  }
};

/** A JSON object of strings (or, with `lists`, of strings and arrays of strings) by host. */
const hostMap = (env: Env, name: string): Record<string, unknown> | null => {
  const raw = optional(env, name);
  if (raw === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${name} must be a JSON object keyed by webhook host`, {
      code: 'invalid_config',
      details: { name },
    });
  }
  return parsed as Record<string, unknown>;
};

/**
 * Webhook signing secrets by receiving host: `BATCHLANE_WEBHOOK_SECRET_ARNS`
 * (`{"hooks.example.com": "arn:aws:secretsmanager:…"}`, deployed) or `BATCHLANE_WEBHOOK_SECRETS`
 * (`{"127.0.0.1": "whsec_…"}` or `{"host": ["whsec_new", "whsec_old"]}`, local). Null when
 * neither is set: webhook destinations are then refused.
 */
const parseWebhookSecrets = (env: Env): WebhookSecretsConfig | null => {
  const arns = hostMap(env, ENV.webhookSecretArns);
  if (arns !== null) {
    const entries = Object.entries(arns);
    const bad = entries.find(
      ([, arn]) => typeof arn !== 'string' || !/^arn:[^:]+:secretsmanager:/.test(arn),
    );
    if (bad !== undefined) {
      throw new ConfigError(
        `${ENV.webhookSecretArns}: the secret of ${bad[0]} must be a Secrets Manager ARN`,
        { code: 'invalid_config', details: { name: ENV.webhookSecretArns } },
      );
    }
    return {
      source: 'secretsManager',
      secretArnsByHost: Object.fromEntries(entries.map(([host, arn]) => [host, String(arn)])),
    };
  }
  const inline = hostMap(env, ENV.webhookSecrets);
  if (inline === null) return null;
  const secretsByHost: Record<string, string[]> = {};
  for (const [host, value] of Object.entries(inline)) {
    const secrets = [value].flat();
    if (
      secrets.length === 0 ||
      secrets.length > 2 ||
      !secrets.every((s) => typeof s === 'string')
    ) {
      throw new ConfigError(
        `${ENV.webhookSecrets}: ${host} must have one secret, or two during a rotation`,
        { code: 'invalid_config', details: { name: ENV.webhookSecrets } },
      );
    }
    secretsByHost[host] = secrets.map((secret) =>
      checkWebhookSecret(secret as string, `${ENV.webhookSecrets} (${host})`),
    );
  }
  return { source: 'inline', secretsByHost };
};

/**
 * The settings that decide where and how results are delivered: part of the configuration,
 * and all `batchlane replay` needs to deliver parked results as the deployment would.
 */
const loadDeliverySettings = (
  env: Env,
): Pick<
  BatchlaneConfig,
  'webhookSecrets' | 'allowPrivateWebhooks' | 'destinationPolicy' | 'region'
> => ({
  webhookSecrets: parseWebhookSecrets(env),
  allowPrivateWebhooks: optional(env, ENV.allowPrivateWebhooks) === 'true',
  destinationPolicy: parsePolicy(env),
  // Lambda sets AWS_REGION; the SDK clients read the same variables.
  region: optional(env, 'AWS_REGION') ?? optional(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
});

/** A bucket of its own for Bedrock's job files, if one is named (see `BedrockConfig`). */
const jobBucketOf = (env: Env): BedrockConfig['jobBucket'] => {
  const name = optional(env, ENV.bedrockJobBucket);
  const s3Endpoint = optional(env, ENV.bedrockJobS3Endpoint);
  if (name === null) {
    if (s3Endpoint !== null) {
      throw new ConfigError(`${ENV.bedrockJobS3Endpoint} is set without ${ENV.bedrockJobBucket}`, {
        code: 'invalid_config',
      });
    }
    return null;
  }
  return { name, s3Endpoint };
};

/**
 * Bedrock's settings, required (its role) when the deployment enables it. The quota defaults
 * are Bedrock's own defaults: 100 records at least per job, 10 jobs in progress per model.
 */
const parseBedrock = (env: Env, enabled: readonly ProviderName[]): BatchlaneConfig['bedrock'] => {
  const roleArn = optional(env, ENV.bedrockRoleArn);
  if (roleArn === null) {
    if (enabled.includes('bedrock')) required(env, ENV.bedrockRoleArn);
    return null;
  }
  return {
    roleArn,
    minRecordsPerJob: positiveInt(env, ENV.bedrockMinRecords, 100) ?? 100,
    maxConcurrentJobsPerModel: positiveInt(env, ENV.bedrockMaxConcurrentJobs, 10) ?? 10,
    belowMinimumWaitSeconds: positiveInt(env, ENV.belowMinimumWaitSeconds, 86_400) ?? 86_400,
    jobBucket: jobBucketOf(env),
  };
};

/**
 * Reads the configuration from an environment (handlers pass `process.env`).
 * Throws `ConfigError` naming the variable that is missing or malformed.
 */
const loadConfig = (env: Env): BatchlaneConfig => {
  const profiles = parseProfiles(env);
  const enabledProviders = parseProviders(env, profiles);
  return {
    tableName: required(env, ENV.tableName),
    bucketName: required(env, ENV.bucketName),
    eventBusName: required(env, ENV.eventBusName),
    completionQueueUrl: required(env, ENV.completionQueueUrl),
    defaultDestination: parseDestination(env),
    enabledProviders,
    profiles,
    providers: {
      anthropic: connection(env, ENV.anthropicApiKey, ENV.anthropicSecretArn, ENV.anthropicBaseUrl),
      openai: connection(env, ENV.openaiApiKey, ENV.openaiSecretArn, ENV.openaiBaseUrl),
      gemini: connection(env, ENV.geminiApiKey, ENV.geminiSecretArn, ENV.geminiBaseUrl),
      mistral: connection(env, ENV.mistralApiKey, ENV.mistralSecretArn, ENV.mistralBaseUrl),
      // Bedrock signs with the function's AWS credentials; only its endpoint can be set.
      bedrock: { apiKey: null, secretArn: null, baseUrl: optional(env, ENV.bedrockEndpoint) },
      deepseek: connection(env, ENV.deepseekApiKey, ENV.deepseekSecretArn, ENV.deepseekBaseUrl),
      ...profileConnections(env, profiles),
    },
    idempotencyTtlSeconds:
      positiveInt(env, ENV.idempotencyTtlSeconds, 21 * 24 * 3600) ?? 21 * 24 * 3600,
    maxRequestsPerBatch: positiveInt(env, ENV.maxRequestsPerBatch, null),
    maxBytesPerBatch: positiveInt(env, ENV.maxBytesPerBatch, null),
    pollIntervalSeconds: positiveInt(env, ENV.pollIntervalSeconds, 60) ?? 60,
    batchMaxAgeSeconds: nonNegativeInt(env, ENV.batchMaxAgeSeconds, DEFAULT_BATCH_MAX_AGE_SECONDS),
    ...loadDeliverySettings(env),
    maxAttempts: positiveInt(env, ENV.maxAttempts, 3) ?? 3,
    publishRequestEvents: optional(env, ENV.publishRequestEvents) === 'true',
    // 15 minutes and a margin: Lambda's longest timeout.
    leaseSeconds: positiveInt(env, ENV.leaseSeconds, 960) ?? 960,
    maxClaimCheckBytes:
      positiveInt(env, ENV.maxClaimCheckBytes, DEFAULT_MAX_CLAIM_CHECK_BYTES) ??
      DEFAULT_MAX_CLAIM_CHECK_BYTES,
    priceTable: parsePriceTable(env, profiles),
    costTagKey: optional(env, ENV.costTagKey) ?? 'tag',
    realtimeQueueUrl: optional(env, ENV.realtimeQueueUrl),
    autoBatchWindowSeconds: positiveInt(env, ENV.autoBatchWindowSeconds, 86_400) ?? 86_400,
    autoMarginSeconds: positiveInt(env, ENV.autoMarginSeconds, 3600) ?? 3600,
    escalateBeforeDeadlineSeconds:
      positiveInt(env, ENV.escalateBeforeDeadlineSeconds, 1800) ?? 1800,
    intakeQueueUrl: optional(env, ENV.intakeQueueUrl),
    quotas: parseQuotas(env),
    budgetDailyUsd: positiveUsd(env, ENV.budgetDailyUsd),
    budgetMonthlyUsd: positiveUsd(env, ENV.budgetMonthlyUsd),
    quotaRetrySeconds: Math.min(900, positiveInt(env, ENV.quotaRetrySeconds, 60) ?? 60),
    unpricedCeilingUsdPerMTok: positiveUsd(env, ENV.unpricedCeilingUsdPerMTok),
    producers: parseProducers(env),
    completionRetrySeconds: Math.min(240, positiveInt(env, ENV.completionRetrySeconds, 30) ?? 30),
    realtimeRetryBaseSeconds: Math.min(
      300,
      positiveInt(env, ENV.realtimeRetryBaseSeconds, 10) ?? 10,
    ),
    bedrock: parseBedrock(env, enabledProviders),
    clockOffsetMs: nonNegativeInt(env, ENV.clockOffsetMs, 0),
  };
};

export {
  type Env,
  loadConfig,
  loadDeliverySettings,
  ProducerNamespacesSchema,
  parseWebhookSecrets,
  QuotasSchema,
};
