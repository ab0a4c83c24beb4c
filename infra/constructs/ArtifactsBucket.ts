import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RESULT_PREFIXES, WORKING_PREFIXES } from '../../shared/domain/bucketLayout.js';

interface ArtifactsBucketProps {
  /**
   * Days a working file (batch parts and member sidecars, input file, archived provider
   * results, realtime job, claim check) is kept before it expires. Must outlive the batch that
   * reads it: the stack works the minimum out from its settings (`artifactLifetime.ts`).
   * @default 30
   */
  readonly artifactRetentionDays?: number;
  /**
   * Days parked results (waiting for `batchlane replay`) and oversize-result objects (named by
   * the result pointers delivered in their place) are kept, each prefix under its own rule.
   * At least 14: a pointer may wait that long in a caller's SQS queue.
   * @default 90
   */
  readonly resultRetentionDays?: number;
  /**
   * Days S3 server access logs are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
}

/** The construct's own floor; the stack asks for what its batches need (`artifactLifetime.ts`). */
const MIN_ARTIFACT_RETENTION_DAYS = 3;
/** SQS's longest message retention: a result pointer must not outlive the object it names. */
const MIN_RESULT_RETENTION_DAYS = 14;
const DEFAULT_RESULT_RETENTION_DAYS = 90;
/** Old versions (overwritten by a retried run, or deleted by replay) go quickly. */
const NONCURRENT_VERSION_DAYS = 7;

/** A lifecycle rule id from a prefix: `results/oversize/` → `results-oversize`. */
const ruleIdOf = (prefix: string): string => prefix.replace(/\/$/, '').replace(/\//g, '-');

/**
 * The S3 bucket for provider batch input files and archived results, plus the bucket that
 * receives its server access logs. Working files expire after `artifactRetentionDays`;
 * parked results and oversize results after `resultRetentionDays`, under rules of their own. Both block public access, enforce TLS and encrypt at rest.
 */
class ArtifactsBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogsBucket: Bucket;
  /** Days parked results and oversize-result objects are kept. */
  public readonly resultRetentionDays: number;

  public constructor(scope: Construct, id: string, props: ArtifactsBucketProps = {}) {
    super(scope, id);
    const retentionDays = props.artifactRetentionDays ?? 30;
    if (!Number.isInteger(retentionDays) || retentionDays < MIN_ARTIFACT_RETENTION_DAYS) {
      throw new Error(
        `artifactRetentionDays must be an integer of at least ${MIN_ARTIFACT_RETENTION_DAYS}, got ${retentionDays}`,
      );
    }

    const resultDays = props.resultRetentionDays ?? DEFAULT_RESULT_RETENTION_DAYS;
    if (!Number.isInteger(resultDays) || resultDays < MIN_RESULT_RETENTION_DAYS) {
      throw new Error(
        `resultRetentionDays must be an integer of at least ${MIN_RESULT_RETENTION_DAYS} (a result pointer may wait that long in a caller's queue), got ${resultDays}`,
      );
    }
    this.resultRetentionDays = resultDays;

    // No versioning here: the S3 logging service only appends new objects, which expire
    // anyway, so old versions would add cost without anything to recover.
    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // Server access logging only delivers to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: Duration.days(props.accessLogRetentionDays ?? 90) },
      ],
    });

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Versioning protects artifacts from an overwrite by a retried run; old versions are
      // cleaned up quickly below.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'artifacts/',
      // One rule per prefix: a single bucket-wide rule would expire parked results and
      // oversize results with the working files, before they may be replayed or read.
      lifecycleRules: [
        ...WORKING_PREFIXES.map((prefix) => ({
          id: `expire-${ruleIdOf(prefix)}`,
          prefix,
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
        })),
        ...RESULT_PREFIXES.map((prefix) => ({
          id: `keep-${ruleIdOf(prefix)}`,
          prefix,
          expiration: Duration.days(resultDays),
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
        })),
        // Wherever they are, unfinished multipart uploads are never needed for long.
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }
}

export { ArtifactsBucket, type ArtifactsBucketProps };
