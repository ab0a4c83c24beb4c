import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE } from '../../config/stateTableSchema.js';
import type { ProviderName } from '../../contract/providers.js';
import {
  type BatchTimes,
  type TurnaroundStats,
  turnaroundMsOf,
  turnaroundStatsOf,
} from '../../domain/turnaround.js';
import type { TurnaroundLog } from '../../ports/TurnaroundLog.js';
import { stateKey } from './stateItemCodec.js';
import { translateAwsError } from './translateAwsError.js';

interface DynamoDbTurnaroundLogOptions {
  readonly client: DynamoDBDocumentClient;
  /** batchlane's state table (`BATCHLANE_TABLE_NAME`). */
  readonly tableName: string;
  /** Days a record is kept (DynamoDB TTL); default 90. */
  readonly retentionDays?: number;
}

/** `TURN#<provider>#<model>` / `<ended at>#<batch id>`: a partition per provider and model. */
const turnaroundKey = (times: Pick<BatchTimes, 'provider' | 'model' | 'endedAt' | 'batchId'>) =>
  stateKey(`TURN#${times.provider}#${times.model}`, `${times.endedAt}#${times.batchId}`);

/**
 * Batch times in the state table: one PutItem per ended batch (the same batch writes the same
 * key), and one Query of the newest records for a distribution. Kept for `retentionDays`.
 */
class DynamoDbTurnaroundLog implements TurnaroundLog {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retentionSeconds: number;

  constructor(options: DynamoDbTurnaroundLogOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#retentionSeconds = (options.retentionDays ?? 90) * 86_400;
  }

  async record(times: BatchTimes): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...turnaroundKey(times),
            times,
            [STATE_TABLE.ttlAttribute]:
              Math.floor(Date.parse(times.endedAt) / 1000) + this.#retentionSeconds,
          },
        }),
      );
    } catch (error) {
      throw translateAwsError(error, { operation: 'PutItem', resource: this.#tableName });
    }
  }

  async recent(provider: ProviderName, model: string, limit = 50): Promise<BatchTimes[]> {
    try {
      const { Items } = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': STATE_TABLE.partitionKey },
          ExpressionAttributeValues: { ':pk': `TURN#${provider}#${model}` },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (Items ?? []).map((item) => item['times'] as BatchTimes);
    } catch (error) {
      throw translateAwsError(error, { operation: 'Query', resource: this.#tableName });
    }
  }

  async turnaroundOf(
    provider: ProviderName,
    model: string,
    window = 200,
  ): Promise<TurnaroundStats | null> {
    const recent = await this.recent(provider, model, window);
    return turnaroundStatsOf(provider, model, recent.map(turnaroundMsOf));
  }
}

export { DynamoDbTurnaroundLog, type DynamoDbTurnaroundLogOptions };
