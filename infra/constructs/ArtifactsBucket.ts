import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

interface ArtifactsBucketProps {
  /**
   * Days an artifact (batch input file, archived provider results) is kept before it expires.
   * Must outlive a batch: providers take up to 24 h and deliveries may be retried after that.
   * @default 30
   */
  readonly artifactRetentionDays?: number;
  /**
   * Days S3 server access logs are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
}

const MIN_ARTIFACT_RETENTION_DAYS = 3;

/**
 * The S3 bucket for provider batch input files and archived results, plus the bucket that
 * receives its server access logs. Both block public access, enforce TLS and encrypt at rest.
 */
class ArtifactsBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogsBucket: Bucket;

  public constructor(scope: Construct, id: string, props: ArtifactsBucketProps = {}) {
    super(scope, id);
    const retentionDays = props.artifactRetentionDays ?? 30;
    if (!Number.isInteger(retentionDays) || retentionDays < MIN_ARTIFACT_RETENTION_DAYS) {
      throw new Error(
        `artifactRetentionDays must be an integer of at least ${MIN_ARTIFACT_RETENTION_DAYS} (a batch may run 24 h and be delivered later), got ${retentionDays}`,
      );
    }

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
      lifecycleRules: [
        {
          id: 'expire-artifacts',
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }
}

export { ArtifactsBucket, type ArtifactsBucketProps };
