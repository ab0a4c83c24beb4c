import { InvalidInputError } from '../errors.js';
import { isOffPeak } from './offPeakCalendar.js';
import type { PriceEntry, PriceTable } from './PriceTable.js';
import type { TokenUsage } from './TokenUsage.js';

/** How the request was sent: through a provider batch, the flex tier, held for a discount window, or synchronously. */
const PRICING_LANES = ['batch', 'flex', 'off_peak', 'realtime'] as const;
type PricingLane = (typeof PRICING_LANES)[number];

/** The price column the request was billed in. */
type BilledAs = 'batch' | 'flex' | 'off_peak' | 'standard' | 'priority';

/**
 * - `usage`: priced from the usage the provider returned;
 * - `no_usage`: nothing to price (expired, canceled, rejected, or errored without usage);
 * - `unpriced_model`: the table has no price for this model, day or tier, so the amounts are
 *   zero and must not be read as free.
 */
type CostBasis = 'usage' | 'no_usage' | 'unpriced_model';

/** What one request cost, and what the same usage would have cost at standard prices. */
interface RequestCost {
  /** USD, rounded to 1e-9. */
  readonly usd: number;
  /** The same usage at standard synchronous prices (same cache tokens, no discount). */
  readonly realtime_usd: number;
  /** `realtime_usd - usd`; negative when a premium tier was used. */
  readonly saved_usd: number;
  /** Exact integer nano-dollars (1e-9 USD), for sums that must not drift. */
  readonly nano_usd: number;
  readonly realtime_nano_usd: number;
  readonly basis: CostBasis;
  readonly billed_as: BilledAs | null;
  /** The table's `version`; null when nothing was looked up. */
  readonly price_version: string | null;
}

interface PriceRequestInput {
  readonly provider: string;
  readonly model: string;
  readonly lane: PricingLane;
  readonly usage: TokenUsage | null;
  /**
   * When the request was served; picks the price entry in effect that day (UTC), and for a
   * provider that bills by the hour, whether it was served off-peak.
   */
  readonly at: Date;
}

/**
 * Tiers a provider may report on a batch result that override the batch price. Anthropic says
 * `batch` on batch results, so anything else it reports is followed. OpenAI batch bodies say
 * `default`, which does not mean standard billing: the Batch API is its own price column.
 */
const BATCH_TIER_OVERRIDES: Readonly<Record<string, readonly BilledAs[]>> = {
  anthropic: ['standard', 'priority'],
};

/**
 * Providers whose responses do not say which tier served them, and whose flex tier never
 * serves a request at another tier (Gemini sheds flex requests with an error instead): their
 * flex answers were served at flex.
 */
const LANE_IS_TIER: readonly string[] = ['gemini'];

const billedAsOf = (provider: string, lane: PricingLane, reported: string | null): BilledAs => {
  if (lane === 'batch') {
    const override = BATCH_TIER_OVERRIDES[provider]?.find((tier) => tier === reported);
    return override ?? 'batch';
  }
  if (lane === 'flex' && reported === null && LANE_IS_TIER.includes(provider)) return 'flex';
  // Flex may be downgraded and priority may be refused: the response says what was used.
  if (reported === 'flex') return 'flex';
  if (reported === 'priority') return 'priority';
  return 'standard';
};

/** A finite non-negative decimal as digits × 10^-scale, read from its shortest form. */
interface Decimal {
  readonly digits: bigint;
  readonly scale: number;
}

const readDecimal = (value: number): Decimal => {
  const [mantissa = '0', exponentText = '0'] = value.toString().toLowerCase().split('e');
  const [whole = '0', fraction = ''] = mantissa.split('.');
  const scale = fraction.length - Number(exponentText);
  const digits = BigInt(`${whole}${fraction}`);
  return scale >= 0 ? { digits, scale } : { digits: digits * 10n ** BigInt(-scale), scale: 0 };
};

/**
 * Decimals already read: the factors are a price table's prices and a few multipliers, met
 * again on every result, and reading one (its shortest form, split, BigInt) cost more than all
 * the rest of pricing a result. Bounded, as a table can be reloaded with other prices.
 */
const decimals = new Map<number, Decimal>();
const DECIMALS_KEPT = 4_096;

const toDecimal = (value: number): Decimal => {
  const known = decimals.get(value);
  if (known !== undefined) return known;
  const decimal = readDecimal(value);
  if (decimals.size >= DECIMALS_KEPT) decimals.clear();
  decimals.set(value, decimal);
  return decimal;
};

/** Tokens billed at the product of `factors`, the first being a USD-per-million price. */
interface Term {
  readonly tokens: number;
  readonly factors: readonly number[];
}

/**
 * Sums the terms exactly and rounds once, half up, to nano-dollars: prices are USD per million
 * tokens, so tokens × price ÷ 1e6 is USD and tokens × price × 1e3 is nano-dollars.
 */
