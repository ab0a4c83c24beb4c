import { Aws, type Stack, Token } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Destination } from '../../shared/contract/destination.js';
import {
  AllowListSyntaxError,
  parseDestinationPolicy,
  parseQueueUrl,
} from '../../shared/domain/destinationPolicy.js';

interface DestinationAllowListProps {
  /**
   * ARNs of caller SQS queues results may be sent to (`sqs:SendMessage`), each exact or
   * ending in `*` (the only wildcard: `…:team-a-*`). They must be in the stack's region.
   * @default []
   */
  readonly queueArns?: readonly string[];
  /**
   * Caller S3 buckets results may be written to (`s3:PutObject` on their objects): a bucket
   * name, or `<bucket>/<key prefix>` to allow only keys under that prefix.
   * @default []
   */
  readonly bucketNames?: readonly string[];
  /**
   * ARNs of caller EventBridge buses results may be put on (`events:PutEvents`), exact or
   * ending in `*`. They must be in the stack's region.
   * @default []
   */
  readonly eventBusArns?: readonly string[];
}

/**
 * The allow-list of a deployment without caller destinations. The runtime reads an unset or
 * empty list as "nothing" too; this says so in the stack's output, which may not be empty.
 */
const NOTHING_ALLOWED = 'none';

const unique = (values: readonly string[]): readonly string[] => [...new Set(values)];

/** Derives the queue ARN from an SQS queue URL; throws when the URL is not an SQS queue URL. */
const queueArnFromUrl = (url: string): string => {
  const queue = parseQueueUrl(url);
  if (queue === null) {
    throw new Error(`default destination queue_url "${url}" is not an SQS queue URL`);
  }
  return `arn:${Aws.PARTITION}:sqs:${queue.region}:${queue.account}:${queue.name}`;
};

/** Checks one entry exactly as the runtime will read it, so synth fails where it would. */
const checkEntry = (contextKey: string, entry: string): void => {
  try {
    parseDestinationPolicy(entry);
  } catch (error) {
    if (!(error instanceof AllowListSyntaxError)) throw error;
    throw new Error(`${contextKey}: ${error.message}`);
  }
};

/** Region of an SQS or EventBridge ARN (`arn:<partition>:<service>:<region>:…`). */
const regionOfArn = (arn: string): string | undefined => arn.split(':')[3];

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
    // Tokens (ARNs of resources defined elsewhere in the app) are only known at deploy time.
    const known = (values: readonly string[]) => values.filter((v) => !Token.isUnresolved(v));
    for (const arn of known(this.queueArns)) checkEntry('destinationQueueArns', `sqs:${arn}`);
    for (const bucket of known(this.bucketNames)) {
      checkEntry('destinationBucketNames', `s3:${bucket}`);
    }
    for (const arn of known(this.eventBusArns)) {
      if (!arn.startsWith('arn:')) {
        throw new Error(`destinationEventBusArns: "${arn}" must be the bus's ARN`);
      }
      checkEntry('destinationEventBusArns', `eventbridge:${arn}`);
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
        props.bucketNames.push(
          destination.prefix === ''
            ? destination.bucket
            : `${destination.bucket}/${destination.prefix}`,
        );
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
   * Fails synthesis when a queue or bus is in another region than `stack`: the functions call
   * their own regional endpoints only, and the runtime would refuse every such request. An
   * environment-agnostic stack is checked by the runtime alone.
   */
  public checkRegion(stack: Stack): void {
    if (Token.isUnresolved(stack.region)) return;
    for (const arn of [...this.queueArns, ...this.eventBusArns]) {
      const region = Token.isUnresolved(arn) ? undefined : regionOfArn(arn);
      if (region !== undefined && region !== stack.region) {
        throw new Error(
          `destination allow-list entry "${arn}" is in ${region}; this stack delivers in ${stack.region} only`,
        );
      }
    }
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

  /**
   * ARNs covering the objects each bucket entry allows: `arn:<partition>:s3:::<bucket>/*`, or
   * `…/<key prefix>*` for an entry that names a prefix.
   */
  public bucketObjectArns(stack: Stack): string[] {
    return this.bucketNames.map((entry) => {
      const slash = entry.indexOf('/');
      const bucket = slash < 0 ? entry : entry.slice(0, slash);
      const prefix = slash < 0 ? '' : entry.slice(slash + 1).replace(/\*$/, '');
      return stack.formatArn({
        service: 's3',
        region: '',
        account: '',
        resource: bucket,
        resourceName: `${prefix}*`,
      });
    });
  }

  /** The SQS and EventBridge resources granted with a trailing `*`, as the entries name them. */
  public wildcardArns(): string[] {
    return [...this.queueArns, ...this.eventBusArns].filter(
      (arn) => !Token.isUnresolved(arn) && arn.endsWith('*'),
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
