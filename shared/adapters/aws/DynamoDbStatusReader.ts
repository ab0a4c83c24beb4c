import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE } from '../../config/stateTableSchema.js';
import type { StatusCounts } from '../../contract/events.js';
import type { ProviderName } from '../../contract/providers.js';
import { PARKED_ROOT } from '../../domain/bucketLayout.js';
import type { CostEntry, CostRange } from '../../domain/costs/CostEntry.js';
import type { BatchState } from '../../domain/records.js';
import type { BatchFacts, IntakeDepth, ParkedObject } from '../../domain/status/statusFacts.js';
import type { CostLedger } from '../../ports/CostLedger.js';
import type { StatusReader } from '../../ports/StatusReader.js';
import { awsBackoffMs, sleep as realSleep, type Sleep } from './backoff.js';
import { translateAwsError } from './translateAwsError.js';

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;
/** Tries per BatchGetItem chunk while DynamoDB leaves keys unprocessed. */
const MAX_ATTEMPTS = 8;

interface DynamoDbStatusReaderOptions {
  readonly documentClient: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly tableName: string;
  /** The bucket parked results are kept in (the artifacts bucket). */
  readonly bucket: string;
  /** The intake queue, whose delayed messages are the requests admission holds; optional. */
  readonly intakeQueueUrl?: string | null;
  /** The cost ledger on the same table. */
  readonly costs: CostLedger;
  readonly sleep?: Sleep;
}

type Item = Record<string, unknown>;

const text = (item: Item, name: string): string | null => {
  const value = item[name];
  return typeof value === 'string' ? value : null;
};

/**
 * A batch item as the status view needs it; null for an item that is not a batch record (a
 * reader must not fail on a record it does not understand: it shows the others).
 */
const itemToFacts = (item: Item): BatchFacts | null => {
  const batchId = text(item, 'batch_id');
  const provider = text(item, 'provider');
  const state = text(item, 'state');
  const createdAt = text(item, 'created_at');
  if (batchId === null || provider === null || state === null || createdAt === null) return null;
  const counts = item.counts;
  return {
    batchId,
    provider: provider as ProviderName,
    models: Array.isArray(item.models) ? item.models.filter((m) => typeof m === 'string') : [],
    state: state as BatchState,
    requestCount: typeof item.request_count === 'number' ? item.request_count : 0,
    createdAt,
    submittedAt: text(item, 'submitted_at'),
    endedAt: text(item, 'ended_at'),
    completedAt: text(item, 'completed_at'),
    providerExpiresAt: text(item, 'provider_expires_at'),
    counts: typeof counts === 'object' && counts !== null ? (counts as StatusCounts) : null,
    lastError: text(item, 'last_error'),
  };
};

const batchKey = (batchId: string): Item => ({
  [STATE_TABLE.partitionKey]: `BATCH#${batchId}`,
  [STATE_TABLE.sortKey]: 'BATCH',
});

/** The attributes the view reads, so a batch's estimate and checkpoint are not fetched. */
const PROJECTION = [
  'batch_id',
  'provider',
  'models',
  '#state',
  'request_count',
  'created_at',
  'submitted_at',
  'ended_at',
  'completed_at',
  'provider_expires_at',
  'counts',
  'last_error',
].join(', ');

/**
 * {@link StatusReader} on a deployment's state table (the active-batches index and batch
 * records, by the schema in `stateTableSchema.ts`), its bucket's `parked/` prefix and its
 * intake queue's attributes. Read-only: Query, BatchGetItem, ListObjectsV2, GetQueueAttributes.
 */
class DynamoDbStatusReader implements StatusReader {
  private readonly sleep: Sleep;

  constructor(private readonly options: DynamoDbStatusReaderOptions) {
    this.sleep = options.sleep ?? realSleep;
  }

