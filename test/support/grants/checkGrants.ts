import type { RecordedAwsCall } from '../../../local/stack/AwsCallRecorder.js';
import { LOCAL_RESOURCES } from '../../../local/stack/startLocalStack.js';
import { CALLER_DESTINATIONS, type LocalPolicy, localPolicies } from './localPolicies.js';

/** `*` any run of characters, `?` one; IAM's wildcards in actions and resource ARNs. */
const globMatches = (pattern: string, value: string, ignoreCase: boolean): boolean => {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
};

const OWN_QUEUES = new Set<string>([
  LOCAL_RESOURCES.intakeQueue,
  LOCAL_RESOURCES.intakeDlq,
  LOCAL_RESOURCES.completionQueue,
  LOCAL_RESOURCES.completionDlq,
  LOCAL_RESOURCES.realtimeQueue,
  LOCAL_RESOURCES.realtimeDlq,
]);

/** Actions that deliver results: their resource is a caller destination unless it is the stack's. */
const DELIVERY_ACTIONS = new Set([
  'sqs:SendMessage',
  's3:PutObject',
  's3:AbortMultipartUpload',
  'events:PutEvents',
]);

/**
 * Maps a delivery to a resource that is not the stack's own (a queue, bucket or bus a request
 * named as its destination) onto the allow-listed caller destination of its kind; see
 * `CALLER_DESTINATIONS`. Any other call keeps its resource.
 */
const asDeployed = (call: RecordedAwsCall): RecordedAwsCall => {
  if (!DELIVERY_ACTIONS.has(call.action)) return call;
  const { resource } = call;
  const sqs = /^arn:aws:sqs:[^:]*:[^:]*:(.+)$/.exec(resource);
  if (sqs !== null) {
    return OWN_QUEUES.has(sqs[1] ?? '')
      ? call
      : { ...call, resource: CALLER_DESTINATIONS.queueArn };
  }
  const s3 = /^arn:aws:s3:::([^/]+)(\/.*)?$/.exec(resource);
  if (s3 !== null) {
    return s3[1] === LOCAL_RESOURCES.artifactsBucket
      ? call
      : { ...call, resource: `arn:aws:s3:::${CALLER_DESTINATIONS.bucket}${s3[2] ?? ''}` };
  }
  const bus = /^arn:aws:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(resource);
  if (bus !== null) {
    return bus[1] === LOCAL_RESOURCES.eventBus
      ? call
      : { ...call, resource: CALLER_DESTINATIONS.busArn };
  }
  return call;
};

/**
 * Calls known to be refused in AWS, each with the reason and the change that removes it. The
 * strict check fails once no run makes such a call any more, so an entry cannot outlive its
 * cause.
 */
type KnownUngranted = readonly { readonly call: RegExp; readonly reason: string }[];
const KNOWN_UNGRANTED: KnownUngranted = [];

const isKnownUngranted = (call: RecordedAwsCall, known: KnownUngranted): boolean =>
  known.some(({ call: pattern }) =>
    pattern.test(`${call.function} ${call.action} ${call.resource}`),
  );

const statementMatches = (
  statement: LocalPolicy['statements'][number],
  action: string,
  resource: string,
): boolean =>
  statement.actions.some((pattern) => globMatches(pattern, action, true)) &&
  statement.resources.some((pattern) => globMatches(pattern, resource, false));

/** IAM's rule for one principal policy: allowed if an Allow matches and no Deny does. */
const isAllowed = (policy: LocalPolicy, action: string, resource: string): boolean =>
  policy.statements.some((s) => s.effect === 'Allow' && statementMatches(s, action, resource)) &&
  !policy.statements.some((s) => s.effect === 'Deny' && statementMatches(s, action, resource));

/**
 * The role a runtime's calls are checked against: its function's, also for the variants tests
 * build of a function with other settings (`collector-strict` is a collector).
 */
const policyOf = (functionName: string): LocalPolicy | undefined =>
  localPolicies().find(
    (policy) =>
      policy.functionName === functionName || functionName.startsWith(`${policy.functionName}-`),
  );

/**
 * The calls the functions' roles would refuse in AWS, one line each naming the function, the
 * action and the resource (as the local run saw it, and as deployed when that differs).
 */
