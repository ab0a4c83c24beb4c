/** A configured ceiling on what may be in flight at a provider for one model. */
interface QuotaLimit {
  /** Requests in batches the provider has not finished. */
  readonly requests?: number;
  /** Prompt tokens in those batches (OpenAI's enqueued-token limit). */
  readonly tokens?: number;
}

/** Quotas by provider, then by model; `*` applies to every model without its own entry. */
type Quotas = Readonly<Record<string, Readonly<Record<string, QuotaLimit>>>>;

/** Spending caps in nano-dollars; null: no cap. */
interface Budget {
  readonly dailyNanoUsd: number | null;
  readonly monthlyNanoUsd: number | null;
}

/** What is already committed: in-flight batches per provider and model, and money spent. */
interface AdmissionState {
  /** Key `provider model` (see {@link inFlightKey}). */
  readonly inFlight: ReadonlyMap<string, { requests: number; tokens: number }>;
  /** Spent today and this month (ledger), plus what running work may still cost. */
  readonly spentTodayNanoUsd: number;
  readonly spentThisMonthNanoUsd: number;
}

interface AdmissionCandidate {
  readonly provider: string;
  readonly model: string;
  /** Whether it goes to a provider batch (quotas apply) or the realtime lane (they do not). */
  readonly batch: boolean;
  readonly inputTokens: number;
  readonly nanoUsd: number;
}

type HoldReason = 'quota_requests' | 'quota_tokens' | 'budget_daily' | 'budget_monthly';

/** Whether any spending cap is set: only then is spending reserved and settled. */
const isBudgetSet = (budget: Budget): boolean =>
  budget.dailyNanoUsd !== null || budget.monthlyNanoUsd !== null;

/**
 * Why a request for a model the price table lacks cannot be admitted while a budget is set,
 * or null when it can: it is priced, there is no budget, or the deployment prices unpriced
 * models at a ceiling. A budget cannot hold what it cannot price, so such a request is refused
 * (and may be sent again once the table has its price) rather than admitted at $0.
 */
const unpricedRefusal = (
  request: { readonly provider: string; readonly model: string; readonly priced: boolean },
  budget: Budget,
  unpricedCeilingSet: boolean,
): { readonly code: 'unpriced_model'; readonly message: string } | null => {
  if (request.priced || !isBudgetSet(budget) || unpricedCeilingSet) return null;
  return {
    code: 'unpriced_model',
    message: `${request.provider} model ${request.model} has no price in this deployment's price table, and a budget is set: a budget cannot hold what it cannot price. Use a priced model, or ask the operator to add its price (priceTableOverride) or a ceiling (unpricedCeilingUsdPerMTok)`,
  };
};

const inFlightKey = (provider: string, model: string): string => `${provider} ${model}`;

const quotaFor = (quotas: Quotas, provider: string, model: string): QuotaLimit | null =>
  quotas[provider]?.[model] ?? quotas[provider]?.['*'] ?? null;

/**
 * Which requests may go now, in arrival order, and which are held, and why: a request
 * whose batch lane would push its provider and model past a configured quota, or whose
 * worst-case cost would push spending past a budget. Held requests wait and try again
 * later; nothing is refused here. A request alone larger than a quota is admitted when
 * nothing else of its model is in flight, so it cannot wait forever.
 */
const admitRequests = <T extends AdmissionCandidate>(
  candidates: readonly T[],
  state: AdmissionState,
  limits: { readonly quotas: Quotas; readonly budget: Budget },
): { readonly admitted: T[]; readonly held: { candidate: T; reason: HoldReason }[] } => {
  const inFlight = new Map([...state.inFlight].map(([key, value]) => [key, { ...value }] as const));
  let today = state.spentTodayNanoUsd;
  let month = state.spentThisMonthNanoUsd;
  const admitted: T[] = [];
  const held: { candidate: T; reason: HoldReason }[] = [];
  for (const candidate of candidates) {
    const { dailyNanoUsd, monthlyNanoUsd } = limits.budget;
    if (dailyNanoUsd !== null && today + candidate.nanoUsd > dailyNanoUsd) {
      held.push({ candidate, reason: 'budget_daily' });
      continue;
    }
    if (monthlyNanoUsd !== null && month + candidate.nanoUsd > monthlyNanoUsd) {
      held.push({ candidate, reason: 'budget_monthly' });
      continue;
    }
    if (candidate.batch) {
      const key = inFlightKey(candidate.provider, candidate.model);
      const used = inFlight.get(key) ?? { requests: 0, tokens: 0 };
      const quota = quotaFor(limits.quotas, candidate.provider, candidate.model);
      const idle = used.requests === 0;
      if (!idle && quota?.requests !== undefined && used.requests + 1 > quota.requests) {
        held.push({ candidate, reason: 'quota_requests' });
        continue;
      }
      if (
        !idle &&
        quota?.tokens !== undefined &&
        used.tokens + candidate.inputTokens > quota.tokens
      ) {
        held.push({ candidate, reason: 'quota_tokens' });
        continue;
      }
      inFlight.set(key, {
        requests: used.requests + 1,
        tokens: used.tokens + candidate.inputTokens,
      });
    }
    today += candidate.nanoUsd;
    month += candidate.nanoUsd;
    admitted.push(candidate);
  }
  return { admitted, held };
};

export {
  type AdmissionCandidate,
  type AdmissionState,
  admitRequests,
  type Budget,
  type HoldReason,
  inFlightKey,
  isBudgetSet,
  type QuotaLimit,
  type Quotas,
  unpricedRefusal,
};
