import type { BuiltInProviderName } from './providers.js';
import type { Tier } from './request.js';

/**
 * Where a request is served:
 * - `batch`: the provider's batch API;
 * - `flex`: a cheaper synchronous tier (OpenAI `service_tier: "flex"`, Gemini `serviceTier`);
 * - `off_peak`: a synchronous call held until the provider's discount window opens;
 * - `realtime`: a standard synchronous call.
 */
type LaneName = 'batch' | 'flex' | 'off_peak' | 'realtime';

/**
 * How one provider serves one tier:
 * - `fixed`: always this lane;
 * - `deadline`: the patient lane when the deadline leaves room for the provider's whole batch
 *   window plus a margin (or there is no deadline), else the urgent lane (flex falls back to
 *   standard realtime where the endpoint or deployment has no flex tier);
 * - `window`: inside the provider's discount window at once; before it, held until it opens
 *   when the deadline can wait for it (no deadline waits), else standard realtime at once.
 */
type LaneRule =
  | { readonly kind: 'fixed'; readonly lane: LaneName }
  | { readonly kind: 'deadline'; readonly patient: 'batch'; readonly urgent: 'flex' | 'realtime' }
  | { readonly kind: 'window' };

/** A tier a provider does not take: refused at intake with this reason. */
interface Unsupported {
  readonly kind: 'unsupported';
  readonly why: string;
}

const NO_WINDOW = {
  kind: 'unsupported',
  why: 'this provider sells no off-peak hours; use batch or auto',
} as const;

/** A flex tier the provider sells and batchlane uses. */
const SELLS_FLEX = { kind: 'fixed', lane: 'flex' } as const;

/**
 * A batch provider's row: the batch lane; its flex tier, or why it takes none; `auto`, batch
 * while the deadline can wait, else the urgent lane.
 */
const batchProviderLanes = (
  flex: typeof SELLS_FLEX | Unsupported,
  urgent: 'flex' | 'realtime',
): Record<Tier, LaneRule | Unsupported> => ({
  batch: { kind: 'fixed', lane: 'batch' },
  flex,
  auto: { kind: 'deadline', patient: 'batch', urgent },
  off_peak: NO_WINDOW,
});

const noFlex = (why: string): Unsupported => ({ kind: 'unsupported', why });

/** How one provider serves each tier: a row of the lanes table. */
type LaneRow = Readonly<Record<Tier, LaneRule | Unsupported>>;

/**
 * A provider profile's row, built-in or the deployment's own: batch, or standard realtime
 * when urgent; no flex tier.
 */
const profileLanes = (id: string): LaneRow =>
  batchProviderLanes(noFlex(`${id} sells no flex tier batchlane uses`), 'realtime');

/**
 * The lanes, one row per provider and one column per tier: adding a provider is adding a row.
 * The README's lanes table is this table in prose.
 */
const LANES = {
  anthropic: batchProviderLanes(noFlex('anthropic has no flex tier'), 'flex'),
  openai: batchProviderLanes(SELLS_FLEX, 'flex'),
  gemini: batchProviderLanes(SELLS_FLEX, 'flex'),
  bedrock: batchProviderLanes(noFlex('bedrock batch inference has no flex tier here'), 'flex'),
  // No batch API, but half price in its off-peak hours: every patient tier waits for them.
  deepseek: {
    batch: { kind: 'window' },
    flex: { kind: 'unsupported', why: 'deepseek has no flex tier; use off_peak or auto' },
    auto: { kind: 'window' },
    off_peak: { kind: 'window' },
  },
  // Mistral shares OpenAI's endpoint names but sells no flex tier: near deadlines run standard.
  mistral: batchProviderLanes(noFlex('mistral has no flex tier'), 'realtime'),
  // Provider profiles: their batch API, or a standard call when the deadline cannot wait.
  together: profileLanes('together'),
  groq: profileLanes('groq'),
  xai: profileLanes('xai'),
  'azure-openai': profileLanes('azure-openai'),
} as const satisfies Record<BuiltInProviderName, LaneRow>;

/**
 * Whether every tier of a row is served by a synchronous call (the provider has no batch
 * API): a deployment without the realtime worker could never serve its requests.
 */
const isRealtimeOnly = (row: LaneRow): boolean =>
  Object.values(row).every(
    (rule) =>
      rule.kind === 'unsupported' ||
      rule.kind === 'window' ||
      (rule.kind === 'fixed' && rule.lane !== 'batch'),
  );

export {
  isRealtimeOnly,
  LANES,
  type LaneName,
  type LaneRow,
  type LaneRule,
  profileLanes,
  type Unsupported,
};
