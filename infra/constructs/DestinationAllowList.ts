import { Aws, type Stack, Token } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Destination } from '../../shared/contract/destination.js';

/** `https://sqs.<region>.amazonaws.com[.cn]/<account>/<name>` or the legacy `<region>.queue.` host. */
const QUEUE_URL = /^https?:\/\/(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?\/(\d{12})\/([\w-]{1,80}(?:\.fifo)?)\/?$/;

interface DestinationAllowListProps {
  /**
   * ARNs of caller SQS queues results may be sent to (`sqs:SendMessage`).
   * @default []
   */
  readonly queueArns?: readonly string[];
  /**
   * Names of caller S3 buckets results may be written to (`s3:PutObject` on their objects).
   * @default []
   */
  readonly bucketNames?: readonly string[];
  /**
   * ARNs of caller EventBridge buses results may be put on (`events:PutEvents`).
   * @default []
   */
  readonly eventBusArns?: readonly string[];
}

const unique = (values: readonly string[]): readonly string[] => [...new Set(values)];

/** Derives the queue ARN from an SQS queue URL; throws when the URL is not an SQS queue URL. */
const queueArnFromUrl = (url: string): string => {
  const match = QUEUE_URL.exec(url);
  const region = match?.[1] ?? match?.[2];
  if (match === null || region === undefined) {
    throw new Error(`default destination queue_url "${url}" is not an SQS queue URL`);
  }
  return `arn:${Aws.PARTITION}:sqs:${region}:${match[3]}:${match[4]}`;
};

/**
 * The caller destinations (SQS queues, S3 buckets, EventBridge buses) the completion function
 * may deliver to. It renders both sides of the contract: the `BATCHLANE_DESTINATION_ALLOW_LIST`
 * entries (`sqs:<queue arn>`, `s3:<bucket>`, `eventbridge:<bus arn>`) and the IAM statements,
 * so that nothing is ever granted on `*`. Webhooks need no IAM and are not listed.
 *
 * @example
 * const allowList = new DestinationAllowList({ queueArns: ['arn:aws:sqs:eu-west-1:123456789012:results'] });
 * fn.bindDestinations(allowList);
 */
class DestinationAllowList {
  public readonly queueArns: readonly string[];
  public readonly bucketNames: readonly string[];
  public readonly eventBusArns: readonly string[];

  public constructor(props: DestinationAllowListProps = {}) {
    this.queueArns = unique(props.queueArns ?? []);
    this.bucketNames = unique(props.bucketNames ?? []);
    this.eventBusArns = unique(props.eventBusArns ?? []);
    for (const arn of [...this.queueArns, ...this.eventBusArns]) {
      // Tokens (ARNs of resources defined elsewhere in the app) are only known at deploy time.
      if (Token.isUnresolved(arn)) continue;
      if (!arn.startsWith('arn:') || arn.includes('*')) {
        throw new Error(`destination allow-list entry "${arn}" must be a full ARN without wildcards`);
      }
    }
    for (const name of this.bucketNames) {
      if (Token.isUnresolved(name)) continue;
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
        throw new Error(`destination allow-list bucket "${name}" is not a valid bucket name`);
      }
    }
  }

  /**
   * A copy that also allows `destination`, so a configured default destination is always
   * deliverable. Bus names are turned into ARNs of `stack`'s account and region.
   */
  public including(destination: Destination | undefined, stack: Stack): DestinationAllowList {
    const props = {
      queueArns: [...this.queueArns],
      bucketNames: [...this.bucketNames],
      eventBusArns: [...this.eventBusArns],
    };
    switch (destination?.type) {
      case 'sqs':
        props.queueArns.push(queueArnFromUrl(destination.queue_url));
        break;
      case 's3':
        props.bucketNames.push(destination.bucket);
        break;
      case 'eventbridge':
        props.eventBusArns.push(
          destination.event_bus_name.startsWith('arn:')
            ? destination.event_bus_name
            : stack.formatArn({
                service: 'events',
                resource: 'event-bus',
                resourceName: destination.event_bus_name,
              }),
        );
        break;
      default:
        // Webhooks and "no default" need no grant.
        break;
    }
    return new DestinationAllowList(props);
  }

  /** The `BATCHLANE_DESTINATION_ALLOW_LIST` entries. */
  public entries(): string[] {
    return [
      ...this.queueArns.map((arn) => `sqs:${arn}`),
      ...this.bucketNames.map((name) => `s3:${name}`),
      ...this.eventBusArns.map((arn) => `eventbridge:${arn}`),
    ];
  }

  /** ARNs covering the objects of each allowed bucket (`arn:<partition>:s3:::<bucket>/*`). */
  public bucketObjectArns(stack: Stack): string[] {
    return this.bucketNames.map((name) =>
      stack.formatArn({ service: 's3', region: '', account: '', resource: name, resourceName: '*' }),
    );
  }

  /** One statement per destination kind that has entries, each naming its resources. */
  public policyStatements(stack: Stack): PolicyStatement[] {
    const statements: PolicyStatement[] = [];
    if (this.queueArns.length > 0) {
      statements.push(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['sqs:SendMessage'],
          resources: [...this.queueArns],
        }),
      );
    }
    if (this.bucketNames.length > 0) {
      statements.push(
        new PolicyStatement({
          effect: Effect.ALLOW,
          // AbortMultipartUpload: large result files are uploaded in parts.
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: this.bucketObjectArns(stack),
        }),
      );
    }
    if (this.eventBusArns.length > 0) {
      statements.push(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['events:PutEvents'],
          resources: [...this.eventBusArns],
        }),
      );
    }
    return statements;
  }
}

export { DestinationAllowList, type DestinationAllowListProps };
