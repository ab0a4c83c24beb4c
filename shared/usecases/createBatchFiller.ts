import { BUILT_IN_REGISTRY } from '../contract/providerRegistry.js';
import type { ProviderEndpoint, ProviderName } from '../contract/providers.js';
import { batchGroupKey, effectiveLimits } from '../domain/batchLimits.js';
import { ConflictError, errorMessage } from '../domain/errors.js';
import { escalateAtOf } from '../domain/escalateAtOf.js';
import type { RequestEstimate } from '../domain/estimateRequest.js';
import { newBatchRecord } from '../domain/newBatchRecord.js';
import { encodePartMember, partMembersKeyOf } from '../domain/partMembers.js';
import { providerCustomIdOf } from '../domain/providerCustomIdOf.js';
import type {
  BatchEstimate,
  BatchItem,
  BatchRecord,
  ItemLane,
  JsonValue,
} from '../domain/records.js';
import { takeWhatFits } from '../domain/takeWhatFits.js';
import { withProviderCustomId } from '../domain/withProviderCustomId.js';
import type { BatchFilling } from '../ports/BatchFilling.js';
import type { BatchRecords } from '../ports/BatchRecords.js';
import type { RuntimeDeps } from './RuntimeDeps.js';
import { partKeyOf } from './sealBatch.js';
import { isoAfter } from './submitBatch.js';

/** What filling batches uses: batch records, their parts and claims, and the bucket. */
type BatchFillerDeps = Pick<RuntimeDeps, 'blobs' | 'clock' | 'ids' | 'logger' | 'settings'> & {
  readonly store: BatchRecords & BatchFilling;
};

/** What filling needs to know about one accepted request. */
interface FillRequest {
  readonly provider: ProviderName;
  readonly endpoint: ProviderEndpoint;
  readonly model: string;
  /** Who sent it: with `customId`, the key of its ledger entry. */
  readonly producer: string;
  readonly customId: string;
  readonly requestHash: string;
  /** Its provider line, rendered with the placeholder id `r000000` and a trailing newline. */
  readonly line: string;
  readonly lineBytes: number;
  readonly estimate: RequestEstimate;
  readonly lane: ItemLane;
  readonly destination: BatchItem['destination'];
  readonly metadata: JsonValue | null;
  readonly deadline: string | null;
}

interface FillReport<T extends FillRequest> {
  /** Requests now members of a batch. */
  readonly claimed: T[];
  /** Requests the ledger holds elsewhere already (a duplicate): nothing left to do. */
  readonly lost: T[];
  /** Requests whose id the ledger holds for a different request: to be refused. */
  readonly conflicts: T[];
  /** Requests the store will not hold for something in the request itself: to be refused. */
  readonly unstorable: T[];
  /** Requests not placed for now: their messages go back to the queue. */
  readonly failed: T[];
  /** Batches this run added parts to. */
  readonly batchIds: string[];
  /** Batches that are full: the caller seals them. */
  readonly full: string[];
}

/** A batch whose next part would find less than this share of its byte limit left is full. */
const FULL_BYTES_RATIO = 0.98;

/** Tries at placing a group's requests before the rest are handed back to the queue. */
const MAX_ROUNDS = 12;

const estimateOf = (requests: readonly FillRequest[]): BatchEstimate => {
  const byModel: Record<string, { requests: number; tokens: number }> = {};
  let nanoUsd = 0;
  for (const request of requests) {
    const use = byModel[request.model] ?? { requests: 0, tokens: 0 };
    byModel[request.model] = {
      requests: use.requests + 1,
      tokens: use.tokens + request.estimate.inputTokens,
    };
    nanoUsd += request.estimate.nanoUsd;
  }
  return { byModel, nanoUsd };
};

/**
 * Places accepted requests in `filling` batches, one group (provider, endpoint and, where the
 * provider demands it, model) at a time. Each run adds a part to the group's current batch:
 * it reserves room and member indexes atomically, writes the part's lines to the blob store,
 * records the part, then claims its members: per request, its member item where the index is
 * free and its one ledger entry, written `claimed` at once (the entry is also what folds a
 * resend). Batches therefore grow across collector invocations up to the provider's limits,
 * instead of being as large as one invocation.
 *
 * A crash between any two steps leaves nothing wrong behind: reserved room without a part
 * object, or a part whose members were not all claimed, only adds lines that sealing leaves
 * out. Sealing settles an uncommitted part against the ledger index by index, so a request
 * whose entry was written is a member, and one whose entry was not comes back with its
 * message and goes to a later part.
 */
