import { InvalidInputError } from '../errors.js';
import { type PriceEntry, type PriceTable, PriceTableSchema } from './PriceTable.js';

/** `providers.openai[3].input`: the path of a field as a deployment would write it. */
const formatPath = (path: readonly PropertyKey[]): string => {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text === '' ? '(root)' : text;
};

const invalid = (what: string, path: string, reason: string): InvalidInputError =>
  new InvalidInputError(`Invalid ${what} at ${path}: ${reason}`, {
    code: 'invalid_price_table',
    details: { path, reason },
  });

const parseTable = (what: string, value: unknown): PriceTable => {
  const result = PriceTableSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw invalid(what, formatPath(issue?.path ?? []), issue?.message ?? 'invalid');
};

const sameEntry = (a: PriceEntry, b: PriceEntry): boolean =>
  a.model === b.model && a.effective_from === b.effective_from;

/**
 * The price table a deployment runs with: the shipped table, overridden and extended by the
 * deployment's own JSON (same schema). An override entry replaces the shipped entry with the
 * same provider, model and `effective_from`; any other entry is added, so a new price from a
 * later day or a model the shipped table lacks needs no release. An override's off-peak
 * calendar for a provider replaces the shipped one. The result's version names
 * both tables, so every cost says which prices it used.
 *
 * @param override the parsed JSON, its text, or null/undefined for none.
 * @throws {InvalidInputError} code `invalid_price_table`, naming the path of the first bad field.
 *
 * @example
 * ```ts
 * const table = resolvePriceTable(defaultPriceTable, deploymentOverrideJson);
 * ```
 */
const resolvePriceTable = (defaultTable: PriceTable, override: unknown): PriceTable => {
  const base = parseTable('price table', defaultTable);
  if (override === null || override === undefined) return base;
  let value = override;
  if (typeof override === 'string') {
    try {
      value = JSON.parse(override);
    } catch {
      throw invalid('price table override', '(root)', 'not valid JSON');
    }
  }
  const extra = parseTable('price table override', value);

  const providers: Record<string, PriceEntry[]> = {};
  for (const [provider, entries] of Object.entries(base.providers))
    providers[provider] = [...entries];
  for (const [provider, entries] of Object.entries(extra.providers)) {
    const merged = providers[provider] ?? [];
    for (const entry of entries) {
      const index = merged.findIndex((existing) => sameEntry(existing, entry));
      if (index === -1) merged.push(entry);
      else merged[index] = entry;
    }
    providers[provider] = merged;
  }
  // An override's calendar replaces the shipped one whole: schedules are read in order, so
  // splicing two lists could leave an hour under the wrong schedule.
  const offPeak = { ...base.off_peak, ...extra.off_peak };
  return { version: `${base.version}+${extra.version}`, providers, off_peak: offPeak };
};

export { resolvePriceTable };
