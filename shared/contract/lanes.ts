import type { ProviderName } from './providers.js';
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

/**
 * The lanes, one row per provider and one column per tier: adding a provider is adding a row.
 * The README's lanes table is this table in prose.
 */
const LANES = {
  anthropic: {
    batch: { kind: 'fixed', lane: 'batch' },
    flex: { kind: 'unsupported', why: 'anthropic has no flex tier' },
    auto: { kind: 'deadline', patient: 'batch', urgent: 'flex' },
  },
  openai: {
    batch: { kind: 'fixed', lane: 'batch' },
    flex: { kind: 'fixed', lane: 'flex' },
    auto: { kind: 'deadline', patient: 'batch', urgent: 'flex' },
  },
  gemini: {
    batch: { kind: 'fixed', lane: 'batch' },
    flex: { kind: 'fixed', lane: 'flex' },
    auto: { kind: 'deadline', patient: 'batch', urgent: 'flex' },
  },
  bedrock: {
    batch: { kind: 'fixed', lane: 'batch' },
    flex: { kind: 'unsupported', why: 'bedrock batch inference has no flex tier here' },
    auto: { kind: 'deadline', patient: 'batch', urgent: 'flex' },
  },
} as const satisfies Record<ProviderName, Record<Tier, LaneRule | Unsupported>>;

/** The rule for a provider and tier, or why the provider does not take that tier. */
const laneRuleOf = (provider: ProviderName, tier: Tier): LaneRule | Unsupported =>
  (LANES as Record<ProviderName, Record<Tier, LaneRule | Unsupported>>)[provider][tier];

export { LANES, type LaneName, type LaneRule, laneRuleOf, type Unsupported };
