import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE } from '../../config/stateTableSchema.js';
import type { WebhookReceipts } from '../../ports/WebhookReceipts.js';
import { isAwsErrorNamed } from './isAwsErrorNamed.js';
import { stateKey } from './stateItemCodec.js';
import { translateAwsError } from './translateAwsError.js';

interface DynamoDbWebhookReceiptsOptions {
  readonly client: DynamoDBDocumentClient;
  /** batchlane's state table (`BATCHLANE_TABLE_NAME`). */
  readonly tableName: string;
  /** Epoch seconds now: a claim past its TTL counts as gone before DynamoDB deletes it. */
  readonly nowSeconds?: () => number;
}

/** `PUSH#<provider>#<webhook-id>` / `PUSH`: one small item per received webhook. */
const receiptKey = (provider: string, webhookId: string) =>
  stateKey(`PUSH#${provider}#${webhookId}`, 'PUSH');

/**
 * Received webhook ids in the state table: one conditional PutItem per webhook (no read
 * first), deleted by the table's TTL. DynamoDB deletes expired items only eventually, so the
 * condition also lets a claim replace one whose TTL has passed.
 */
class DynamoDbWebhookReceipts implements WebhookReceipts {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #nowSeconds: () => number;

  constructor(options: DynamoDbWebhookReceiptsOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  async claim(provider: string, webhookId: string, expiresAt: number): Promise<boolean> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...receiptKey(provider, webhookId), [STATE_TABLE.ttlAttribute]: expiresAt },
          ConditionExpression: 'attribute_not_exists(#pk) OR #ttl < :now',
          ExpressionAttributeNames: {
            '#pk': STATE_TABLE.partitionKey,
            '#ttl': STATE_TABLE.ttlAttribute,
          },
          ExpressionAttributeValues: { ':now': this.#nowSeconds() },
        }),
      );
      return true;
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return false;
      throw translateAwsError(error, { operation: 'PutItem', resource: this.#tableName });
    }
  }

  async release(provider: string, webhookId: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteCommand({ TableName: this.#tableName, Key: receiptKey(provider, webhookId) }),
      );
    } catch (error) {
      throw translateAwsError(error, { operation: 'DeleteItem', resource: this.#tableName });
    }
  }
}

export { DynamoDbWebhookReceipts, type DynamoDbWebhookReceiptsOptions };
