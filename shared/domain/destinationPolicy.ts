import type { Destination } from '../contract/destination.js';

/**
 * Which caller destinations a deployment may deliver to. Read from one setting:
 * - `*`: every destination (the local stack says so explicitly);
 * - unset, empty or `none`: no destination at all (a deployed stack with nothing listed);
 * - otherwise comma-separated entries, each `<type>:<value>`:
 *   - `sqs:arn:<partition>:sqs:<region>:<account>:<queue name>` — by exact ARN; a trailing
 *     `*` (`…:team-a-*`) is the only wildcard;
 *   - `s3:<bucket>` (any key) or `s3:<bucket>/<key prefix>` (keys under the prefix; a
 *     trailing `*` means the same);
 *   - `eventbridge:<bus name>` (a bus of this account and region, by name) or
 *     `eventbridge:arn:<partition>:events:<region>:<account>:event-bus/<name>`, exact or with
 *     a trailing `*`;
 *   - `webhook:<URL prefix>`: same origin, path starting with the prefix's path.
 */
type DestinationPolicy =
  | { readonly kind: 'all' }
  | { readonly kind: 'listed'; readonly entries: readonly AllowEntry[] };

/** One parsed allow-list entry. `prefix`: the value ended in `*`, which was removed. */
type AllowEntry =
  | { readonly type: 'sqs'; readonly arn: string; readonly prefix: boolean }
  | { readonly type: 's3'; readonly bucket: string; readonly keyPrefix: string }
  | { readonly type: 'eventbridge'; readonly bus: string; readonly prefix: boolean }
  | { readonly type: 'webhook'; readonly url: URL };

/** An SQS queue named by its URL: where SQS calls for it go is never taken from the URL. */
interface QueueAddress {
  readonly partition: 'aws' | 'aws-cn';
  readonly region: string;
  readonly account: string;
  readonly name: string;
  readonly arn: string;
}

/** Why a destination is not deliverable: malformed, or not allowed by this deployment. */
type DestinationRefusal = {
  readonly code: 'invalid_destination' | 'destination_forbidden';
  readonly path: string;
  readonly message: string;
};

/** An allow-list setting that cannot be read; the runtime refuses to start with it. */
class AllowListSyntaxError extends Error {
  override readonly name = 'AllowListSyntaxError';
}

const ALLOW_ALL = '*';
const ALLOW_NONE = 'none';
const NOTHING_ALLOWED: DestinationPolicy = { kind: 'listed', entries: [] };

const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';
const ACCOUNT = '\\d{12}';
/** SQS queue names: 1–80 of `[A-Za-z0-9_-]`, `.fifo` for FIFO queues. */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}(?:\.fifo)?$/;
const SQS_ARN = new RegExp(`^arn:(aws|aws-cn):sqs:(${REGION}):(${ACCOUNT}):([A-Za-z0-9_.-]*)$`);
const BUS_ARN = new RegExp(
  `^arn:(aws|aws-cn):events:(${REGION}):(${ACCOUNT}):event-bus/([A-Za-z0-9._/-]*)$`,
);
const BUS_NAME = /^[A-Za-z0-9._/-]{1,256}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/**
 * Hosts an SQS queue URL may name: the regional endpoint, the legacy `<region>.queue.` one,
 * or an emulator's `sqs.<region>.localhost[:port]` (plain http only there). The host only
 * tells the region: batchlane sends to its own regional endpoint whatever it says.
 */
const QUEUE_HOST = new RegExp(
  `^(?:sqs\\.(${REGION})\\.amazonaws\\.com(\\.cn)?|(${REGION})\\.queue\\.amazonaws\\.com(\\.cn)?|sqs\\.(${REGION})\\.localhost)$`,
);

/** A trailing `*` (the only wildcard) removed, and whether there was one. */
const splitWildcard = (value: string): { readonly base: string; readonly prefix: boolean } => {
  const prefix = value.endsWith('*');
  const base = prefix ? value.slice(0, -1) : value;
  if (base.includes('*')) {
    throw new AllowListSyntaxError(
      `"${value}": only a trailing * is a wildcard, and only one of it`,
    );
  }
  return { base, prefix };
};

