import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE } from '../../config/stateTableSchema.js';
import {
  COST_LANES,
  type CostEntry,
  type CostLane,
  type CostRange,
} from '../../domain/costs/CostEntry.js';
import { ConfigError, InvalidInputError, UnavailableError } from '../../domain/errors.js';
import { mapWithConcurrency } from '../../domain/mapWithConcurrency.js';
import type { CostLedger } from '../../ports/CostLedger.js';
import { awsBackoffMs, sleep as realSleep, type Sleep } from './backoff.js';
import { stateKey } from './stateItemCodec.js';
import { translateAwsError } from './translateAwsError.js';

/** BatchWriteItem accepts at most 25 requests per call. */
const BATCH_WRITE_LIMIT = 25;
/** DynamoDB's limit on a sort key value. */
const MAX_SORT_KEY_BYTES = 1024;
const DAY_MS = 86_400_000;
const DEFAULT_RETENTION_DAYS = 400;

/** Constructor options of {@link DynamoDbCostLedger}. */
interface DynamoDbCostLedgerOptions {
  readonly client: DynamoDBDocumentClient;
  /** batchlane's state table (`BATCHLANE_TABLE_NAME`). */
  readonly tableName: string;
  /**
   * Days after an entry's day when DynamoDB's TTL may delete it (default 400, the longest
   * report range); null keeps entries for good.
   */
  readonly retentionDays?: number | null;
  /** Items per Query page (default: DynamoDB's 1 MB pages). */
  readonly pageSize?: number;
  /** Parallel BatchWriteItem calls in `record` (default 4). */
  readonly writeConcurrency?: number;
  /** Tries per chunk while DynamoDB leaves items unprocessed, before giving up (default 8). */
  readonly maxAttempts?: number;
  readonly sleep?: Sleep;
}

type CostItem = Record<string, unknown>;
type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];

/**
 * Escapes `%` and `#` in one part of a sort key (`%25`, `%23`), so the `#` separators are the
 * only `#` in the key: a model or tag containing `#` cannot make two entries share a key, and
 * escaping `%` too keeps the mapping one to one. Items carry every part as its own attribute,
 * so reads never decode keys.
 */
const encodeKeyPart = (part: string): string => part.replaceAll('%', '%25').replaceAll('#', '%23');

/** `COST#<day>` / `<source>#<provider>#<model>#<lane>#<tag>`, each part escaped. */
const costItemKey = (
  entry: Pick<CostEntry, 'day' | 'source' | 'provider' | 'model' | 'lane' | 'tag'>,
) =>
  stateKey(
    `COST#${entry.day}`,
    [entry.source, entry.provider, entry.model, entry.lane, entry.tag].map(encodeKeyPart).join('#'),
  );

/** Milliseconds of a `YYYY-MM-DD` day's start (UTC), or null if it is not a real date. */
const dayStartMs = (day: string): number | null => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day ? null : ms;
};

const COUNTS = [
  'requests',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'nanoUsd',
  'realtimeNanoUsd',
] as const;

/** Why an entry cannot be stored, or null when it can. */
const entryProblem = (entry: CostEntry): string | null => {
  if (dayStartMs(entry.day) === null) return `day "${entry.day}" is not a YYYY-MM-DD date`;
  for (const name of ['source', 'provider', 'model'] as const) {
    if (typeof entry[name] !== 'string' || entry[name] === '') return `${name} is empty`;
  }
  if (typeof entry.tag !== 'string') return 'tag is not a string';
  if (!(COST_LANES as readonly string[]).includes(entry.lane)) {
    return `lane "${entry.lane}" is not one of ${COST_LANES.join(', ')}`;
  }
  for (const name of COUNTS) {
    const value = entry[name];
    if (!Number.isSafeInteger(value) || value < 0) {
      return `${name} must be a non-negative integer, not ${value}`;
    }
  }
  if (Buffer.byteLength(costItemKey(entry).sk, 'utf8') > MAX_SORT_KEY_BYTES) {
    return `source, provider, model and tag together exceed DynamoDB's ${MAX_SORT_KEY_BYTES}-byte key`;
  }
  return null;
};

