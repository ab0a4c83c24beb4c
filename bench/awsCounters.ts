import type {
  InitializeHandlerArguments,
  InitializeHandlerOutput,
  MetadataBearer,
  MiddlewareStack,
} from '@smithy/types';

type Service = 'SQS' | 'S3' | 'DynamoDB' | 'EventBridge';

/** Billing units gathered from the calls, priced in {@link priceTally}. */
interface BillingUnits {
  /** SQS requests billed: one per 64 KB chunk of each call's payload. */
  sqsRequests: number;
  /** S3 PUT/COPY/POST/LIST-tier requests (incl. multipart create/part/complete). */
  s3PutTier: number;
  /** S3 GET-tier requests (GET, HEAD and the rest). */
  s3GetTier: number;
  /** DynamoDB write and read request units, as DynamoDB reports them (ReturnConsumedCapacity). */
  ddbWriteUnits: number;
  ddbReadUnits: number;
  /** EventBridge events billed: one per 64 KB chunk of each entry. */
  ebEvents: number;
}

/** Calls per service and operation (HTTP attempts, retries included), and their billing units. */
interface Tally {
  calls: Record<Service, Record<string, number>>;
  /** Summed wall time of the calls per operation (ms), retries included: where waits go. */
  ms: Record<Service, Record<string, number>>;
  units: BillingUnits;
}

/** No billed unit at all. */
const noUnits = (): BillingUnits => ({
  sqsRequests: 0,
  s3PutTier: 0,
  s3GetTier: 0,
  ddbWriteUnits: 0,
  ddbReadUnits: 0,
  ebEvents: 0,
});

const emptyTally = (): Tally => ({
  calls: { SQS: {}, S3: {}, DynamoDB: {}, EventBridge: {} },
  ms: { SQS: {}, S3: {}, DynamoDB: {}, EventBridge: {} },
  units: noUnits(),
});

/** The sum of two tallies (calls, wall time and units), as a new tally. */
const mergeTallies = (a: Tally, b: Tally): Tally => {
  const out = emptyTally();
  for (const t of [a, b]) {
    for (const service of Object.keys(t.calls) as Service[]) {
      for (const [op, n] of Object.entries(t.calls[service])) {
        out.calls[service][op] = (out.calls[service][op] ?? 0) + n;
      }
      for (const [op, ms] of Object.entries(t.ms[service])) {
        out.ms[service][op] = (out.ms[service][op] ?? 0) + ms;
      }
    }
    for (const key of Object.keys(t.units) as (keyof BillingUnits)[]) {
      out.units[key] += t.units[key];
    }
  }
  return out;
};

const CHUNK = 64 * 1024;
const S3_PUT_TIER = new Set([
  'PutObjectCommand',
  'CopyObjectCommand',
  'CreateMultipartUploadCommand',
  'UploadPartCommand',
  'CompleteMultipartUploadCommand',
  'ListObjectsV2Command',
  'ListObjectsCommand',
  'CreateBucketCommand',
]);
/** Free S3 operations. */
const S3_FREE = new Set(['DeleteObjectCommand', 'AbortMultipartUploadCommand']);
/** DynamoDB operations that accept ReturnConsumedCapacity. */
const DDB_CAPACITY_OPS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'GetItemCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
  'TransactGetItemsCommand',
  'QueryCommand',
  'ScanCommand',
]);
const DDB_READ_OPS = new Set([
  'GetItemCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
  'QueryCommand',
  'ScanCommand',
]);

const byteLength = (value: unknown): number =>
  typeof value === 'string' ? Buffer.byteLength(value) : 0;

/** SQS payload of a call: the bodies and attributes it carries (approximated by bodies). */
const sqsPayload = (input: Record<string, unknown>): number => {
  if (typeof input.MessageBody === 'string') return byteLength(input.MessageBody);
  if (Array.isArray(input.Entries)) {
    return (input.Entries as Record<string, unknown>[]).reduce(
      (sum, e) => sum + byteLength(e.MessageBody),
      0,
    );
  }
  return 0;
};

/** Capacity units in a DynamoDB answer: one object, or one per table/transaction. */
const capacityOf = (output: unknown): number => {
  const consumed = (output as { ConsumedCapacity?: unknown } | undefined)?.ConsumedCapacity;
  const list = Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed];
  return list.reduce<number>((sum, c) => {
    const units = (c as { CapacityUnits?: unknown }).CapacityUnits;
    return sum + (typeof units === 'number' ? units : 0);
  }, 0);
};

const commandNameOf = (context: Record<string, unknown>): string =>
  typeof context.commandName === 'string' ? context.commandName : 'UnknownCommand';

/** The action kinds of a TransactWriteItems call in order of appearance, e.g. `Put` or `ConditionCheck+Update+Put`. */
const transactKinds = (input: Record<string, unknown>): string => {
  const items = Array.isArray(input.TransactItems) ? (input.TransactItems as object[]) : [];
  return [...new Set(items.flatMap((action) => Object.keys(action)))].join('+');
};