const parseEntry = (raw: string): AllowEntry => {
  const colon = raw.indexOf(':');
  const type = colon < 0 ? '' : raw.slice(0, colon);
  const value = raw.slice(colon + 1);
  if (value === '') throw new AllowListSyntaxError(`"${raw}" names no destination`);
  switch (type) {
    case 'sqs': {
      const { base, prefix } = splitWildcard(value);
      const match = SQS_ARN.exec(base);
      // The account (and region) must be spelled out: `arn:aws:sqs:*` allows nothing useful.
      if (match === null || (!prefix && !QUEUE_NAME.test(match[4] ?? ''))) {
        throw new AllowListSyntaxError(
          `"${raw}": an SQS entry is the queue's ARN, arn:<partition>:sqs:<region>:<account>:<name> (a trailing * allowed)`,
        );
      }
      return { type: 'sqs', arn: base, prefix };
    }
    case 's3': {
      const slash = value.indexOf('/');
      const bucket = slash < 0 ? value : value.slice(0, slash);
      const keyPrefix = slash < 0 ? '' : splitWildcard(value.slice(slash + 1)).base;
      if (!BUCKET.test(bucket)) {
        throw new AllowListSyntaxError(`"${raw}": "${bucket}" is not an S3 bucket name`);
      }
      return { type: 's3', bucket, keyPrefix };
    }
    case 'eventbridge': {
      const { base, prefix } = splitWildcard(value);
      const valid = base.startsWith('arn:') ? BUS_ARN.test(base) : !prefix && BUS_NAME.test(base);
      if (!valid) {
        throw new AllowListSyntaxError(
          `"${raw}": an EventBridge entry is a bus name or its ARN, arn:<partition>:events:<region>:<account>:event-bus/<name> (a trailing * allowed on ARNs)`,
        );
      }
      return { type: 'eventbridge', bus: base, prefix };
    }
    case 'webhook': {
      if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
        throw new AllowListSyntaxError(`"${raw}": a webhook entry is an http(s) URL prefix`);
      }
      return { type: 'webhook', url: new URL(value) };
    }
    default:
      throw new AllowListSyntaxError(
        `"${raw}" must look like <sqs|s3|eventbridge|webhook>:<value>`,
      );
  }
};

/**
 * Reads the allow-list setting. No value, an empty one and `none` all mean "nothing": only
 * `*` allows every destination, so a missing setting can never widen what is reachable.
 * Throws {@link AllowListSyntaxError} on an entry it cannot read.
 */
const parseDestinationPolicy = (setting: string | null | undefined): DestinationPolicy => {
  const items = (setting ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.includes(ALLOW_ALL)) {
    if (items.length > 1) {
      throw new AllowListSyntaxError(`"${ALLOW_ALL}" allows everything and stands alone`);
    }
    return { kind: 'all' };
  }
  if (items.includes(ALLOW_NONE)) {
    if (items.length > 1) {
      throw new AllowListSyntaxError(`"${ALLOW_NONE}" allows nothing and stands alone`);
    }
    return NOTHING_ALLOWED;
  }
  return { kind: 'listed', entries: items.map(parseEntry) };
};

/**
 * The queue an SQS queue URL names (`https://sqs.<region>.amazonaws.com/<account>/<name>`),
 * or null when it is not an SQS queue URL.
 */
const parseQueueUrl = (queueUrl: string): QueueAddress | null => {
  if (!URL.canParse(queueUrl)) return null;
  const url = new URL(queueUrl);
  const host = QUEUE_HOST.exec(url.hostname);
  if (host === null || url.username !== '' || url.password !== '') return null;
  if (url.search !== '' || url.hash !== '') return null;
  const local = host[5] !== undefined;
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) return null;
  if (!local && url.port !== '') return null;
  const region = host[1] ?? host[3] ?? host[5];
  const [, account, name, ...rest] = url.pathname.split('/');
  const trailing = rest.length === 0 || (rest.length === 1 && rest[0] === '');
  if (region === undefined || account === undefined || name === undefined || !trailing) {
    return null;
  }
  if (!new RegExp(`^${ACCOUNT}$`).test(account) || !QUEUE_NAME.test(name)) return null;
  const partition = host[2] !== undefined || host[4] !== undefined ? 'aws-cn' : 'aws';
  return {
    partition,
    region,
    account,
    name,
    arn: `arn:${partition}:sqs:${region}:${account}:${name}`,
  };
};

