import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Destination } from '../../contract/destination.js';
import type { ResultV1 } from '../../contract/result.js';
import { deliveryFailureOf } from '../../domain/deliveryFailure.js';
import { InvalidInputError } from '../../domain/errors.js';
import type {
  DeliveryContext,
  DeliveryReport,
  ResultDeliverer,
} from '../../ports/ResultDeliverer.js';
import { translateAwsError } from './translateAwsError.js';

const MIB = 1024 * 1024;

/** Constructor options of {@link S3ResultWriter}. */
interface S3ResultWriterOptions {
  readonly client: S3Client;
  /** Multipart part size for large deliveries (default 8 MiB; fauxqs refuses > 11 MiB bodies). */
  readonly partSizeBytes?: number;
}

/** Where one delivery's JSONL object lands in the caller's bucket. */
const resultObjectKey = (prefix: string, context: DeliveryContext): string =>
  `${prefix}batchlane/${context.batchId ?? 'rejected'}/${context.part}.jsonl`;

/**
 * Delivers results to S3 as one JSONL object per delivery call (one result per line), at
 * `<prefix>batchlane/<batchId or 'rejected'>/<part>.jsonl`. One object per request would be
 * bound by the SDK's per-call CPU cost and flood the caller's bucket. Redelivering the same
 * part overwrites the same object, so retries do not duplicate results.
 */
class S3ResultWriter implements ResultDeliverer {
  readonly #client: S3Client;
  readonly #partSize: number;

  constructor(options: S3ResultWriterOptions) {
    this.#client = options.client;
    this.#partSize = Math.min(10 * MIB, Math.max(5 * MIB, options.partSizeBytes ?? 8 * MIB));
  }

  async deliver(
    destination: Destination,
    results: readonly ResultV1[],
    context: DeliveryContext,
  ): Promise<DeliveryReport> {
    if (destination.type !== 's3') {
      throw new InvalidInputError(`S3ResultWriter cannot deliver to ${destination.type}`, {
        code: 'wrong_destination',
      });
    }
    if (results.length === 0) return { failed: [] };
    const key = resultObjectKey(destination.prefix, context);
    const body = Buffer.from(`${results.map((r) => JSON.stringify(r)).join('\n')}\n`, 'utf8');
    try {
      await new Upload({
        client: this.#client,
        params: {
          Bucket: destination.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/x-ndjson',
        },
        partSize: this.#partSize,
        queueSize: 2,
        leavePartsOnError: false,
      }).done();
      return { failed: [] };
    } catch (error) {
      const translated = translateAwsError(error, {
        operation: 'S3.PutObject',
        resource: `s3://${destination.bucket}/${key}`,
      });
      return { failed: results.map((r) => deliveryFailureOf(r, translated)) };
    }
  }
}

export { resultObjectKey, S3ResultWriter, type S3ResultWriterOptions };