const sameValues = (a: CostEntry, b: CostEntry): boolean =>
  COUNTS.every((name) => a[name] === b[name]);

const str = (item: CostItem, name: string): string => {
  const value = item[name];
  if (typeof value !== 'string') throw new TypeError(`cost item attribute ${name} is not a string`);
  return value;
};
const num = (item: CostItem, name: string): number => {
  const value = item[name];
  if (typeof value !== 'number') throw new TypeError(`cost item attribute ${name} is not a number`);
  return value;
};

const itemToEntry = (item: CostItem): CostEntry => ({
  day: str(item, 'day'),
  source: str(item, 'source'),
  provider: str(item, 'provider'),
  model: str(item, 'model'),
  lane: str(item, 'lane') as CostLane,
  tag: str(item, 'tag'),
  requests: num(item, 'requests'),
  inputTokens: num(item, 'input_tokens'),
  outputTokens: num(item, 'output_tokens'),
  cacheReadTokens: num(item, 'cache_read_tokens'),
  cacheWriteTokens: num(item, 'cache_write_tokens'),
  nanoUsd: num(item, 'nano_usd'),
  realtimeNanoUsd: num(item, 'realtime_nano_usd'),
});

/**
 * {@link CostLedger} on batchlane's state table: one item per entry under `COST#<day>` (see
 * {@link costItemKey}), written with plain puts of the full values (never `ADD`), so a rerun
 * rewrites the same items instead of counting twice. Items stay off the `active-batches`
 * index (no `gsi1pk`) and carry `expires_at` for the table's TTL.
 */
class DynamoDbCostLedger implements CostLedger {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionDays: number | null;
  readonly #pageSize: number | undefined;
  readonly #writeConcurrency: number;
  readonly #maxAttempts: number;
  readonly #sleep: Sleep;

  constructor(options: DynamoDbCostLedgerOptions) {
    const retentionDays =
      options.retentionDays === undefined ? DEFAULT_RETENTION_DAYS : options.retentionDays;
    if (retentionDays !== null && !(Number.isSafeInteger(retentionDays) && retentionDays > 0)) {
      throw new ConfigError(
        `cost retention must be a positive number of days, not ${retentionDays}`,
        {
          code: 'invalid_config',
          details: { retentionDays },
        },
      );
    }
    this.#client = options.client;
    this.#table = options.tableName;
    this.#retentionDays = retentionDays;
    this.#pageSize = options.pageSize;
    this.#writeConcurrency = options.writeConcurrency ?? 4;
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#sleep = options.sleep ?? realSleep;
  }