/** The queue URL batchlane hands to SQS: rebuilt from the parsed parts, never the given host. */
const canonicalQueueUrl = (queue: QueueAddress): string =>
  `https://sqs.${queue.region}.amazonaws.com${queue.partition === 'aws-cn' ? '.cn' : ''}/${queue.account}/${queue.name}`;

/** Region of an EventBridge bus ARN; null for a bus given by name (this stack's region). */
const busRegionOf = (bus: string): string | null => BUS_ARN.exec(bus)?.[2] ?? null;

const matchesName = (value: string, entry: string, prefix: boolean): boolean =>
  prefix ? value.startsWith(entry) : value === entry;

/** Same origin, and the path (with query) starts with the allowed one. */
const urlHasPrefix = (candidate: string, allowed: URL): boolean => {
  if (!URL.canParse(candidate)) return false;
  const url = new URL(candidate);
  return (
    url.origin === allowed.origin &&
    `${url.pathname}${url.search}`.startsWith(`${allowed.pathname}${allowed.search}`)
  );
};

const entryAllows = (
  entry: AllowEntry,
  destination: Destination,
  queue: QueueAddress | null,
): boolean => {
  switch (entry.type) {
    case 'sqs':
      return queue !== null && matchesName(queue.arn, entry.arn, entry.prefix);
    case 's3':
      return (
        destination.type === 's3' &&
        destination.bucket === entry.bucket &&
        destination.prefix.startsWith(entry.keyPrefix)
      );
    case 'eventbridge':
      return (
        destination.type === 'eventbridge' &&
        matchesName(destination.event_bus_name, entry.bus, entry.prefix)
      );
    case 'webhook':
      return destination.type === 'webhook' && urlHasPrefix(destination.url, entry.url);
  }
};

const forbidden = (path: string, message: string): DestinationRefusal => ({
  code: 'destination_forbidden',
  path,
  message,
});

/**
 * Whether this deployment (its allow-list, in `region`) may deliver to `destination`; null
 * when it may. SQS queues are judged by the ARN parsed from the URL and must be in the
 * deployment's region (batchlane calls its own regional endpoint); so must an EventBridge
 * bus given by ARN.
 */
const refuseDestination = (
  destination: Destination,
  policy: DestinationPolicy,
  region: string,
): DestinationRefusal | null => {
  let queue: QueueAddress | null = null;
  if (destination.type === 'sqs') {
    queue = parseQueueUrl(destination.queue_url);
    if (queue === null) {
      return {
        code: 'invalid_destination',
        path: 'destination.queue_url',
        message:
          'destination.queue_url must be an SQS queue URL, https://sqs.<region>.amazonaws.com/<account>/<queue name>',
      };
    }
    if (queue.region !== region) {
      return forbidden(
        'destination.queue_url',
        `destination queue ${queue.arn} is in ${queue.region}; this deployment delivers to queues in ${region} only`,
      );
    }
  }
  if (destination.type === 'eventbridge') {
    const busRegion = busRegionOf(destination.event_bus_name);
    if (destination.event_bus_name.startsWith('arn:') && busRegion === null) {
      return {
        code: 'invalid_destination',
        path: 'destination.event_bus_name',
        message:
          'destination.event_bus_name must be a bus name or arn:<partition>:events:<region>:<account>:event-bus/<name>',
      };
    }
    if (busRegion !== null && busRegion !== region) {
      return forbidden(
        'destination.event_bus_name',
        `destination bus is in ${busRegion}; this deployment delivers to buses in ${region} only`,
      );
    }
  }
  if (policy.kind === 'all') return null;
  if (policy.entries.some((entry) => entryAllows(entry, destination, queue))) return null;
  return forbidden(
    'destination',
    `destination ${destination.type} is not in this deployment's allow-list`,
  );
};

export {
  type AllowEntry,
  AllowListSyntaxError,
  canonicalQueueUrl,
  type DestinationPolicy,
  type DestinationRefusal,
  NOTHING_ALLOWED,
  parseDestinationPolicy,
  parseQueueUrl,
  type QueueAddress,
  refuseDestination,
};
