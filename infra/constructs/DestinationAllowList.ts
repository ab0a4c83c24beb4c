import { Aws, type Stack, Token } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Destination } from '../../shared/contract/destination.js';

/** `https://sqs.<region>.amazonaws.com[.cn]/<account>/<name>` or the legacy `<region>.queue.` host. */
const QUEUE_URL =
  /^https?:\/\/(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?\/(\d{12})\/([\w-]{1,80}(?:\.fifo)?)\/?$/;

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

/**
 * The runtime reads an empty allow-list as "anything goes" (meant for local runs). A
 * deployment without caller destinations must allow none, so it gets this entry, which no
 * queue URL can match (no real queue ARN starts with it).
 */
const NOTHING_ALLOWED = 'sqs:arn:none';

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
  /**
   * Buses of this stack's account and region named by name (a default destination may name
   * one so); the runtime compares the name as given, so they are listed by name.
   */
  public readonly localEventBusNames: readonly string[];

  public constructor(
    props: DestinationAllowListProps = {},
    localEventBusNames: readonly string[] = [],
  ) {
    this.queueArns = unique(props.queueArns ?? []);
    this.bucketNames = unique(props.bucketNames ?? []);
    this.eventBusArns = unique(props.eventBusArns ?? []);
    this.localEventBusNames = unique(localEventBusNames);
    for (const arn of [...this.queueArns, ...this.eventBusArns]) {
      // Tokens (ARNs of resources defined elsewhere in the app) are only known at deploy time.
      if (Token.isUnresolved(arn)) continue;
      if (!arn.startsWith('arn:') || arn.includes('*')) {
        throw new Error(
          `destination allow-list entry "${arn}" must be a full ARN without wildcards`,
        );
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
   * deliverable. A bus given by name is one of this stack's account and region.
   */
  public including(destination: Destination | undefined): DestinationAllowList {
    const props = {
      queueArns: [...this.queueArns],
      bucketNames: [...this.bucketNames],
      eventBusArns: [...this.eventBusArns],
    };
    const localNames = [...this.localEventBusNames];
    switch (destination?.type) {
      case 'sqs':
        props.queueArns.push(queueArnFromUrl(destination.queue_url));
        break;
      case 's3':
        props.bucketNames.push(destination.bucket);
        break;
      case 'eventbridge':
        if (destination.event_bus_name.startsWith('arn:')) {
          props.eventBusArns.push(destination.event_bus_name);
        } else {
          localNames.push(destination.event_bus_name);
        }
        break;
      default:
        // Webhooks and "no default" need no grant.
        break;
    }
    return new DestinationAllowList(props, localNames);
  }

  /**
   * The `BATCHLANE_DESTINATION_ALLOW_LIST` entries. SQS destinations match by the ARN of
   * their queue URL; EventBridge destinations must name an allow-listed bus the same way
   * (ARN, or name for a bus of this account and region).
   */
  public entries(): string[] {
    const entries = [
      ...this.queueArns.map((arn) => `sqs:${arn}`),
      ...this.bucketNames.map((name) => `s3:${name}`),
      ...this.eventBusArns.map((arn) => `eventbridge:${arn}`),
      ...this.localEventBusNames.map((name) => `eventbridge:${name}`),
    ];
    return entries.length > 0 ? entries : [NOTHING_ALLOWED];
  }

  /** ARNs covering the objects of each allowed bucket (`arn:<partition>:s3:::<bucket>/*`). */
  public bucketObjectArns(stack: Stack): string[] {
    return this.bucketNames.map((name) =>
      stack.formatArn({
        service: 's3',
        region: '',
        account: '',
        resource: name,
        resourceName: '*',
      }),
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
    const busArns = [
      ...this.eventBusArns,
      ...this.localEventBusNames.map((name) =>
        stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: name }),
      ),
    ];
    if (busArns.length > 0) {
      statements.push(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['events:PutEvents'],
          resources: busArns,
        }),
      );
    }
    return statements;
  }
}

export { DestinationAllowList, type DestinationAllowListProps, NOTHING_ALLOWED };