const createBatchFiller = (deps: BatchFillerDeps) => {
  const { store, clock, logger, settings } = deps;
  const registry = settings.registry ?? BUILT_IN_REGISTRY;
  const overrides = {
    maxRequests: settings.maxRequestsPerBatch,
    maxBytes: settings.maxBytesPerBatch,
  };

  /** A new `filling` batch for a group, due to the poller when its filling time is up. */
  const fillingRecord = (batchId: string, sample: FillRequest): BatchRecord => {
    const now = clock.now();
    return newBatchRecord({
      batchId,
      provider: sample.provider,
      endpoint: sample.endpoint,
      models: effectiveLimits(sample.provider, overrides, registry).oneModelPerBatch
        ? [sample.model]
        : [],
      state: 'filling',
      createdAt: now.toISOString(),
      // With no filling time, the invocation that made it seals it; the poller only takes
      // over after the lease, should that invocation die.
      nextPollAt: isoAfter(
        now,
        settings.batchMaxAgeMs > 0 ? settings.batchMaxAgeMs : settings.leaseMs,
      ),
      partCount: 0,
      estimate: { byModel: {}, nanoUsd: 0 },
    });
  };

  /** The group's batch that takes parts now, making one when there is none. */
  const fillingBatchOf = async (
    groupKey: string,
    sample: FillRequest,
    exhausted: ReadonlySet<string>,
  ): Promise<BatchRecord> => {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const current = await store.currentFillingBatch(groupKey);
      if (current !== null && !exhausted.has(current)) {
        const batch = await store.getBatch(current);
        if (batch === null) {
          // The pointer was moved but its batch not yet written (that collector may have
          // died): write it, whoever gets there first.
          await store.createBatch(fillingRecord(current, sample)).catch((error: unknown) => {
            if (!(error instanceof ConflictError)) throw error;
          });
          continue;
        }
        if (batch.state === 'filling') return batch;
      }
      const next = deps.ids.next('bl');
      if (await store.setFillingBatch(groupKey, next, current)) {
        const record = fillingRecord(next, sample);
        await store.createBatch(record);
        return record;
      }
    }
    throw new ConflictError(`no filling batch could be found or made for ${groupKey}`, {
      code: 'filling_contention',
      details: { groupKey },
    });
  };

  /**
   * Adds one part holding as many of `requests` as fit; returns those that are now settled
   * (claimed, or held by another batch) and leaves the rest for the next round.
   */
  const addPart = async <T extends FillRequest>(
    batch: BatchRecord,
    requests: readonly T[],
    report: {
      claimed: T[];
      lost: T[];
      conflicts: T[];
      unstorable: T[];
      full: Set<string>;
      exhausted: Set<string>;
      batchIds: Set<string>;
    },
  ): Promise<T[]> => {
    const limits = effectiveLimits(batch.provider, overrides, registry);
    const fits = takeWhatFits(requests, {
      requests: limits.maxRequests - batch.requestCount,
      bytes: limits.maxBytes - batch.inputBytes,
    });
    if (fits === 0) {
      // Full: the collector whose part filled it seals it once its claims are in (sealing
      // it here could cut that part off); this group moves on to a new batch.
      report.exhausted.add(batch.batchId);
      return [...requests];
    }
    const part = requests.slice(0, fits);
    const reserved = await store.reservePart(batch.batchId, {
      requests: part.length,
      bytes: part.reduce((sum, r) => sum + r.lineBytes, 0),
      estimate: estimateOf(part),
      maxRequests: limits.maxRequests,
      maxBytes: limits.maxBytes,
    });
    // Counts moved under us, or the batch stopped filling: look again next round.
    if (reserved === null) return [...requests];
    report.batchIds.add(batch.batchId);
    if (
      reserved.batchRequests >= limits.maxRequests ||
      reserved.batchBytes >= limits.maxBytes * FULL_BYTES_RATIO
    ) {
      report.full.add(batch.batchId);
      report.exhausted.add(batch.batchId);
    }

    const ids = part.map((_, i) => providerCustomIdOf(reserved.firstIndex + i));
    const now = clock.now();
    const acceptedAt = now.toISOString();
    const expiresAt = Math.floor(now.getTime() / 1000) + settings.idempotencyTtlSeconds;
    const members = part.map((r, i) => ({
      requestHash: r.requestHash,
      expiresAt,
      item: {
        batchId: batch.batchId,
        providerCustomId: ids[i] ?? '',
        producer: r.producer,
        customId: r.customId,
        model: r.model,
        destination: r.destination,
        metadata: r.metadata,
        attempts: 1,
        acceptedAt,
        deadline: r.deadline,
        status: null,
        deliveredAt: null,
        escalatedAt: null,
        lane: r.lane,
        cost: null,
      },
    }));
    // Both objects before the part is opened: an opened part always has its lines and the
    // sidecar sealing settles it from, should this invocation die while claiming.
    await Promise.all([
      deps.blobs.put(
        partKeyOf(batch.batchId, reserved.partNo),
        part.map((r, i) => withProviderCustomId(r.line, ids[i] ?? '')).join(''),
        { contentType: 'application/x-ndjson' },
      ),
      deps.blobs.put(
        partMembersKeyOf(batch.batchId, reserved.partNo),
        members.map(encodePartMember).join(''),
        { contentType: 'application/x-ndjson' },
      ),
    ]);
    const opened = await store.openPart({
      batchId: batch.batchId,
      partNo: reserved.partNo,
      state: 'open',
      firstIndex: reserved.firstIndex,
      requestCount: part.length,
      models: [...new Set(part.map((r) => r.model))].sort(),
      escalateAt: escalateAtOf(part, settings.escalateBeforeDeadlineMs),
      claimed: null,
    });
    if (!opened) return [...requests];

    // Should the batch be sealed before the claims start, the claim throws `part_sealed` and
    // every request here goes back to the queue: on the retry, the ledger folds those sealing
    // claimed from the sidecar and the others go to a later batch.
    // Judged at this time: a `pending` entry a realtime worker holds a lease on is the lane's.
    const outcomes = await store.claimPartMembers(
      batch.batchId,
      reserved.partNo,
      members,
      clock.now().toISOString(),
    );
    await store.commitPart(
      batch.batchId,
      reserved.partNo,
      outcomes.filter((o) => o === 'claimed').length,
      ids.filter((_, i) => outcomes[i] !== 'claimed'),
    );
    outcomes.forEach((outcome, i) => {
      const request = part[i];
      if (request === undefined) return;
      if (outcome === 'claimed') report.claimed.push(request);
      else if (outcome === 'held') report.lost.push(request);
      else if (outcome === 'conflict') report.conflicts.push(request);
      else report.unstorable.push(request);
    });
    return requests.slice(fits);
  };

  return async <T extends FillRequest>(requests: readonly T[]): Promise<FillReport<T>> => {
    const groups = new Map<string, T[]>();
    for (const request of requests) {
      const key = batchGroupKey(request, registry);
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [request]);
      else group.push(request);
    }
    const report = {
      claimed: [] as T[],
      lost: [] as T[],
      conflicts: [] as T[],
      unstorable: [] as T[],
      failed: [] as T[],
      full: new Set<string>(),
      exhausted: new Set<string>(),
      batchIds: new Set<string>(),
    };
    await Promise.all(
      [...groups].map(async ([groupKey, group]) => {
        let remaining: T[] = group;
        try {
          for (let round = 0; round < MAX_ROUNDS && remaining.length > 0; round++) {
            const sample = remaining[0];
            if (sample === undefined) break;
            const batch = await fillingBatchOf(groupKey, sample, report.exhausted);
            remaining = await addPart(batch, remaining, report);
          }
        } catch (error) {
          logger.warn('requests not placed in a batch; their messages will be retried', {
            groupKey,
            requests: remaining.length,
            error: errorMessage(error),
          });
        }
        report.failed.push(...remaining);
      }),
    );
    return {
      claimed: report.claimed,
      lost: report.lost,
      conflicts: report.conflicts,
      unstorable: report.unstorable,
      failed: report.failed,
      batchIds: [...report.batchIds],
      full: [...report.full],
    };
  };
};

export {
  type BatchFillerDeps,
  createBatchFiller,
  type FillReport,
  type FillRequest,
  providerCustomIdOf,
};
