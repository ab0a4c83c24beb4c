import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { STATE_TABLE } from '../../../config/stateTableSchema.js';
import { sleep as realSleep, type Sleep } from '../backoff.js';
import { isAwsErrorNamed } from '../isAwsErrorNamed.js';
import type { StateItem } from '../stateItemCodec.js';
import { type TransactItems, transactWithRetries } from '../transactWithRetries.js';
import { translateAwsError } from '../translateAwsError.js';
import { EXISTS, INDEX_KEY_NAMES, IS_NEW, KEY_NAMES, PK_NAME, UNSET } from './stateExpressions.js';

/** What every state adapter is built on: the one table, and how hard to retry it. */
interface StateTableOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Tries for UnprocessedKeys and transaction conflicts before giving up (default 8). */
  readonly maxAttempts?: number;
  readonly sleep?: Sleep;
}

type StateKey = Readonly<Record<string, string>>;

/** The outcome of a conditional update: applied, or what the item held when it was not. */
type ConditionalOutcome =
  | { readonly applied: true }
  | { readonly applied: false; readonly old: StateItem | null };

/** The `Item` DynamoDB returns with ReturnValuesOnConditionCheckFailure (never unmarshalled). */
const oldItemOf = (raw: unknown): StateItem | null =>
  typeof raw === 'object' && raw !== null && Object.keys(raw).length > 0
    ? unmarshall(raw as Record<string, AttributeValue>)
    : null;

/** The item a failed conditional write returned, if it asked for it. */
const oldItemOfError = (error: unknown): StateItem | null =>
  oldItemOf((error as { Item?: unknown }).Item);

/**
 * The state table as its adapters share it: the document client and table name, the reads and
 * conditional writes every port makes, and one way of turning an SDK error into the project's
 * errors. Each port's adapter holds one; the five over one table are one store.
 */
class StateTableAccess {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly maxAttempts: number;
  readonly sleep: Sleep;

  constructor(options: StateTableOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.sleep = options.sleep ?? realSleep;
  }

  /** One item by key, read consistently; null when there is none. */
  async get(key: StateKey): Promise<StateItem | null> {
    try {
      const response = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      return response.Item ?? null;
    } catch (error) {
      throw this.translate(error, 'GetItem', key);
    }
  }

  /** One unconditional UpdateItem (an item made if absent). */
  async update(key: StateKey, update: Omit<UpdateCommandInput, 'TableName' | 'Key'>) {
    try {
      await this.client.send(new UpdateCommand({ ...update, TableName: this.tableName, Key: key }));
    } catch (error) {
      throw this.translate(error, 'UpdateItem', key);
    }
  }

  /**
   * One conditional UpdateItem on a key. A failed condition is an answer, not an error: what
   * the item held then (when asked for with `ReturnValuesOnConditionCheckFailure`; null when
   * there was none).
   */
  async updateIf(
    key: StateKey,
    update: Omit<UpdateCommandInput, 'TableName' | 'Key'>,
  ): Promise<ConditionalOutcome> {
    try {
      await this.client.send(new UpdateCommand({ ...update, TableName: this.tableName, Key: key }));
      return { applied: true };
    } catch (error) {
      if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
        throw this.translate(error, 'UpdateItem', key);
      }
      return { applied: false, old: oldItemOfError(error) };
    }
  }

  /** A transaction, retried while concurrent ones cancel it; null when applied. */
  transact(items: TransactItems, resource: string) {
    return transactWithRetries(this.client, items, {
      maxAttempts: this.maxAttempts,
      sleep: this.sleep,
      translate: (error) => this.translate(error, 'TransactWriteItems', resource),
    });
  }

  /** The project's error for an SDK error of `operation` on an item (or its partition). */
  translate(error: unknown, operation: string, key: StateKey | string | undefined): Error {
    const partition = typeof key === 'object' ? key[STATE_TABLE.partitionKey] : key;
    return translateAwsError(error, {
      operation: `DynamoDB.${operation}`,
      resource: `${this.tableName}/${partition ?? ''}`,
    });
  }
}

export {
  type ConditionalOutcome,
  EXISTS,
  INDEX_KEY_NAMES,
  IS_NEW,
  KEY_NAMES,
  oldItemOfError,
  PK_NAME,
  type StateKey,
  StateTableAccess,
  type StateTableOptions,
  UNSET,
};
