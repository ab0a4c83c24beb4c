import type { Tier } from '../contract/request.js';

/** Where a request is sent: the provider's batch API, or a synchronous call. */
type LaneName = 'batch' | 'flex' | 'realtime';

interface LaneChoice {
  readonly lane: LaneName;
  readonly requested: Tier;
  /** Said on the result, so a caller can see why its request went where it went. */
  readonly reason: string;
}

/** How `auto` weighs a deadline (deployment settings). */
interface LanePolicy {
  /** How long a provider may take to end a batch: its completion window (24 h). */
  readonly batchWindowMs: number;
  /** Extra room `auto` keeps on top of the window before it trusts a batch. */
  readonly batchMarginMs: number;
}

const hours = (ms: number): string => `${(ms / 3_600_000).toFixed(1)} h`;

/**
 * The lane for a validated request. `batch` and `flex` are the caller's to choose; `auto`
 * takes the batch lane when the deadline leaves room for the provider's whole window plus a
 * margin (half price, and a request that runs late is escalated later), and otherwise the
 * fastest cheap lane the endpoint has: flex where the provider offers it, standard realtime
 * elsewhere.
 */
const chooseLane = (
  request: { readonly tier: Tier; readonly deadline?: string | undefined },
  flexAvailable: boolean,
  now: Date,
  policy: LanePolicy,
): LaneChoice => {
  if (request.tier === 'batch') return { lane: 'batch', requested: 'batch', reason: 'tier batch' };
  if (request.tier === 'flex') return { lane: 'flex', requested: 'flex', reason: 'tier flex' };
  const deadline = request.deadline === undefined ? Number.NaN : Date.parse(request.deadline);
  if (Number.isNaN(deadline)) {
    return { lane: 'batch', requested: 'auto', reason: 'auto: no deadline, batch lane' };
  }
  const left = deadline - now.getTime();
  const needed = policy.batchWindowMs + policy.batchMarginMs;
  if (left >= needed) {
    return {
      lane: 'batch',
      requested: 'auto',
      reason: `auto: deadline in ${hours(left)} leaves room for the ${hours(policy.batchWindowMs)} batch window and ${hours(policy.batchMarginMs)} margin`,
    };
  }
  return {
    lane: flexAvailable ? 'flex' : 'realtime',
    requested: 'auto',
    reason: `auto: deadline in ${hours(Math.max(0, left))} is inside the ${hours(needed)} a batch may need; ${flexAvailable ? 'flex' : 'standard realtime (no flex tier here)'}`,
  };
};

export { chooseLane, type LaneChoice, type LaneName, type LanePolicy };
