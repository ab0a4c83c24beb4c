/**
 * Bedrock batch-inference rules batchlane applies: how a batch maps to a job (name and
 * idempotency token), how long a job may wait for capacity, and what a job's end state says
 * about the records it returned nothing for.
 */

/** Job names allow no `_`: `[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}`. */
const JOB_NAME_PREFIX = 'batchlane-';

/** `timeoutDurationInHours` bounds Bedrock accepts. */
const MIN_TIMEOUT_HOURS = 24;
const MAX_TIMEOUT_HOURS = 168;

/**
 * The job's name for a batchlane batch id (`bl_<base32>` → `batchlane-bl-<base32>`): stable,
 * so the job of a batch is found again after a crash, and read back from Bedrock's events.
 */
const jobNameOf = (batchId: string): string =>
  `${JOB_NAME_PREFIX}${batchId.replace(/[^A-Za-z0-9]+/g, '-')}`;

/**
 * The batch id a job name stands for, or null when the job is not one of batchlane's. Only
 * ids of the form `<prefix>_<alphanumerics>` (what batchlane makes) round-trip.
 */
const batchIdOfJobName = (jobName: string): string | null => {
  const match = /^batchlane-([a-z]+)-([a-z0-9]+)$/.exec(jobName);
  return match === null ? null : `${match[1]}_${match[2]}`;
};

/**
 * `clientRequestToken`: the create call's idempotency key, derived from the batch id alone,
 * so a create repeated after a crash (between Bedrock's answer and batchlane's record of it)
 * returns the job already made instead of making a second one.
 */
const clientRequestTokenOf = (batchId: string): string =>
  `batchlane-${batchId.replace(/[^A-Za-z0-9]+/g, '-')}`;

/**
 * How long a job may wait for capacity before Bedrock expires it: the whole hours until the
 * batch's members must be answered, within Bedrock's 24 to 168. A job that expires never ran,
 * and its members go to a new job or, near their deadline, to the realtime lane. Without a
 * deadline, 24 h: the same window as the other providers' batches.
 */
const jobTimeoutHours = (now: Date, answerBy: string | null): number => {
  if (answerBy === null) return MIN_TIMEOUT_HOURS;
  const hours = Math.floor((Date.parse(answerBy) - now.getTime()) / 3_600_000);
  if (Number.isNaN(hours)) return MIN_TIMEOUT_HOURS;
  return Math.min(MAX_TIMEOUT_HOURS, Math.max(MIN_TIMEOUT_HOURS, hours));
};

/** Job statuses after which nothing changes. */
const ENDED_JOB_STATUSES: readonly string[] = [
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Stopped',
  'Expired',
];

/**
 * Bedrock's job events, as the stack's rule matches them (the default bus): a job that ended
 * is handed to completion, which reads its state from Bedrock before acting.
 */
const BEDROCK_JOB_EVENT = {
  source: 'aws.bedrock',
  detailType: 'Batch Inference Job State Change',
} as const;

/**
 * What an ended job's status says about a record missing from its output: `Expired` (the job
 * never started) and `PartiallyCompleted` ("not all of your records could be processed in
 * time") leave records unprocessed, which may run in a later job; `Stopped` records were
 * canceled. Null when a missing record is simply missing (`Completed`, `Failed`).
 */
const unansweredStatusOf = (jobStatus: string | null): 'expired' | 'canceled' | null => {
  switch (jobStatus) {
    case 'Expired':
    case 'PartiallyCompleted':
      return 'expired';
    case 'Stopped':
      return 'canceled';
    default:
      return null;
  }
};

export {
  BEDROCK_JOB_EVENT,
  batchIdOfJobName,
  clientRequestTokenOf,
  ENDED_JOB_STATUSES,
  jobNameOf,
  jobTimeoutHours,
  MAX_TIMEOUT_HOURS as BEDROCK_MAX_JOB_HOURS,
  unansweredStatusOf,
};
