import type { IConstruct } from 'constructs';
import type { BatchlaneStack } from '../../../infra/BatchlaneStack.js';
import type { BatchFunction } from '../../../infra/constructs/BatchFunction.js';
import { LOCAL_ACCOUNT } from '../../../local/stack/iamRequestsOf.js';
import { LOCAL_RESOURCES, type LocalFunctionName } from '../../../local/stack/startLocalStack.js';
import { logicalIdOf, synthBatchlane } from '../../infra/synthBatchlane.js';

/** The region the local emulators answer in. */
const LOCAL_REGION = 'us-east-1';

/**
 * Caller destinations as the check sees them. The local stack delivers anywhere (its allow-list
 * says "allow all"); in AWS a destination is reachable only when allow-listed, and then with
 * exactly the grants the allow-list entry produces. So the template is synthesized with one
 * allow-listed destination of each kind, and every call on a resource that is not the stack's
 * own is checked as a call on that destination.
 */
const CALLER_DESTINATIONS = {
  queueArn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:batchlane-check-caller-queue`,
  bucket: 'batchlane-check-caller-bucket',
  busArn: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/batchlane-check-caller-bus`,
} as const;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** An Allow or Deny statement with every reference resolved to a local ARN. */
interface ResolvedStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** One function's role as the check evaluates it. */
interface LocalPolicy {
  readonly functionName: LocalFunctionName | 'receiver';
  /** The role's construct path, for messages. */
  readonly rolePath: string;
  readonly statements: readonly ResolvedStatement[];
}

/** A reference the check could not map to a local resource; it matches nothing. */
const unresolved = (what: string): string => `unresolved(${what})`;

const queueArn = (name: string): string => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
const queueUrl = (name: string): string => `http://localhost/${LOCAL_ACCOUNT}/${name}`;

const functionsOf = (stack: BatchlaneStack): [LocalFunctionName | 'receiver', BatchFunction][] => [
  ['collector', stack.collector.function],
  ['poller', stack.poller.function],
  ['completion', stack.completion.function],
  ['realtime', stack.realtime.function],
  // The webhook receiver, served by the local stack on a loopback function URL.
  ...(stack.webhookReceiver === undefined
    ? []
    : [['receiver', stack.webhookReceiver.function] as ['receiver', BatchFunction]]),
];

/** What `Ref` and `Fn::GetAtt` of each of the stack's resources stand for locally. */
const localAttributes = (stack: BatchlaneStack): Map<string, Record<string, string>> => {
  const byId = new Map<string, Record<string, string>>();
  const add = (construct: IConstruct, attributes: Record<string, string>): void => {
    byId.set(logicalIdOf(stack, construct), attributes);
  };
  const queue = (construct: IConstruct, name: string): void =>
    add(construct, {
      Ref: queueUrl(name),
      Arn: queueArn(name),
      QueueName: name,
      QueueUrl: queueUrl(name),
    });
  queue(stack.intakeQueue.queue, LOCAL_RESOURCES.intakeQueue);
  queue(stack.intakeQueue.deadLetterQueue, LOCAL_RESOURCES.intakeDlq);
  queue(stack.completion.queue, LOCAL_RESOURCES.completionQueue);
  queue(stack.completion.deadLetterQueue, LOCAL_RESOURCES.completionDlq);
  queue(stack.realtime.queue, LOCAL_RESOURCES.realtimeQueue);
  queue(stack.realtime.deadLetterQueue, LOCAL_RESOURCES.realtimeDlq);
  const table = LOCAL_RESOURCES.table;
  add(stack.stateTable.table, {
    Ref: table,
    Arn: `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${table}`,
  });
  const bucket = LOCAL_RESOURCES.artifactsBucket;
  add(stack.artifacts.bucket, { Ref: bucket, Arn: `arn:aws:s3:::${bucket}` });
  const bus = LOCAL_RESOURCES.eventBus;
  add(stack.eventBus.bus, {
    Ref: bus,
    Name: bus,
    Arn: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${bus}`,
  });
  for (const [name, fn] of functionsOf(stack)) {
    add(fn.logGroup, {
      Ref: `batchlane-${name}`,
      Arn: `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:batchlane-${name}:*`,
    });
  }
  for (const provider of stack.providerSecrets.createdFor) {
    const secret = stack.providerSecrets.secretFor(provider);
    if (secret === undefined) continue;
    add(secret, {
      Ref: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:batchlane-${provider}-AbCdEf`,
    });
  }
  return byId;
};

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Resolves `Ref`, `Fn::GetAtt`, `Fn::Join` and `Fn::Select`/`Fn::Split` to local values. */
const resolver =
  (attributes: Map<string, Record<string, string>>) =>
  (value: Json): string => {
    const resolve = (node: Json): string => {
      if (typeof node === 'string') return node;
      if (node === null || typeof node !== 'object' || Array.isArray(node)) {
        return unresolved(JSON.stringify(node));
      }
      const ref = node['Ref'];
      if (typeof ref === 'string') {
        return PSEUDO_PARAMETERS[ref] ?? attributes.get(ref)?.['Ref'] ?? unresolved(ref);
      }
      const getAtt = node['Fn::GetAtt'];
      if (Array.isArray(getAtt)) {
        const [id, attribute] = getAtt as [string, string];
        return attributes.get(id)?.[attribute] ?? unresolved(`${id}.${attribute}`);
      }
      const join = node['Fn::Join'];
      if (Array.isArray(join)) {
        const [separator, parts] = join as [string, Json[]];
        return parts.map(resolve).join(separator);
      }
      const select = node['Fn::Select'];
      if (Array.isArray(select)) {
        const [index, list] = select as [number, Json];
        const split = (list as { 'Fn::Split'?: [string, Json] })['Fn::Split'];
        if (split !== undefined)
          return resolve(split[1]).split(split[0])[index] ?? unresolved('select');
      }
      return unresolved(JSON.stringify(node));
    };
    return resolve(value);
  };

