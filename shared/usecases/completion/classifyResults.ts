import { unansweredStatusOf } from '../../domain/bedrockJobs.js';
import type { ItemOutcome } from '../../domain/buildResult.js';
import { PROVIDER_RESULTS_GONE } from '../../domain/errors.js';
import type { ParsedResultLine } from '../../domain/parseResultLine.js';
import type { BatchItem, BatchRecord } from '../../domain/records.js';
import type { MemberTable } from './loadMemberTable.js';

/** An outcome the provider reported, with whether sending the request again may help. */
type LineOutcome = ItemOutcome & { readonly retryable: boolean };

/** A member and the outcome it is to be delivered with. */
interface OutcomeEntry {
  readonly item: BatchItem;
  readonly outcome: ItemOutcome;
}

/** When a member may be sent to its provider again. */
interface RetryPolicy {
  readonly maxAttempts: number;
  /** Now, as epoch milliseconds: a member past its deadline is not sent again. */
  readonly nowMs: number;
}

const retryAllowed = (policy: RetryPolicy, item: BatchItem, outcome: LineOutcome): boolean =>
  outcome.retryable &&
  item.attempts < policy.maxAttempts &&
  (item.deadline === null || Date.parse(item.deadline) > policy.nowMs);

/**
 * Whether a member already has its outcome elsewhere: delivered out of the checkpoint,
 * escalated (the realtime lane's to deliver), or chosen to be sent again.
 */
const settledElsewhere = (table: MemberTable, item: BatchItem): boolean =>
  item.deliveredAt !== null ||
  item.escalatedAt !== null ||
  table.retries.has(item.providerCustomId);

/** What a chunk of result lines comes to, member by member. */
interface ClassifiedChunk {
  /** To deliver. */
  readonly entries: OutcomeEntry[];
  /** To send again in a retry batch. */
  readonly toRetry: BatchItem[];
  /** Lines of members settled elsewhere: dropped. */
  readonly skipped: number;
  /** Lines naming no member of the batch. */
  readonly unknown: string[];
}

const outcomeOfLine = (line: ParsedResultLine): LineOutcome => ({
  status: line.status,
  response: line.response,
  error: line.error,
  usage: line.usage,
  model: line.model,
  // Expired and canceled requests never ran: sending them again is always sound.
  retryable: line.retryable || line.status === 'expired' || line.status === 'canceled',
});

/**
 * Sorts a chunk's result lines into deliveries, members to send again and lines dropped.
 * Reads the member table, changes nothing: the caller records what it decides.
 */
const classifyChunk = (
  lines: readonly ParsedResultLine[],
  table: MemberTable,
  policy: RetryPolicy,
): ClassifiedChunk => {
  const entries: OutcomeEntry[] = [];
  const toRetry: BatchItem[] = [];
  const unknown: string[] = [];
  let skipped = 0;
  for (const line of lines) {
    const item = table.members.get(line.providerCustomId);
    if (item === undefined) {
      unknown.push(line.providerCustomId);
      continue;
    }
    // Escalated members are the realtime lane's to deliver: this later answer is dropped.
    if (settledElsewhere(table, item)) {
      skipped += 1;
      continue;
    }
    const outcome = outcomeOfLine(line);
    if (retryAllowed(policy, item, outcome)) toRetry.push(item);
    else entries.push({ item, outcome });
  }
  return { entries, toRetry, skipped, unknown };
};

/**
 * What a provider's end state says about members its results leave out, where it says more
 * than "missing": a Bedrock job that expired before it started, or ran out of time part-way
 * (`PartiallyCompleted`), leaves them unprocessed (`expired`, sent again while attempts and
 * deadline allow); a stopped job, canceled.
 */
const unansweredOutcomeOf = (batch: BatchRecord): LineOutcome | null => {
  if (batch.provider !== 'bedrock') return null;
  const status = unansweredStatusOf(batch.providerStatus);
  if (status === null) return null;
  return {
    status,
    response: null,
    error: {
      type: status === 'expired' ? 'expired' : 'canceled',
      message: `the Bedrock job ended ${batch.providerStatus} before processing this request`,
    },
    usage: null,
    model: null,
    retryable: status === 'expired',
  };
};

/**
 * The verdict on members whose result file the provider no longer kept (see `archiveResults`):
 * they may well have run, but nothing of it is left to deliver; sending them again is sound.
 */
const resultsGoneOutcome = (gone: readonly string[]): LineOutcome => ({
  status: 'errored',
  response: null,
  error: {
    type: PROVIDER_RESULTS_GONE,
    message: `the provider no longer keeps this batch's results (${gone.join(', ')}): past its retention, or deleted, before they were archived`,
  },
  usage: null,
  model: null,
  retryable: true,
});

/**
 * The verdict on members the results did not cover: their result file is gone from the
 * provider, or the provider refused the batch, or its end state says what happened to them,
 * or their result is missing (worth sending again). Results gone come first: such a batch
 * may have no archived file at all, which is not a refusal.
 */
const unansweredVerdictOf = (batch: BatchRecord): LineOutcome => {
  if (batch.resultsGone !== undefined && batch.resultsGone.length > 0) {
    return resultsGoneOutcome(batch.resultsGone);
  }
  const refused =
    batch.providerBatchId === null || (batch.lastError !== null && batch.resultKeys.length === 0);
  if (refused) {
    return {
      status: 'errored',
      response: null,
      error: { type: 'batch_failed', message: batch.lastError ?? 'the provider refused the batch' },
      usage: null,
      model: null,
      retryable: false,
    };
  }
  return (
    unansweredOutcomeOf(batch) ?? {
      status: 'errored',
      response: null,
      error: {
        type: 'missing_result',
        message: 'the provider returned no result for this request',
      },
      usage: null,
      model: null,
      retryable: true,
    }
  );
};

/**
 * Members the results did not answer and that have no outcome elsewhere, with the verdict
 * they get: sent again where the policy allows, else delivered with it. Every run that gets
 * here gives the same verdicts to the same members.
 */
const classifyUnanswered = (
  table: MemberTable,
  answered: { has(providerCustomId: string): boolean },
  verdict: LineOutcome,
  policy: RetryPolicy,
): { readonly missing: OutcomeEntry[]; readonly toRetry: BatchItem[] } => {
  const missing: OutcomeEntry[] = [];
  const toRetry: BatchItem[] = [];
  for (const item of table.members.values()) {
    if (answered.has(item.providerCustomId) || settledElsewhere(table, item)) continue;
    if (retryAllowed(policy, item, verdict)) toRetry.push(item);
    else missing.push({ item, outcome: verdict });
  }
  return { missing, toRetry };
};

export {
  type ClassifiedChunk,
  classifyChunk,
  classifyUnanswered,
  type LineOutcome,
  type OutcomeEntry,
  type RetryPolicy,
  retryAllowed,
  settledElsewhere,
  unansweredVerdictOf,
};
