import { PROVIDER_ID_PATTERN, type ProviderName } from '../../shared/contract/providers.js';
import { isJsonObject } from '../../shared/domain/isJsonObject.js';

/** What `batchlane smoke` needs from a deployed stack's outputs. */
interface SmokeTarget {
  readonly stackName: string;
  readonly intakeQueueUrl: string;
  /** Region of the intake queue (from its URL). */
  readonly region: string;
  /** Account of the intake queue (from its URL); a temporary queue is created there. */
  readonly account: string;
  /** `aws`, or `aws-cn` for the China regions. */
  readonly partition: string;
  /** `DestinationAllowList` output split into entries; null when the stack has no such output. */
  readonly allowList: readonly string[] | null;
  /** `ArtifactsBucketName` output; null when the stack has no such output. */
  readonly artifactsBucket: string | null;
  /** `StateTableName` output; null when the stack has no such output. */
  readonly stateTable: string | null;
  /** `EnabledProviders` output; null when the stack has no such output. */
  readonly enabledProviders: readonly ProviderName[] | null;
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` or the legacy `<region>.queue.` host. */
const QUEUE_URL =
  /^https:\/\/(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?\/(\d{12})\/([\w-]{1,80}(?:\.fifo)?)\/?$/;

interface QueueUrlParts {
  readonly region: string;
  readonly account: string;
  readonly name: string;
  readonly partition: string;
  readonly arn: string;
}

/** Splits an SQS queue URL into region, account, name and ARN; null when it is not one. */
const parseQueueUrl = (url: string): QueueUrlParts | null => {
  const match = QUEUE_URL.exec(url);
  const region = match?.[1] ?? match?.[2];
  const account = match?.[3];
  const name = match?.[4];
  if (region === undefined || account === undefined || name === undefined) return null;
  const partition = new URL(url).hostname.endsWith('.cn') ? 'aws-cn' : 'aws';
  return {
    region,
    account,
    name,
    partition,
    arn: `arn:${partition}:sqs:${region}:${account}:${name}`,
  };
};

/**
 * Reads the JSON that `npx cdk deploy --outputs-file outputs.json` writes (`{ "<stack>":
 * { "<output>": "<value>" } }`) and picks the batchlane stack: the one named `stackName`, or
 * the only stack with an `IntakeQueueUrl` output. Throws a message meant for the user.
 */
const readStackOutputs = (json: string, stackName?: string): SmokeTarget => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(
      'the outputs file is not JSON (write it with `npx cdk deploy --outputs-file outputs.json`)',
    );
  }
  if (!isJsonObject(parsed)) throw new Error('the outputs file does not hold an object of stacks');
  const stacks = Object.entries(parsed).filter(
    (entry): entry is [string, Record<string, unknown>] =>
      isJsonObject(entry[1]) && typeof entry[1].IntakeQueueUrl === 'string',
  );
  let chosen: [string, Record<string, unknown>] | undefined;
  if (stackName !== undefined) {
    chosen = stacks.find(([name]) => name === stackName);
    if (chosen === undefined) {
      throw new Error(
        `no batchlane stack "${stackName}" in the outputs file (found: ${stacks.map(([name]) => name).join(', ') || 'none'})`,
      );
    }
  } else if (stacks.length === 1) {
    chosen = stacks[0];
  } else {
    throw new Error(
      stacks.length === 0
        ? 'the outputs file holds no stack with an IntakeQueueUrl output'
        : `the outputs file holds several batchlane stacks (${stacks.map(([name]) => name).join(', ')}); pick one with --stack`,
    );
  }
  if (chosen === undefined) throw new Error('no stack chosen');
  const [name, outputs] = chosen;
  const intakeQueueUrl = String(outputs.IntakeQueueUrl);
  const queue = parseQueueUrl(intakeQueueUrl);
  if (queue === null) {
    throw new Error(`IntakeQueueUrl "${intakeQueueUrl}" of stack ${name} is not an SQS queue URL`);
  }
  const text = (key: string): string | null =>
    typeof outputs[key] === 'string' ? (outputs[key] as string) : null;
  const split = (value: string): string[] =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
  const allowList = text('DestinationAllowList');
  const providers = text('EnabledProviders');
  return {
    stackName: name,
    intakeQueueUrl,
    region: queue.region,
    account: queue.account,
    partition: queue.partition,
    allowList: allowList === null ? null : split(allowList),
    artifactsBucket: text('ArtifactsBucketName'),
    stateTable: text('StateTableName'),
    enabledProviders:
      providers === null ? null : split(providers).filter((id) => PROVIDER_ID_PATTERN.test(id)),
  };
};

export { parseQueueUrl, type QueueUrlParts, readStackOutputs, type SmokeTarget };