const nanoUsdOf = (terms: readonly Term[]): number => {
  const products = terms.map(({ tokens, factors }) =>
    factors.map(toDecimal).reduce(
      (product, factor) => ({
        digits: product.digits * factor.digits,
        scale: product.scale + factor.scale,
      }),
      { digits: BigInt(tokens), scale: 0 },
    ),
  );
  const scale = Math.max(0, ...products.map((product) => product.scale));
  const sum = products.reduce(
    (total, product) => total + product.digits * 10n ** BigInt(scale - product.scale),
    0n,
  );
  const numerator = sum * 1000n;
  const denominator = 10n ** BigInt(scale);
  const quotient = numerator / denominator;
  const rounded = (numerator % denominator) * 2n >= denominator ? quotient + 1n : quotient;
  return Number(rounded);
};

/** Factors per token category in one price column; a null column cannot be priced. */
interface Column {
  readonly input: readonly number[];
  /** Null when the model has no output price. */
  readonly output: readonly number[] | null;
  readonly cacheRead: readonly number[];
  readonly cacheWrite5m: readonly number[];
  readonly cacheWrite1h: readonly number[];
}

const scaled = (column: Column, factor: number): Column => ({
  input: [...column.input, factor],
  output: column.output === null ? null : [...column.output, factor],
  cacheRead: [...column.cacheRead, factor],
  cacheWrite5m: [...column.cacheWrite5m, factor],
  cacheWrite1h: [...column.cacheWrite1h, factor],
});

/** Standard prices; cache categories the provider does not have are billed as input. */
const standardColumn = (entry: PriceEntry): Column => ({
  input: [entry.input],
  output: entry.output === null ? null : [entry.output],
  cacheRead: [entry.cache_read ?? entry.input],
  cacheWrite5m: [entry.cache_write_5m ?? entry.input],
  cacheWrite1h: [entry.cache_write_1h ?? entry.input],
});

const batchColumn = (entry: PriceEntry): Column => {
  const standard = standardColumn(entry);
  const discounted = scaled(standard, entry.batch_discount);
  switch (entry.batch_cache_rule) {
    case 'multiply':
      return discounted;
    case 'cache_price_unchanged': {
      // Only real cache prices stay whole; tokens without one are plain (discounted) input.
      const keep = (price: number | null, fallback: readonly number[]): readonly number[] =>
        price === null ? fallback : [price];
      return {
        ...discounted,
        cacheRead: keep(entry.cache_read, discounted.input),
        cacheWrite5m: keep(entry.cache_write_5m, discounted.input),
        cacheWrite1h: keep(entry.cache_write_1h, discounted.input),
      };
    }
    case 'batch_cached_rate':
      return {
        ...discounted,
        cacheRead:
          entry.batch_cache_read === null || entry.batch_cache_read === undefined
            ? discounted.input
            : [entry.batch_cache_read],
      };
  }
};

const columnOf = (entry: PriceEntry, billedAs: BilledAs): Column | null => {
  switch (billedAs) {
    case 'standard':
      return standardColumn(entry);
    case 'batch':
      return batchColumn(entry);
    case 'flex':
      // Flex is sold at batch rates with the caching discounts kept: every price × the rate.
      return entry.flex_rate === null ? null : scaled(standardColumn(entry), entry.flex_rate);
    case 'priority':
      return entry.priority_multiplier === null || entry.priority_multiplier === undefined
        ? null
        : scaled(standardColumn(entry), entry.priority_multiplier);
    case 'off_peak':
      return entry.off_peak_rate === null || entry.off_peak_rate === undefined
        ? null
        : scaled(standardColumn(entry), entry.off_peak_rate);
  }
};

const termsOf = (column: Column, usage: TokenUsage, geoFactor: number): Term[] | null => {
  if (column.output === null && usage.outputTokens > 0) return null;
  const withGeo = (factors: readonly number[]): readonly number[] =>
    geoFactor === 1 ? factors : [...factors, geoFactor];
  return [
    { tokens: usage.inputTokens, factors: withGeo(column.input) },
    { tokens: usage.outputTokens, factors: withGeo(column.output ?? [0]) },
    { tokens: usage.cacheReadTokens, factors: withGeo(column.cacheRead) },
    { tokens: usage.cacheWrite5mTokens, factors: withGeo(column.cacheWrite5m) },
    { tokens: usage.cacheWrite1hTokens, factors: withGeo(column.cacheWrite1h) },
  ];
};

const dayOf = (at: Date): string => {
  if (Number.isNaN(at.getTime())) {
    throw new InvalidInputError('Cannot price a request at an invalid date', {
      code: 'invalid_date',
    });
  }
  return at.toISOString().slice(0, 10);
};

/** How well `model` matches an entry: exact beats any prefix, a longer prefix beats a shorter. */
const matchScore = (entry: PriceEntry, model: string): number => {
  if (entry.model === model) return Number.POSITIVE_INFINITY;
  return Math.max(
    -1,
    ...entry.match.filter((prefix) => model.startsWith(prefix)).map((p) => p.length),
  );
};