const ungrantedCalls = (
  calls: readonly RecordedAwsCall[],
  known: KnownUngranted = KNOWN_UNGRANTED,
): string[] => {
  const problems = new Set<string>();
  for (const call of calls) {
    const policy = policyOf(call.function);
    if (policy === undefined) {
      problems.add(
        `${call.function}: no such function in the template (${call.action} on ${call.resource})`,
      );
      continue;
    }
    const deployed = asDeployed(call);
    if (isAllowed(policy, deployed.action, deployed.resource) || isKnownUngranted(call, known))
      continue;
    const seenAs = deployed.resource === call.resource ? '' : ` (locally ${call.resource})`;
    problems.add(
      `${call.function} calls ${call.action} on ${deployed.resource}${seenAs}, which its role ${policy.rolePath} does not allow`,
    );
  }
  return [...problems].sort();
};

/** One action on one resource pattern, as a statement grants it. */
interface Grant {
  readonly function: string;
  readonly action: string;
  readonly resource: string;
}

/**
 * Grants the local runs never needed, explained. Each line is `function action resource`
 * (resolved to local names, `*` as granted). Anything granted, never exercised and not listed
 * here is reported as a warning by the grant check: remove the grant, exercise it in a test,
 * or list it with the reason it must stay.
 */
const EXPECTED_UNEXERCISED: readonly { readonly grant: RegExp; readonly reason: string }[] = [
  {
    grant: /^\w+ logs:(CreateLogStream|PutLogEvents) /,
    reason: 'Lambda writes the function logs; the local stack prints them instead',
  },
  {
    grant:
      /^\w+ secretsmanager:(GetSecretValue|DescribeSecret) arn:aws:secretsmanager:.*:secret:batchlane-(anthropic|openai)-/,
    reason:
      'provider API keys come from the environment locally (the simulator needs none); the Secrets Manager read is covered by the API key resolver unit tests',
  },
  {
    grant: /^receiver secretsmanager:(GetSecretValue|DescribeSecret) /,
    reason:
      'the providers’ webhook secrets come from the environment locally (BATCHLANE_PUSH_SECRETS); the Secrets Manager read is the same adapter pattern as the delivery secrets',
  },
  {
    grant: /^receiver dynamodb:DeleteItem /,
    reason:
      'a received webhook id is released only when its hand-over fails for now; covered by the receipts contract suite on DynamoDB Local and the receiver unit tests',
  },
];

/** Every granted action × resource of every function. */
const grantsOf = (): Grant[] =>
  localPolicies().flatMap((policy) =>
    policy.statements
      .filter((s) => s.effect === 'Allow')
      .flatMap((s) =>
        s.actions.flatMap((action) =>
          s.resources.map((resource) => ({ function: policy.functionName, action, resource })),
        ),
      ),
  );

/**
 * Grants no recorded call used (after `asDeployed`), minus `EXPECTED_UNEXERCISED`: the
 * warning list of the grant check. Only meaningful over every run of a full test pass.
 */
const unexercisedGrants = (calls: readonly RecordedAwsCall[]): string[] => {
  const deployed = calls.map((call) => {
    const policy = policyOf(call.function);
    return asDeployed(policy === undefined ? call : { ...call, function: policy.functionName });
  });
  const unused = new Set<string>();
  for (const grant of grantsOf()) {
    const used = deployed.some(
      (call) =>
        call.function === grant.function &&
        globMatches(grant.action, call.action, true) &&
        globMatches(grant.resource, call.resource, false),
    );
    const line = `${grant.function} ${grant.action} ${grant.resource}`;
    if (!used && !EXPECTED_UNEXERCISED.some(({ grant: pattern }) => pattern.test(line))) {
      unused.add(line);
    }
  }
  return [...unused].sort();
};

/** `KNOWN_UNGRANTED` entries no recorded call matches any more: their cause is gone. */
const staleKnownUngranted = (
  calls: readonly RecordedAwsCall[],
  known: KnownUngranted = KNOWN_UNGRANTED,
): string[] =>
  known
    .filter(
      ({ call: pattern }) =>
        !calls.some((call) => pattern.test(`${call.function} ${call.action} ${call.resource}`)),
    )
    .map(({ call: pattern }) => `KNOWN_UNGRANTED entry ${pattern} matched no call: remove it`);

export {
  EXPECTED_UNEXERCISED,
  globMatches,
  KNOWN_UNGRANTED,
  staleKnownUngranted,
  unexercisedGrants,
  ungrantedCalls,
};
