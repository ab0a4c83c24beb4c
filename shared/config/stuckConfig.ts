import { z } from 'zod';
import { PROVIDERS } from '../contract/providers.js';
import { ConfigError } from '../domain/errors.js';
import {
  DEFAULT_STUCK_SETTINGS,
  STUCK_POLICIES,
  type StuckBatchSettings,
} from '../domain/stuckBatch.js';
import type { Env } from './loadConfig.js';

/** The poller's stuck-batch variables (set from the `stuckBatchPolicy` CDK context). */
const STUCK_ENV = {
  /** `{"gemini": "cancel_resubmit", "anthropic": "escalate", "default": "leave"}`. */
  policy: 'BATCHLANE_STUCK_BATCH_POLICY',
  /** Minutes without progress that count as stuck while a model's history is thin (default 360). */
  floorMinutes: 'BATCHLANE_STUCK_FLOOR_MINUTES',
} as const;

/** The policy object, as the CDK context and the environment variable both take it. */
const StuckPolicySchema = z.partialRecord(
  z.enum([...PROVIDERS, 'default']),
  z.enum(STUCK_POLICIES),
);
type StuckPolicyMap = z.infer<typeof StuckPolicySchema>;

/** Parses a policy object; the message names every wrong key or value. */
const parseStuckPolicy = (value: unknown, where: string): StuckPolicyMap => {
  const parsed = StuckPolicySchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError(
      `${where} must map providers (or "default") to ${STUCK_POLICIES.join(', ')}: ${z.prettifyError(parsed.error)}`,
      { code: 'invalid_config', details: { name: where } },
    );
  }
  return parsed.data;
};

/** The stuck-batch settings from the environment; unset variables keep the defaults. */
const loadStuckBatchSettings = (env: Env): StuckBatchSettings => {
  const raw = env[STUCK_ENV.policy]?.trim();
  let json: unknown = {};
  if (raw !== undefined && raw !== '') {
    try {
      json = JSON.parse(raw);
    } catch {
      json = raw;
    }
  }
  const { default: defaultPolicy, ...policies } = parseStuckPolicy(json, STUCK_ENV.policy);
  const floorText = env[STUCK_ENV.floorMinutes]?.trim();
  const floorMinutes = floorText === undefined || floorText === '' ? null : Number(floorText);
  if (floorMinutes !== null && !(Number.isFinite(floorMinutes) && floorMinutes > 0)) {
    throw new ConfigError(`${STUCK_ENV.floorMinutes} must be a positive number of minutes`, {
      code: 'invalid_config',
      details: { name: STUCK_ENV.floorMinutes },
    });
  }
  return {
    ...DEFAULT_STUCK_SETTINGS,
    policies,
    defaultPolicy: defaultPolicy ?? DEFAULT_STUCK_SETTINGS.defaultPolicy,
    floorMs: floorMinutes === null ? DEFAULT_STUCK_SETTINGS.floorMs : floorMinutes * 60_000,
  };
};

export { loadStuckBatchSettings, parseStuckPolicy, STUCK_ENV, type StuckPolicyMap };
