import type { LaneName, LaneRule } from '../contract/lanes.js';
import { BUILT_IN_REGISTRY, type ProviderRegistry } from '../contract/providerRegistry.js';
import type { ProviderName } from '../contract/providers.js';
import type { Tier } from '../contract/request.js';

interface LaneChoice {
  readonly lane: LaneName;
  readonly requested: Tier;
  /** Said on the result, so a caller can see why its request went where it went. */
  readonly reason: string;
  /** For a request held for a discount window: when the window opens (ISO-8601). */
  readonly holdUntil?: string;
}

/** How `auto` weighs a deadline (deployment settings). */
interface LanePolicy {
  /** How long a provider may take to end a batch: its completion window (24 h). */
  readonly batchWindowMs: number;
  /** Extra room `auto` keeps on top of the window before it trusts a batch. */
  readonly batchMarginMs: number;
  /**
   * A provider's own window where its batches may take longer than `batchWindowMs` (a
   * profile asking for `7d`, or one whose batches run past their window): the longer wins.
   */
  readonly batchWindowMsByProvider?: Readonly<Record<string, number>>;
  /** The providers the deployment knows, whose lanes rows apply (absent: the built-in ones). */
  readonly registry?: ProviderRegistry;
}

/** How long a batch of this provider may take, as `auto` plans for it. */
const batchWindowMsOf = (policy: LanePolicy, provider: string): number =>
  Math.max(policy.batchWindowMs, policy.batchWindowMsByProvider?.[provider] ?? 0);

/** The provider's current or next discount window, for the `window` rule. */
interface DiscountWindow {
  readonly opens: Date;
  readonly closes: Date;
}

/** Room a held request keeps between its window opening and its deadline, to be served. */
const WINDOW_RUN_MARGIN_MS = 15 * 60_000;

const hours = (ms: number): string => `${(ms / 3_600_000).toFixed(1)} h`;

interface LaneRequest {
  readonly provider: ProviderName;
  readonly tier: Tier;
  readonly deadline?: string | undefined;
}

const deadlineOf = (request: LaneRequest): number =>
  request.deadline === undefined ? Number.NaN : Date.parse(request.deadline);

/** Batch when the deadline leaves the whole batch window and margin, else the urgent lane. */
const byDeadline = (
  request: LaneRequest,
  urgent: 'flex' | 'realtime',
  flexAvailable: boolean,
  now: Date,
  policy: LanePolicy,
): LaneChoice => {
  const deadline = deadlineOf(request);
  if (Number.isNaN(deadline)) {
    return { lane: 'batch', requested: request.tier, reason: 'auto: no deadline, batch lane' };
  }
  const left = deadline - now.getTime();
  const window = batchWindowMsOf(policy, request.provider);
  const needed = window + policy.batchMarginMs;
  if (left >= needed) {
    return {
      lane: 'batch',
      requested: request.tier,
      reason: `auto: deadline in ${hours(left)} leaves room for the ${hours(window)} batch window and ${hours(policy.batchMarginMs)} margin`,
    };
  }
  const flex = urgent === 'flex' && flexAvailable;
  return {
    lane: flex ? 'flex' : 'realtime',
    requested: request.tier,
    reason: `auto: deadline in ${hours(Math.max(0, left))} is inside the ${hours(needed)} a batch may need; ${flex ? 'flex' : 'standard realtime (no flex tier here)'}`,
  };
};

/**
 * In the discount window at once; before it, held until it opens when the deadline leaves
 * room to be served inside it (a request without a deadline waits); else at once at the peak
 * price.
 */
const byWindow = (request: LaneRequest, now: Date, window: DiscountWindow | null): LaneChoice => {
  const requested = request.tier;
  const tier = `${request.tier}`;
  if (window === null) {
    return {
      lane: 'realtime',
      requested,
      reason: `${tier}: ${request.provider} has no discount window in its price table; standard realtime`,
    };
  }
  if (window.opens.getTime() <= now.getTime()) {
    return {
      lane: 'off_peak',
      requested,
      reason: `${tier}: inside the off-peak window until ${window.closes.toISOString()}; served at once`,
    };
  }
  const deadline = deadlineOf(request);
  const wait = window.opens.getTime() - now.getTime();
  if (Number.isNaN(deadline) || deadline - window.opens.getTime() >= WINDOW_RUN_MARGIN_MS) {
    return {
      lane: 'off_peak',
      requested,
      reason: `${tier}: held ${hours(wait)} until the off-peak window opens at ${window.opens.toISOString()}`,
      holdUntil: window.opens.toISOString(),
    };
  }
  return {
    lane: 'realtime',
    requested,
    reason: `${tier}: the deadline cannot wait for the off-peak window at ${window.opens.toISOString()}; served at once at the peak price`,
  };
};

const apply = (
  rule: LaneRule,
  request: LaneRequest,
  flexAvailable: boolean,
  now: Date,
  policy: LanePolicy,
  window: DiscountWindow | null,
): LaneChoice => {
  switch (rule.kind) {
    case 'fixed':
      return { lane: rule.lane, requested: request.tier, reason: `tier ${request.tier}` };
    case 'deadline':
      return byDeadline(request, rule.urgent, flexAvailable, now, policy);
    case 'window':
      return byWindow(request, now, window);
  }
};

/**
 * The lane for a validated request, as the lanes table (`shared/contract/lanes.ts`) says for
 * its provider and tier. `flexAvailable` says whether this endpoint and deployment reach a
 * flex tier; `window` is the provider's current or next discount window, if it has one.
 * A tier the table does not offer was refused at validation; reaching here, it goes to batch.
 */
const chooseLane = (
  request: LaneRequest,
  flexAvailable: boolean,
  now: Date,
  policy: LanePolicy,
  window: DiscountWindow | null = null,
): LaneChoice => {
  const rule = (policy.registry ?? BUILT_IN_REGISTRY).laneRuleOf(request.provider, request.tier);
  if (rule.kind === 'unsupported') {
    return { lane: 'batch', requested: request.tier, reason: `tier ${request.tier}: ${rule.why}` };
  }
  return apply(rule, request, flexAvailable, now, policy, window);
};

export {
  chooseLane,
  type DiscountWindow,
  type LaneChoice,
  type LaneName,
  type LanePolicy,
  WINDOW_RUN_MARGIN_MS,
};