  async record(entries: readonly CostEntry[]): Promise<void> {
    // Everything is checked before the first write, so a bad entry never leaves half a call.
    const byKey = new Map<string, CostEntry>();
    for (const entry of entries) {
      const problem = entryProblem(entry);
      if (problem !== null) {
        throw new InvalidInputError(`cost entry not recorded: ${problem}`, {
          code: 'invalid_cost_entry',
          details: { day: entry.day, source: entry.source, model: entry.model },
        });
      }
      const { pk, sk } = costItemKey(entry);
      const id = `${pk}/${sk}`;
      const earlier = byKey.get(id);
      // Two different values for one key in one call: one would silently replace the other.
      if (earlier !== undefined && !sameValues(earlier, entry)) {
        throw new InvalidInputError(`two different cost entries for ${id}; sum them first`, {
          code: 'invalid_cost_entry',
          details: { pk, sk },
        });
      }
      byKey.set(id, entry);
    }
    const items = [...byKey.values()].map((entry) => this.#toItem(entry));
    const chunks: CostItem[][] = [];
    for (let offset = 0; offset < items.length; offset += BATCH_WRITE_LIMIT) {
      chunks.push(items.slice(offset, offset + BATCH_WRITE_LIMIT));
    }
    const outcomes = await mapWithConcurrency(chunks, this.#writeConcurrency, (chunk) =>
      this.#writeChunk(chunk),
    );
    // Every chunk has settled; the first failure is reported (a rerun rewrites them all).
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async *entries(range: CostRange): AsyncIterable<CostEntry> {
    const sinceMs = dayStartMs(range.since);
    const untilMs = dayStartMs(range.until);
    if (sinceMs === null || untilMs === null || sinceMs > untilMs) {
      throw new InvalidInputError(
        `cost range ${range.since} to ${range.until} is not two YYYY-MM-DD days in order`,
        { code: 'invalid_range', details: { ...range } },
      );
    }
    for (let ms = sinceMs; ms <= untilMs; ms += DAY_MS) {
      const pk = `COST#${new Date(ms).toISOString().slice(0, 10)}`;
      let startKey: Record<string, unknown> | undefined;
      do {
        let page: { Items?: CostItem[]; LastEvaluatedKey?: Record<string, unknown> };
        try {
          page = await this.#client.send(
            new QueryCommand({
              TableName: this.#table,
              KeyConditionExpression: '#pk = :pk',
              ExpressionAttributeNames: { '#pk': STATE_TABLE.partitionKey },
              ExpressionAttributeValues: { ':pk': pk },
              ConsistentRead: true,
              Limit: this.#pageSize,
              ExclusiveStartKey: startKey,
            }),
          );
        } catch (error) {
          throw this.#translate(error, 'Query', pk);
        }
        for (const item of page.Items ?? []) yield itemToEntry(item);
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    }
  }

  #toItem(entry: CostEntry): CostItem {
    const dayMs = dayStartMs(entry.day) ?? 0;
    return {
      ...costItemKey(entry),
      day: entry.day,
      source: entry.source,
      provider: entry.provider,
      model: entry.model,
      lane: entry.lane,
      tag: entry.tag,
      requests: entry.requests,
      input_tokens: entry.inputTokens,
      output_tokens: entry.outputTokens,
      cache_read_tokens: entry.cacheReadTokens,
      cache_write_tokens: entry.cacheWriteTokens,
      nano_usd: entry.nanoUsd,
      realtime_nano_usd: entry.realtimeNanoUsd,
      // Derived from the day, not the clock, so a rewrite puts an identical item.
      ...(this.#retentionDays === null
        ? {}
        : { [STATE_TABLE.ttlAttribute]: (dayMs + this.#retentionDays * DAY_MS) / 1000 }),
    };
  }

  async #writeChunk(items: readonly CostItem[]): Promise<void> {
    let pending: WriteRequests = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > this.#maxAttempts) {
        throw new UnavailableError(
          `BatchWriteItem left ${pending.length} cost entries unprocessed after ${this.#maxAttempts} tries`,
          { code: 'unavailable', details: { table: this.#table, unprocessed: pending.length } },
        );
      }
      if (attempt > 1) await this.#sleep(awsBackoffMs(attempt, 50, 2_000));
      try {
        const response = await this.#client.send(
          new BatchWriteCommand({ RequestItems: { [this.#table]: pending } }),
        );
        pending = response.UnprocessedItems?.[this.#table] ?? [];
      } catch (error) {
        throw this.#translate(error, 'BatchWriteItem', 'COST#');
      }
    }
  }

  #translate(error: unknown, operation: string, key: string) {
    return translateAwsError(error, {
      operation: `DynamoDB.${operation}`,
      resource: `${this.#table}/${key}`,
    });
  }
}

export {
  costItemKey,
  DynamoDbCostLedger,
  type DynamoDbCostLedgerOptions,
  encodeKeyPart,
  entryProblem as costEntryProblem,
};
