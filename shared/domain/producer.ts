/**
 * Who sent a request. batchlane is shared by several teams, so every idempotency key,
 * rejection and event is scoped to the producer: two producers may use the same `custom_id`
 * independently, and neither can squat or probe the other's ids.
 *
 * The producer is taken from what SQS itself records on each message, the `SenderId` system
 * attribute (the IAM unique id of the sending user or role, or the account id), never from
 * anything the message says about itself. A deployment may map principals to namespaces, so
 * that several roles of one team share their ids.
 */

/** What a producer name may hold: it becomes part of a DynamoDB key, an event and a log line. */
const PRODUCER_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** What a namespace may be: a producer name, or '' for the default producer. */
const NAMESPACE_PATTERN = /^([A-Za-z0-9_.-]{1,64})?$/;

/** The message attribute on requests batchlane sends back to its own intake queue (held). */
const PRODUCER_ATTRIBUTE = 'batchlane-producer';

/**
 * The attribute's value for the default producer '' (SQS takes no empty value): not a
 * producer name, so no producer can be taken for it.
 */
const DEFAULT_PRODUCER_ATTRIBUTE = '(default)';

/** The producer attribute's value for a requeued request of `producer`. */
const producerAttributeOf = (producer: string): string =>
  producer === '' ? DEFAULT_PRODUCER_ATTRIBUTE : producer;

/** What a principal pattern may hold: a SenderId's characters, and one trailing `*`. */
const PRINCIPAL_PATTERN = /^[A-Za-z0-9_.:@=,+-]{1,128}\*?$/;

/**
 * A principal pattern (exact, or ending in one `*`) and the namespace it maps to. The empty
 * namespace is the default producer '': its ids are bare `custom_id`s and its claim checks
 * are under the shared `claims/`.
 */
interface ProducerNamespace {
  readonly pattern: string;
  readonly namespace: string;
}

/** How a deployment tells producers apart. */
interface ProducerPolicy {
  /**
   * Principals (SenderId up to its `:`) that are batchlane itself: only on their messages is
   * the producer attribute believed, since they carry a producer's request back to the queue.
   */
  readonly selfPrincipals: readonly string[];
  /** Namespaces by principal pattern; the most specific match wins (exact, then longest). */
  readonly namespaces: readonly ProducerNamespace[];
}

const isProducerName = (value: unknown): value is string =>
  typeof value === 'string' && PRODUCER_PATTERN.test(value);

/**
 * The principal a SenderId names: an assumed role's SenderId is `<role id>:<session name>`,
 * and the session name changes with every session (each Lambda execution environment, each
 * `aws sts assume-role`), so only the role id identifies the producer.
 */
const principalOf = (senderId: string): string => {
  const colon = senderId.indexOf(':');
  return colon === -1 ? senderId : senderId.slice(0, colon);
};

/** An exact pattern beats any prefix; a longer prefix beats a shorter one. */
const specificityOf = (pattern: string): number =>
  pattern.endsWith('*') ? pattern.length - 1 : Number.POSITIVE_INFINITY;

const matchesPattern = (pattern: string, value: string): boolean =>
  pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;

/**
 * A producer name for a principal that is not a valid one as it stands (SQS never sends such a
 * SenderId; an emulator might): characters outside the pattern become `_`, and an empty one is
 * `unknown`, so a bad SenderId can neither break a key nor pass for another producer's.
 */
const sanitizedPrincipal = (principal: string): string => {
  const cleaned = principal.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  return cleaned === '' ? 'unknown' : cleaned;
};

/**
 * The producer of one intake message: the producer attribute when batchlane itself sent the
 * message back (a held request), else the namespace the deployment maps the sender to, else
 * the sender's principal.
 */
const resolveProducer = (
  message: { readonly senderId: string | null; readonly producerAttribute: string | null },
  policy: ProducerPolicy,
): string => {
  const principal = principalOf(message.senderId ?? '');
  if (policy.selfPrincipals.includes(principal)) {
    if (isProducerName(message.producerAttribute)) return message.producerAttribute;
    if (message.producerAttribute === DEFAULT_PRODUCER_ATTRIBUTE) return '';
  }
  const senderId = message.senderId ?? '';
  let mapped: ProducerNamespace | undefined;
  for (const entry of policy.namespaces) {
    if (!matchesPattern(entry.pattern, senderId) && !matchesPattern(entry.pattern, principal)) {
      continue;
    }
    if (mapped === undefined || specificityOf(entry.pattern) > specificityOf(mapped.pattern)) {
      mapped = entry;
    }
  }
  if (mapped !== undefined) return mapped.namespace;
  return sanitizedPrincipal(principal);
};

/**
 * The idempotency ledger's id of a request: one function of (producer, custom_id), used by
 * every part of batchlane that reads or writes the ledger. A record without a producer (one
 * written before producers were told apart) keeps its old id, the bare `custom_id`.
 */
const ledgerIdOf = (producer: string, customId: string): string =>
  producer === '' ? customId : `${producer}#${customId}`;

export {
  DEFAULT_PRODUCER_ATTRIBUTE,
  isProducerName,
  ledgerIdOf,
  NAMESPACE_PATTERN,
  PRINCIPAL_PATTERN,
  PRODUCER_ATTRIBUTE,
  PRODUCER_PATTERN,
  type ProducerNamespace,
  type ProducerPolicy,
  principalOf,
  producerAttributeOf,
  resolveProducer,
};
