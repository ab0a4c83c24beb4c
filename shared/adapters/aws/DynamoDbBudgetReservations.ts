import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE } from '../../config/stateTableSchema.js';
import { type BudgetPeriod, budgetExpiryOf } from '../../domain/budgetPeriod.js';
import type { BudgetReservations, BudgetUsage } from '../../ports/BudgetReservations.js';
import { sleep as realSleep, type Sleep } from './backoff.js';
import { type TransactItems, transactWithRetries } from './transactWithRetries.js';
import { translateAwsError } from './translateAwsError.js';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = STATE_TABLE;

/** Key of a period's counter: `BUDGET#day#2026-12-06` or `BUDGET#month#2026-12`. */
const counterKey = (kind: 'day' | 'month', id: string): Record<string, string> => ({
  [PK]: `BUDGET#${kind}#${id}`,
  [SK]: 'BUDGET',
});

/** Key of the record that a settlement was applied. */
const settlementKey = (settlementId: string): Record<string, string> => ({
  [PK]: `BUDGETSETTLE#${settlementId}`,
  [SK]: 'BUDGETSETTLE',
});

/**
 * {@link BudgetReservations} on batchlane's state table: a counter item per day and per month
 * (`reserved`, nano-dollars), updated with `ADD` in transactions whose conditions keep each
 * counter within its limit, and expired through the table's TTL after its month.
 */
class DynamoDbBudgetReservations implements BudgetReservations {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #sleep: Sleep;

  constructor(options: {
    readonly client: DynamoDBDocumentClient;
    readonly tableName: string;
    readonly sleep?: Sleep;
  }) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#sleep = options.sleep ?? realSleep;
  }

  async read(period: BudgetPeriod): Promise<BudgetUsage> {
    const day = counterKey('day', period.day);
    const month = counterKey('month', period.month);
    try {
      const response = await this.#client.send(
        new BatchGetCommand({
          RequestItems: { [this.#table]: { Keys: [day, month], ConsistentRead: true } },
        }),
      );
      const items = response.Responses?.[this.#table] ?? [];
      const reservedOf = (pk: string): number => {
        const value = items.find((item) => item[PK] === pk)?.['reserved'];
        return typeof value === 'number' ? value : 0;
      };
      if (Object.keys(response.UnprocessedKeys ?? {}).length > 0) {
        // Two small items: throttled. A retry of the whole read is cheap.
        return this.read(period);
      }
      return {
        dayNanoUsd: reservedOf(day[PK] ?? ''),
        monthNanoUsd: reservedOf(month[PK] ?? ''),
      };
    } catch (error) {
      throw translateAwsError(error, {
        operation: 'DynamoDB.BatchGetItem',
        resource: day[PK] ?? 'BUDGET',
      });
    }
  }

  async reserve(
    period: BudgetPeriod,
    nanoUsd: number,
    limits: { readonly dailyNanoUsd: number | null; readonly monthlyNanoUsd: number | null },
  ): Promise<boolean> {
    const amount = Math.max(0, Math.ceil(nanoUsd));
    const reasons = await this.#transact([
      this.#add(counterKey('day', period.day), period, amount, limits.dailyNanoUsd),
      this.#add(counterKey('month', period.month), period, amount, limits.monthlyNanoUsd),
    ]);
    return reasons === null;
  }

  async settle(settlementId: string, period: BudgetPeriod, deltaNanoUsd: number): Promise<void> {
    const delta = Math.round(deltaNanoUsd);
    await this.#transact([
      {
        Put: {
          TableName: this.#table,
          Item: {
            ...settlementKey(settlementId),
            delta_nano_usd: delta,
            day: period.day,
            [TTL]: budgetExpiryOf(period),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        },
      },
      this.#add(counterKey('day', period.day), period, delta, null),
      this.#add(counterKey('month', period.month), period, delta, null),
    ]);
    // A failed condition can only be the settlement record: applied already, nothing to do.
  }

  /** One counter's `ADD`, conditioned on staying within `limit` when there is one. */
  #add(
    key: Record<string, string>,
    period: BudgetPeriod,
    amount: number,
    limit: number | null,
  ): TransactItems[number] {
    return {
      Update: {
        TableName: this.#table,
        Key: key,
        UpdateExpression: 'ADD reserved :amount SET #ttl = if_not_exists(#ttl, :exp)',
        ExpressionAttributeNames: { '#ttl': TTL },
        ...(limit === null
          ? {}
          : {
              // A counter not yet there starts at 0: the amount alone must fit.
              ConditionExpression:
                '(attribute_not_exists(reserved) AND :amount <= :limit) OR reserved <= :room',
            }),
        ExpressionAttributeValues: {
          ':amount': amount,
          ':exp': budgetExpiryOf(period),
          ...(limit === null ? {} : { ':limit': limit, ':room': limit - amount }),
        },
      },
    };
  }

  #transact(items: TransactItems) {
    return transactWithRetries(this.#client, items, {
      maxAttempts: 8,
      sleep: this.#sleep,
      translate: (error) =>
        translateAwsError(error, { operation: 'DynamoDB.TransactWriteItems', resource: 'BUDGET' }),
    });
  }
}

export { DynamoDbBudgetReservations };
