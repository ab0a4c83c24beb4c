import type { Node } from 'constructs';
import { z } from 'zod';
import { ProducerNamespacesSchema, QuotasSchema } from '../shared/config/loadConfig.js';
import { parseStuckPolicy } from '../shared/config/stuckConfig.js';
import { DestinationSchema } from '../shared/contract/destination.js';
import {
  type ProfileOverride,
  type ProviderProfileInput,
  resolveProfiles,
} from '../shared/contract/providerProfile.js';
import { providerRegistry } from '../shared/contract/providerRegistry.js';
import { PROVIDER_ID_PATTERN, type ProviderName } from '../shared/contract/providers.js';
import { errorMessage } from '../shared/domain/errors.js';
import { defaultPriceTable } from '../shared/domain/pricing/defaultPriceTable.js';
import { resolvePriceTable } from '../shared/domain/pricing/loadPriceTable.js';
import type { PriceTableInput } from '../shared/domain/pricing/PriceTable.js';
import { profilePriceTable } from '../shared/domain/pricing/profilePrices.js';
import type { BatchlaneStackProps } from './BatchlaneStack.js';
import { LOG_LEVELS, type LogLevel } from './constructs/BatchFunction.js';

/**
 * Context keys read by the app (`cdk.json` "context", or `-c key=value`), each mapping to the
 * `BatchlaneStackProps` field of the same name. Values given with `-c` arrive as strings:
 * numbers and booleans are parsed, lists may be comma-separated, `defaultDestination`,
 * `priceTableOverride` and `quotas` may be JSON text.
 */
const CONTEXT_KEYS = [
  'pollRateMinutes',
  'collectorBatchSize',
  'collectorBatchingWindowSeconds',
  'maxAttempts',
  'intakeMaxReceiveCount',
  'completionMaxAttempts',
  'publishRequestEvents',
  'logLevel',
  'defaultDestination',
  'enabledProviders',
  'anthropicSecretArn',
  'openaiSecretArn',
  'bedrockModels',
  'geminiSecretArn',
  'mistralSecretArn',
  'deepseekSecretArn',
  'artifactRetentionDays',
  'idempotencyTtlDays',
  'resultRetentionDays',
  'destinationQueueArns',
  'destinationBucketNames',
  'destinationEventBusArns',
  'priceTableOverride',
  'costTagKey',
  'autoBatchWindowSeconds',
  'autoMarginSeconds',
  'escalateBeforeDeadlineSeconds',
  'batchMaxAgeSeconds',
  'quotas',
  'quotaRetrySeconds',
  'budgetDailyUsd',
  'budgetMonthlyUsd',
  'webhookSecretArns',
  'unpricedCeilingUsdPerMTok',
  'collectorMaxConcurrency',
  'intakeProducerPrincipals',
  'producerNamespaces',
  'webhookReceiver',
  'openaiWebhookSecretArn',
  'geminiWebhookSecretArn',
  'providerProfiles',
  'stuckBatchPolicy',
  'stuckFloorMinutes',
] as const;

type ContextKey = (typeof CONTEXT_KEYS)[number];

/**
 * Upper bound of the `auto` lane settings: well past the providers' 24 h batch window, and low
 * enough to catch a value given in milliseconds.
 */
const WEEK_SECONDS = 7 * 24 * 3600;

/** SQS's longest message delay, which a request held by a quota waits at most. */
const MAX_QUOTA_RETRY_SECONDS = 900;

const isUnset = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** `{}` is how `cdk.json` leaves an object-valued key unset. */
const isUnsetObject = (value: unknown): boolean =>
  isUnset(value) ||
  (typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 0);

/** An object given as such (cdk.json, `--context` JSON) or as JSON text (`-c key=…`). */
const jsonObject = (key: ContextKey, value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`context "${key}" is not valid JSON`);
  }
};