/**
 * The price entry for a model on the day of `at`: the entry whose id or prefix matches the
 * model best decides the model family, then the family's latest entry effective that day.
 *
 * @returns null when no entry matches, or the family has no price yet on that day.
 */
/**
 * The Bedrock model a model id bills as: an ARN by the id it ends with, and a cross-Region
 * inference profile (`us.`, `eu.`, `apac.`, `global.`, ...) by the model it routes to.
 * Application inference profiles have opaque ids and stay unpriced.
 */
const bedrockPriceKeyOf = (modelId: string): string => {
  const id = modelId.startsWith('arn:') ? modelId.slice(modelId.lastIndexOf('/') + 1) : modelId;
  return id.replace(/^(us|eu|apac|global|us-gov|jp|au|ca)\./, '');
};

const findPriceEntry = (
  table: PriceTable,
  provider: string,
  rawModel: string,
  at: Date,
): PriceEntry | null => {
  const model = provider === 'bedrock' ? bedrockPriceKeyOf(rawModel) : rawModel;
  const day = dayOf(at);
  const entries = table.providers[provider] ?? [];
  let family: string | null = null;
  let best = -1;
  for (const entry of entries) {
    const score = matchScore(entry, model);
    if (score > best) {
      best = score;
      family = entry.model;
    }
  }
  if (family === null) return null;
  let chosen: PriceEntry | null = null;
  for (const entry of entries) {
    if (entry.model !== family || entry.effective_from > day) continue;
    if (chosen === null || entry.effective_from > chosen.effective_from) chosen = entry;
  }
  return chosen;
};

const hasOffPeakCalendar = (table: PriceTable, provider: string): boolean =>
  (table.off_peak[provider]?.length ?? 0) > 0;

/**
 * A provider that bills by the hour (DeepSeek) bills every request by when it processed it,
 * whatever lane sent it: off-peak inside a window of its calendar, peak (standard) outside.
 */
const billedByTheHour = (
  table: PriceTable,
  provider: string,
  entry: PriceEntry,
  at: Date,
): BilledAs =>
  entry.off_peak_rate !== null &&
  entry.off_peak_rate !== undefined &&
  isOffPeak(table.off_peak[provider], at)
    ? 'off_peak'
    : 'standard';

const NANO_PER_USD = 1e9;

const cost = (
  nano: number,
  realtimeNano: number,
  basis: CostBasis,
  billedAs: BilledAs | null,
  priceVersion: string | null,
): RequestCost => ({
  usd: nano / NANO_PER_USD,
  realtime_usd: realtimeNano / NANO_PER_USD,
  saved_usd: (realtimeNano - nano) / NANO_PER_USD,
  nano_usd: nano,
  realtime_nano_usd: realtimeNano,
  basis,
  billed_as: billedAs,
  price_version: priceVersion,
});

/**
 * Prices one request from the usage its provider reported.
 *
 * The tier billed follows what the response reports, not what was requested: a flex request
 * downgraded to `default` is billed at standard prices; a priority request served as `default`
 * likewise. Batch requests are billed in the batch column by the model's `batch_cache_rule`.
 * A US-only (or other listed) `inference_geo` multiplies every price, realtime included.
 *
 * @example
 * ```ts
 * const cost = priceRequest(
 *   { provider: 'anthropic', model: 'claude-sonnet-4-6', lane: 'batch', usage, at: new Date() },
 *   defaultPriceTable,
 * );
 * // cost.usd, cost.realtime_usd, cost.saved_usd, cost.nano_usd, cost.basis === 'usage'
 * ```
 */
const priceRequest = (input: PriceRequestInput, table: PriceTable): RequestCost => {
  const { usage } = input;
  if (usage === null) return cost(0, 0, 'no_usage', null, null);
  const entry = findPriceEntry(table, input.provider, input.model, input.at);
  if (entry === null) return cost(0, 0, 'unpriced_model', null, table.version);

  const billedAs = hasOffPeakCalendar(table, input.provider)
    ? billedByTheHour(table, input.provider, entry, input.at)
    : billedAsOf(input.provider, input.lane, usage.serviceTier);
  const geoFactor =
    usage.inferenceGeo === null ? 1 : (entry.geo_multipliers[usage.inferenceGeo] ?? 1);
  const column = columnOf(entry, billedAs);
  const terms = column === null ? null : termsOf(column, usage, geoFactor);
  const realtimeTerms = termsOf(standardColumn(entry), usage, geoFactor);
  if (terms === null || realtimeTerms === null) {
    return cost(0, 0, 'unpriced_model', billedAs, table.version);
  }
  return cost(nanoUsdOf(terms), nanoUsdOf(realtimeTerms), 'usage', billedAs, table.version);
};

export {
  type BilledAs,
  type CostBasis,
  findPriceEntry,
  PRICING_LANES,
  type PriceRequestInput,
  type PricingLane,
  priceRequest,
  type RequestCost,
};