type Resource = { Type: string; Properties?: Record<string, Json> };
type Statement = {
  Effect: 'Allow' | 'Deny';
  Action?: Json;
  Resource?: Json;
  NotAction?: Json;
  NotResource?: Json;
  Condition?: Json;
};

const statementsOfRole = (resources: Record<string, Resource>, roleId: string): Statement[] => {
  const documents: Json[] = [];
  const role = resources[roleId];
  for (const inline of (role?.Properties?.['Policies'] as { PolicyDocument: Json }[]) ?? []) {
    documents.push(inline.PolicyDocument);
  }
  if (role?.Properties?.['ManagedPolicyArns'] !== undefined) {
    throw new Error(`role ${roleId} has managed policies, which the grant check cannot read`);
  }
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = (resource.Properties?.['Roles'] as Json[]) ?? [];
    if (roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId }))) {
      documents.push(resource.Properties?.['PolicyDocument'] ?? null);
    }
  }
  return documents.flatMap((d) => (d as { Statement?: Statement[] })?.Statement ?? []);
};

let cached: readonly LocalPolicy[] | null = null;

/**
 * Every function's IAM policy from the synthesized template, with the references resolved to
 * the local stack's resources (`LOCAL_RESOURCES`, region us-east-1, account 000000000000) and
 * one caller destination of each kind allow-listed (`CALLER_DESTINATIONS`). Synthesized once
 * per process.
 */
const localPolicies = (): readonly LocalPolicy[] => {
  if (cached !== null) return cached;
  const { stack, template } = synthBatchlane({
    destinationQueueArns: [CALLER_DESTINATIONS.queueArn],
    destinationBucketNames: [CALLER_DESTINATIONS.bucket],
    destinationEventBusArns: [CALLER_DESTINATIONS.busArn],
  });
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const resolve = resolver(localAttributes(stack));
  cached = functionsOf(stack).map(([functionName, fn]) => ({
    functionName,
    rolePath: fn.role.node.path,
    statements: statementsOfRole(resources, logicalIdOf(stack, fn.role)).map((statement) => {
      if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
        throw new Error(
          `${fn.role.node.path}: NotAction/NotResource are not evaluated by the grant check`,
        );
      }
      if (statement.Condition !== undefined) {
        throw new Error(`${fn.role.node.path}: conditions are not evaluated by the grant check`);
      }
      return {
        effect: statement.Effect,
        actions: [statement.Action ?? []].flat().map((a) => String(a)),
        resources: [statement.Resource ?? []].flat().map((r) => resolve(r as Json)),
      };
    }),
  }));
  return cached;
};

export {
  CALLER_DESTINATIONS,
  LOCAL_REGION,
  type LocalPolicy,
  localPolicies,
  type ResolvedStatement,
};