const integer = (key: ContextKey, value: unknown, min: number, max: number): number | undefined => {
  if (isUnset(value)) return undefined;
  const parsed = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof parsed !== 'number' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new Error(
      `context "${key}" must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return parsed;
};

const text = (key: ContextKey, value: unknown): string | undefined => {
  if (isUnset(value)) return undefined;
  if (typeof value !== 'string') {
    throw new Error(`context "${key}" must be a string, got ${JSON.stringify(value)}`);
  }
  return value.trim();
};

const flag = (key: ContextKey, value: unknown): boolean | undefined => {
  if (isUnset(value)) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`context "${key}" must be true or false, got ${JSON.stringify(value)}`);
};

/** A positive amount of US dollars (fractions allowed), as the runtime's budgets read it. */
const usd = (key: ContextKey, value: unknown): number | undefined => {
  if (isUnset(value)) return undefined;
  const parsed = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new Error(
      `context "${key}" must be a positive amount of USD, got ${JSON.stringify(value)}`,
    );
  }
  return parsed;
};

const isLogLevel = (value: string): value is LogLevel =>
  (LOG_LEVELS as readonly string[]).includes(value);

const logLevel = (value: unknown): LogLevel | undefined => {
  const level = text('logLevel', value)?.toUpperCase();
  if (level === undefined) return undefined;
  if (!isLogLevel(level)) {
    throw new Error(`context "logLevel" must be one of ${LOG_LEVELS.join(', ')}, got ${level}`);
  }
  return level;
};

const list = (key: ContextKey, value: unknown): string[] | undefined => {
  if (isUnset(value)) return undefined;
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || !items.every((item): item is string => typeof item === 'string')) {
    throw new Error(`context "${key}" must be a list of strings or a comma-separated string`);
  }
  return items.map((item) => item.trim()).filter((item) => item !== '');
};

const providers = (value: unknown): ProviderName[] | undefined => {
  const names = list('enabledProviders', value);
  if (names === undefined) return undefined;
  // Which ids are known is checked against the profiles once both are read (stackPropsFromContext).
  const malformed = names.filter((name) => !PROVIDER_ID_PATTERN.test(name));
  if (malformed.length > 0 || names.length === 0) {
    throw new Error(
      `context "enabledProviders" names unknown providers: ${malformed.join(', ') || '(none given)'}`,
    );
  }
  return names;
};

const destination = (value: unknown): BatchlaneStackProps['defaultDestination'] => {
  if (isUnset(value)) return undefined;
  let json: unknown = value;
  if (typeof value === 'string') {
    try {
      json = JSON.parse(value);
    } catch {
      throw new Error('context "defaultDestination" is not valid JSON');
    }
  }
  const parsed = DestinationSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `context "defaultDestination" is not a valid destination: ${parsed.error.message}`,
    );
  }
  return parsed.data;
};

/**
 * Validated by merging it into the shipped table exactly as the runtime will, so synth fails
 * on any override the functions would refuse at start.
 */
const priceTableOverride = (value: unknown): PriceTableInput | undefined => {
  if (isUnsetObject(value)) return undefined;
  const json = jsonObject('priceTableOverride', value);
  try {
    resolvePriceTable(defaultPriceTable, json);
  } catch (error) {
    throw new Error(`context "priceTableOverride": ${errorMessage(error)}`);
  }
  // resolvePriceTable accepted it, so it has the schema's input shape. It is kept as written
  // rather than parsed: without the filled-in defaults it takes less of the 4 KB environment.
  return json as PriceTableInput;
};

/**
 * Changes to built-in provider profiles and whole profiles of the deployment's own (new ids,
 * with their prices), checked whole at synth: each error names the entry and its field.
 * A profile's prices are checked by merging them into the shipped price table, as the
 * functions will.
 */
const providerProfiles = (value: unknown): BatchlaneStackProps['providerProfiles'] => {
  if (isUnsetObject(value) || (Array.isArray(value) && value.length === 0)) return undefined;
  const json = jsonObject('providerProfiles', value);
  const resolved = resolveProfiles(json);
  if (!resolved.ok) {
    throw new Error(`context "providerProfiles" is not valid: ${resolved.issues.join('; ')}`);
  }
  try {
    resolvePriceTable(defaultPriceTable, profilePriceTable(resolved.profiles));
  } catch (error) {
    throw new Error(`context "providerProfiles" prices: ${errorMessage(error)}`);
  }
  // Kept as written: the functions resolve it again, and it takes less of the 4 KB environment.
  return json as (ProfileOverride | ProviderProfileInput)[];
};

/** Every enabled provider is built in or one of the deployment's profiles. */
const checkEnabledKnown = (
  enabled: readonly ProviderName[] | undefined,
  profiles: BatchlaneStackProps['providerProfiles'],
): void => {
  if (enabled === undefined) return;
  const resolved = resolveProfiles(profiles ?? []);
  const known = providerRegistry(resolved.ok ? resolved.profiles : undefined);
  const unknown = enabled.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `context "enabledProviders" names unknown providers: ${unknown.join(', ')} (neither built in nor an id in "providerProfiles")`,
    );
  }
};

const quotas = (value: unknown): BatchlaneStackProps['quotas'] => {
  if (isUnsetObject(value)) return undefined;
  const parsed = QuotasSchema.safeParse(jsonObject('quotas', value));
  if (!parsed.success) {
    throw new Error(`context "quotas" is not valid: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
};

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const HOST = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * `{"host": "secret ARN", …}` as an object, JSON text or `host=arn,host=arn`: one secret per
 * receiving host, so no two receivers share a secret by accident.
 */
const webhookSecretArns = (value: unknown): BatchlaneStackProps['webhookSecretArns'] => {
  if (isUnsetObject(value)) return undefined;
  const pairs: [string, unknown][] =
    typeof value === 'string' && !value.trim().startsWith('{')
      ? value.split(',').map((pair) => {
          const [host = '', ...arn] = pair.split('=');
          return [host.trim(), arn.join('=').trim()];
        })
      : Object.entries(jsonObject('webhookSecretArns', value) as Record<string, unknown>);
  for (const [host, arn] of pairs) {
    if (!HOST.test(host)) {
      throw new Error(`context "webhookSecretArns": "${host}" is not a lower-case host name`);
    }
    if (typeof arn !== 'string' || !SECRET_ARN.test(arn)) {
      throw new Error(
        `context "webhookSecretArns": the secret of ${host} must be a Secrets Manager secret ARN, got ${JSON.stringify(arn)}`,
      );
    }
  }
  return Object.fromEntries(pairs) as Record<string, string>;
};

/** `{"gemini": "cancel_resubmit", "default": "leave"}`, as an object or JSON text. */
const stuckBatchPolicy = (value: unknown): BatchlaneStackProps['stuckBatchPolicy'] => {
  if (isUnsetObject(value)) return undefined;
  return parseStuckPolicy(jsonObject('stuckBatchPolicy', value), 'context "stuckBatchPolicy"');
};

const producerNamespaces = (value: unknown): BatchlaneStackProps['producerNamespaces'] => {
  if (isUnsetObject(value)) return undefined;
  const parsed = ProducerNamespacesSchema.safeParse(jsonObject('producerNamespaces', value));
  if (!parsed.success) {
    throw new Error(`context "producerNamespaces" is not valid: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
};

/**
 * Reads the stack props from CDK context, failing synth with the key's name on a bad value.
 * Unset keys stay `undefined`, so the constructs' documented defaults apply.
 *
 * @example
 * const props = stackPropsFromContext(app.node); // npx cdk synth -c pollRateMinutes=5
 */
const stackPropsFromContext = (node: Node): BatchlaneStackProps => {
  const get = (key: ContextKey): unknown => node.tryGetContext(key);
  // Each key is read by its name, once: the parsers name it in their errors too.
  const int = (key: ContextKey, min: number, max: number) => integer(key, get(key), min, max);
  const str = (key: ContextKey) => text(key, get(key));
  const strings = (key: ContextKey) => list(key, get(key));
  const bool = (key: ContextKey) => flag(key, get(key));
  const dollars = (key: ContextKey) => usd(key, get(key));
  const enabledProviders = providers(get('enabledProviders'));
  const profiles = providerProfiles(get('providerProfiles'));
  checkEnabledKnown(enabledProviders, profiles);
  return {
    pollRateMinutes: int('pollRateMinutes', 1, 1440),
    collectorBatchSize: int('collectorBatchSize', 1, 10_000),
    collectorBatchingWindowSeconds: int('collectorBatchingWindowSeconds', 0, 300),
    maxAttempts: int('maxAttempts', 1, 100),
    intakeMaxReceiveCount: int('intakeMaxReceiveCount', 1, 1000),
    completionMaxAttempts: int('completionMaxAttempts', 1, 1000),
    publishRequestEvents: bool('publishRequestEvents'),
    logLevel: logLevel(get('logLevel')),
    defaultDestination: destination(get('defaultDestination')),
    enabledProviders,
    anthropicSecretArn: str('anthropicSecretArn'),
    openaiSecretArn: str('openaiSecretArn'),
    bedrockModels: strings('bedrockModels'),
    geminiSecretArn: str('geminiSecretArn'),
    mistralSecretArn: str('mistralSecretArn'),
    deepseekSecretArn: str('deepseekSecretArn'),
    artifactRetentionDays: int('artifactRetentionDays', 3, 36_500),
    idempotencyTtlDays: int('idempotencyTtlDays', 1, 3650),
    resultRetentionDays: int('resultRetentionDays', 14, 36_500),
    destinationQueueArns: strings('destinationQueueArns'),
    destinationBucketNames: strings('destinationBucketNames'),
    destinationEventBusArns: strings('destinationEventBusArns'),
    priceTableOverride: priceTableOverride(get('priceTableOverride')),
    costTagKey: str('costTagKey'),
    autoBatchWindowSeconds: int('autoBatchWindowSeconds', 1, WEEK_SECONDS),
    autoMarginSeconds: int('autoMarginSeconds', 1, WEEK_SECONDS),
    escalateBeforeDeadlineSeconds: int('escalateBeforeDeadlineSeconds', 1, WEEK_SECONDS),
    batchMaxAgeSeconds: int('batchMaxAgeSeconds', 0, 3600),
    quotas: quotas(get('quotas')),
    quotaRetrySeconds: int('quotaRetrySeconds', 1, MAX_QUOTA_RETRY_SECONDS),
    budgetDailyUsd: dollars('budgetDailyUsd'),
    budgetMonthlyUsd: dollars('budgetMonthlyUsd'),
    webhookSecretArns: webhookSecretArns(get('webhookSecretArns')),
    unpricedCeilingUsdPerMTok: dollars('unpricedCeilingUsdPerMTok'),
    collectorMaxConcurrency: int('collectorMaxConcurrency', 2, 1000),
    intakeProducerPrincipals: strings('intakeProducerPrincipals'),
    producerNamespaces: producerNamespaces(get('producerNamespaces')),
    webhookReceiver: bool('webhookReceiver'),
    openaiWebhookSecretArn: str('openaiWebhookSecretArn'),
    geminiWebhookSecretArn: str('geminiWebhookSecretArn'),
    providerProfiles: profiles,
    stuckBatchPolicy: stuckBatchPolicy(get('stuckBatchPolicy')),
    stuckFloorMinutes: integer('stuckFloorMinutes', get('stuckFloorMinutes'), 1, 10_080),
  };
};

export { CONTEXT_KEYS, type ContextKey, stackPropsFromContext };