/**
 * Write units of a TransactWriteItems call as DynamoDB bills them: 2 per action per KB of
 * item. DynamoDB Local reports a whole transaction as if it wrote one item (4 units for 1, 10
 * or 100 puts of small items alike), so its figure cannot be used. A Put's size is
 * estimated from its item as JSON; Update, ConditionCheck and Delete actions are counted as
 * items under 1 KB (the ledger entries and members batchlane touches in transactions are).
 */
const transactWriteUnits = (input: Record<string, unknown>): number => {
  const items = Array.isArray(input.TransactItems)
    ? (input.TransactItems as { Put?: { Item?: unknown } }[])
    : [];
  return items.reduce((sum, action) => {
    const item = action.Put?.Item;
    const bytes = item === undefined ? 0 : Buffer.byteLength(JSON.stringify(item));
    return sum + 2 * Math.max(1, Math.ceil(bytes / 1024));
  }, 0);
};

/**
 * Adds a counting middleware to one client's stack. It counts HTTP attempts (from
 * `$metadata.attempts`, so SDK retries are billed as AWS bills them) and, on DynamoDB, asks for
 * `ReturnConsumedCapacity: TOTAL` so capacity comes from the database, not from a guess at
 * item sizes. The use cases never read ConsumedCapacity, so asking for it changes nothing else.
 */
const instrument = <I extends object, O extends MetadataBearer>(
  stack: MiddlewareStack<I, O>,
  service: Service,
  tally: () => Tally,
): void => {
  stack.add(
    (next, context) =>
      async (args: InitializeHandlerArguments<I>): Promise<InitializeHandlerOutput<O>> => {
        const name = commandNameOf(context as Record<string, unknown>);
        const input = args.input as Record<string, unknown>;
        if (service === 'DynamoDB' && DDB_CAPACITY_OPS.has(name)) {
          input.ReturnConsumedCapacity = 'TOTAL';
        }
        let attempts = 1;
        let output: unknown;
        const started = performance.now();
        try {
          const result = await next(args);
          attempts = result.output.$metadata.attempts ?? 1;
          output = result.output;
          return result;
        } catch (error) {
          const metadata = (error as { $metadata?: { attempts?: number } }).$metadata;
          attempts = metadata?.attempts ?? 1;
          throw error;
        } finally {
          const t = tally();
          const base = name.replace(/Command$/, '');
          // Transactions are told apart by what they hold (e.g. ledger registrations, claims).
          const op =
            name === 'TransactWriteItemsCommand' ? `${base} (${transactKinds(input)})` : base;
          t.calls[service][op] = (t.calls[service][op] ?? 0) + attempts;
          t.ms[service][op] = (t.ms[service][op] ?? 0) + (performance.now() - started);
          switch (service) {
            case 'SQS':
              t.units.sqsRequests += attempts * Math.max(1, Math.ceil(sqsPayload(input) / CHUNK));
              break;
            case 'S3':
              if (S3_PUT_TIER.has(name)) t.units.s3PutTier += attempts;
              else if (!S3_FREE.has(name)) t.units.s3GetTier += attempts;
              break;
            case 'DynamoDB': {
              const units =
                name === 'TransactWriteItemsCommand'
                  ? output === undefined
                    ? 0
                    : transactWriteUnits(input)
                  : capacityOf(output);
              if (DDB_READ_OPS.has(name)) t.units.ddbReadUnits += units;
              else t.units.ddbWriteUnits += units;
              break;
            }
            case 'EventBridge': {
              const entries = Array.isArray(input.Entries)
                ? (input.Entries as Record<string, unknown>[])
                : [];
              for (const entry of entries) {
                t.units.ebEvents += Math.max(1, Math.ceil(byteLength(entry.Detail) / CHUNK));
              }
              break;
            }
          }
        }
      },
    { step: 'initialize', name: `benchCounter${service}`, priority: 'high' },
  );
};

/** us-east-1 list prices used for the cost column (USD); see RESULTS.md for the source. */
const PRICES = {
  sqsPerMillionRequests: 0.4,
  s3PutPerThousand: 0.005,
  s3GetPerThousand: 0.0004,
  ddbPerMillionWriteUnits: 0.625,
  ddbPerMillionReadUnits: 0.125,
  ebPerMillionEvents: 1.0,
} as const;

/** USD per service for the units in `units`. */
const priceUnits = (units: BillingUnits): Record<Service, number> => ({
  SQS: (units.sqsRequests / 1e6) * PRICES.sqsPerMillionRequests,
  S3:
    (units.s3PutTier / 1e3) * PRICES.s3PutPerThousand +
    (units.s3GetTier / 1e3) * PRICES.s3GetPerThousand,
  DynamoDB:
    (units.ddbWriteUnits / 1e6) * PRICES.ddbPerMillionWriteUnits +
    (units.ddbReadUnits / 1e6) * PRICES.ddbPerMillionReadUnits,
  EventBridge: (units.ebEvents / 1e6) * PRICES.ebPerMillionEvents,
});

export {
  type BillingUnits,
  emptyTally,
  instrument,
  mergeTallies,
  noUnits,
  PRICES,
  priceUnits,
  type Service,
  type Tally,
};