  async activeBatches(): Promise<BatchFacts[]> {
    const { documentClient, tableName } = this.options;
    const batches: BatchFacts[] = [];
    try {
      const pages = paginateQuery(
        { client: documentClient },
        {
          TableName: tableName,
          IndexName: STATE_TABLE.activeBatchesIndex,
          KeyConditionExpression: '#pk = :active',
          ExpressionAttributeNames: { '#pk': STATE_TABLE.indexPartitionKey, '#state': 'state' },
          ExpressionAttributeValues: { ':active': STATE_TABLE.activePartition },
          ProjectionExpression: PROJECTION,
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const facts = itemToFacts(item);
          if (facts !== null) batches.push(facts);
        }
      }
    } catch (error) {
      throw translateAwsError(error, { operation: 'DynamoDB.Query', resource: tableName });
    }
    return batches;
  }

  async batches(ids: readonly string[]): Promise<BatchFacts[]> {
    const unique = [...new Set(ids)];
    const found: BatchFacts[] = [];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      const chunk = unique.slice(start, start + BATCH_GET_LIMIT);
      for (const item of await this.getChunk(chunk.map(batchKey))) {
        const facts = itemToFacts(item);
        if (facts !== null) found.push(facts);
      }
    }
    return found;
  }

  costEntries(range: CostRange): AsyncIterable<CostEntry> {
    return this.options.costs.entries(range);
  }

  async parkedResults(limit: number): Promise<ParkedObject[]> {
    const { s3, bucket } = this.options;
    const parked: ParkedObject[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: PARKED_ROOT,
            ContinuationToken: token,
            MaxKeys: Math.min(1000, limit - parked.length),
          }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined || object.Key.endsWith('/')) continue;
          parked.push({
            key: object.Key,
            destinationType: object.Key.slice(PARKED_ROOT.length).split('/')[0] ?? '',
            bytes: object.Size ?? 0,
            lastModified: object.LastModified?.toISOString() ?? null,
          });
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined && parked.length < limit);
    } catch (error) {
      throw translateAwsError(error, { operation: 'S3.ListObjectsV2', resource: bucket });
    }
    return parked;
  }

  async intakeDepth(): Promise<IntakeDepth | null> {
    const { sqs, intakeQueueUrl } = this.options;
    if (intakeQueueUrl === undefined || intakeQueueUrl === null) return null;
    try {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: intakeQueueUrl,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesDelayed',
            'ApproximateNumberOfMessagesNotVisible',
          ],
        }),
      );
      const count = (name: keyof typeof Attributes): number => Number(Attributes[name] ?? 0) || 0;
      return {
        waiting: count('ApproximateNumberOfMessages'),
        delayed: count('ApproximateNumberOfMessagesDelayed'),
        inFlight: count('ApproximateNumberOfMessagesNotVisible'),
      };
    } catch (error) {
      throw translateAwsError(error, {
        operation: 'SQS.GetQueueAttributes',
        resource: intakeQueueUrl,
      });
    }
  }

  /** One BatchGetItem chunk, retrying the keys DynamoDB leaves unprocessed. */
  private async getChunk(keys: Item[]): Promise<Item[]> {
    const { documentClient, tableName } = this.options;
    const items: Item[] = [];
    let pending = keys;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let response: BatchGetCommandOutput;
      try {
        response = await documentClient.send(
          new BatchGetCommand({
            RequestItems: {
              [tableName]: {
                Keys: pending,
                ProjectionExpression: PROJECTION,
                ExpressionAttributeNames: { '#state': 'state' },
              },
            },
          }),
        );
      } catch (error) {
        throw translateAwsError(error, { operation: 'DynamoDB.BatchGetItem', resource: tableName });
      }
      items.push(...(response.Responses?.[tableName] ?? []));
      pending = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
      if (pending.length > 0) {
        if (attempt >= MAX_ATTEMPTS) {
          throw translateAwsError(
            Object.assign(new Error('keys left unprocessed'), {
              name: 'ProvisionedThroughputExceededException',
            }),
            { operation: 'DynamoDB.BatchGetItem', resource: tableName },
          );
        }
        await this.sleep(awsBackoffMs(attempt, 50, 2_000));
      }
    }
    return items;
  }
}

export { DynamoDbStatusReader, type DynamoDbStatusReaderOptions };
