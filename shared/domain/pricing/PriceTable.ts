import { z } from 'zod';
import { OffPeakScheduleSchema } from './offPeakCalendar.js';

/**
 * How a model's batch discount meets its prompt-cache prices. Providers differ, and getting it
 * wrong misstates every cached batch request:
 * - `multiply` (Anthropic): the batch discount multiplies every price, cache writes and reads
 *   included;
 * - `cache_price_unchanged` (Gemini): input and output are discounted, cached tokens keep the
 *   non-batch cache price;
 * - `batch_cached_rate` (OpenAI): input and output are discounted, cached input has its own batch
 *   price, given per model as `batch_cache_read`.
 */
const BATCH_CACHE_RULES = ['multiply', 'cache_price_unchanged', 'batch_cached_rate'] as const;
type BatchCacheRule = (typeof BATCH_CACHE_RULES)[number];

/** USD per million tokens. */
const PriceSchema = z.number().nonnegative().finite();

/** A share of the standard price, e.g. 0.5 for half price. */
const FractionSchema = z.number().positive().max(1);

const SourceSchema = z
  .object({
    /** The page the prices were read from. */
    url: z.url(),
    /** The day they were read there, `YYYY-MM-DD`. */
    retrieved: z.iso.date(),
    /** What the page is, and anything derived rather than read. */
    note: z.string().optional(),
  })
  .strict();

/**
 * One model's prices from one day on. All prices are the standard (synchronous) list prices;
 * the batch, flex, priority and geography prices are derived from them by the fields below.
 * A cache price that is null means the provider has no such thing: those tokens are billed as
 * plain input.
 */
const PriceEntrySchema = z
  .object({
    /** The model id, matched exactly. */
    model: z.string().min(1),
    /**
     * Prefixes of other ids billed as this model, such as dated snapshots
     * (`claude-sonnet-4-6-20`, `gpt-4o-mini-2024-07-18`). Among all entries of a provider the
     * longest matching prefix wins, so `gpt-4o-mini-…` never falls to `gpt-4o`.
     */
    match: z.array(z.string().min(1)).default([]),
    /** First day (UTC) these prices apply, `YYYY-MM-DD`. */
    effective_from: z.iso.date(),
    input: PriceSchema,
    /** Null for models that produce no output tokens (embeddings). */
    output: PriceSchema.nullable(),
    /** Cache write with the provider's default (short) lifetime. */
    cache_write_5m: PriceSchema.nullable(),
    cache_write_1h: PriceSchema.nullable(),
    cache_read: PriceSchema.nullable(),
    /** Share of the standard price charged through the provider's batch API. */
    batch_discount: FractionSchema,
    batch_cache_rule: z.enum(BATCH_CACHE_RULES),
    /**
     * Batch price of a cached input token, for `batch_cached_rate`; null when cached tokens get
     * no discount in a batch (billed at the batch input price).
     */
    batch_cache_read: PriceSchema.nullable().optional(),
    /** Share of the standard price charged on the flex tier; null when the model has none. */
    flex_rate: FractionSchema.nullable(),
    /**
     * Share of the standard (peak) price billed in the provider's off-peak hours (the table's
     * `off_peak` calendar); absent or null when the model has no off-peak price.
     */
    off_peak_rate: FractionSchema.nullable().optional(),
    /** Factor over the standard price on the priority tier; absent when it has no list price. */
    priority_multiplier: z.number().min(1).finite().nullable().optional(),
    /**
     * Factor over every price when the response reports this `inference_geo`, e.g.
     * `{ "us": 1.1 }` for US-only inference.
     */
    geo_multipliers: z.record(z.string().min(1), z.number().min(1).finite()).default({}),
    source: SourceSchema,
  })
  .strict()
  .superRefine((entry, ctx) => {
    if (entry.batch_cache_rule === 'batch_cached_rate' && entry.batch_cache_read === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['batch_cache_read'],
        message: 'required when batch_cache_rule is batch_cached_rate (null for no discount)',
      });
    }
  });

/** A versioned price table: for each provider, its models' price entries. */
const PriceTableSchema = z
  .object({
    /** Which table priced a request; echoed on every cost as `price_version`. */
    version: z.string().min(1),
    providers: z.record(z.string().min(1), z.array(PriceEntrySchema)),
    /**
     * Providers that bill by the hour: their off-peak calendars, each a list of schedules by
     * the instant they took effect, so a change of hours is a new schedule, not an edit.
     */
    off_peak: z.record(z.string().min(1), z.array(OffPeakScheduleSchema)).default({}),
  })
  .strict()
  .superRefine((table, ctx) => {
    // Two entries for the same model and day would make the price depend on table order.
    for (const [provider, entries] of Object.entries(table.providers)) {
      const seen = new Set<string>();
      entries.forEach((entry, index) => {
        const key = `${entry.model}@${entry.effective_from}`;
        if (seen.has(key)) {
          ctx.addIssue({
            code: 'custom',
            path: ['providers', provider, index, 'effective_from'],
            message: `duplicate entry for ${entry.model} effective ${entry.effective_from}`,
          });
        }
        seen.add(key);
      });
    }
  });

type PriceEntry = z.infer<typeof PriceEntrySchema>;
type PriceTable = z.infer<typeof PriceTableSchema>;
/** The table as written in JSON or code, before defaults are filled in. */
type PriceTableInput = z.input<typeof PriceTableSchema>;

export {
  BATCH_CACHE_RULES,
  type BatchCacheRule,
  type PriceEntry,
  PriceEntrySchema,
  type PriceTable,
  type PriceTableInput,
  PriceTableSchema,
};
