import { Readable } from 'node:stream';
import { METRIC } from '../contract/metrics.js';
import { errorMessage, NotFoundError } from '../domain/errors.js';
import type { BatchPart, BatchRecord } from '../domain/records.js';
import type { BatchFilling } from '../ports/BatchFilling.js';
import type { BatchRecords } from '../ports/BatchRecords.js';
import { haltOnMissingArtifact, missingArtifactOf } from './haltOnMissingArtifact.js';
import type { RuntimeDeps } from './RuntimeDeps.js';
import type { SubmitDeps } from './submitBatch.js';
import { isoAfter, submitBatch } from './submitBatch.js';

/** What sealing uses: the filling batch's parts and record, its input, and submission. */
type SealingDeps = SubmitDeps &
  Pick<RuntimeDeps, 'blobs' | 'clock' | 'completion' | 'logger' | 'metrics' | 'settings'> & {
    readonly store: BatchFilling & BatchRecords;
  };

/** Why a filling batch stopped taking parts (the `reason` of the `BatchesSealed` metric). */
type SealReason = 'full' | 'age';

/** Where part `partNo` of a batch keeps its lines. */
const partKeyOf = (batchId: string, partNo: number): string =>
  `batches/${batchId}/parts/${partNo.toString().padStart(6, '0')}.jsonl`;

const NEWLINE = 0x0a;

/**
 * Concatenates the parts' objects in part order into the batch's input file, streaming: one
 * part is read at a time and the blob store uploads in parts, so memory does not depend on
 * the batch's size. A part whose object is missing (its collector died before writing it, so
 * none of its members were claimed) is skipped.
 */
const assembleInput = async (
  deps: SealingDeps,
  batch: BatchRecord,
  parts: readonly BatchPart[],
): Promise<{ bytes: number; lines: number }> => {
  let lines = 0;
  async function* concatenated(): AsyncGenerator<Uint8Array> {
    for (const part of parts) {
      let source: Readable;
      try {
        source = await deps.blobs.getStream(partKeyOf(batch.batchId, part.partNo));
      } catch (error) {
        if (error instanceof NotFoundError) continue;
        throw error;
      }
      for await (const chunk of source) {
        const bytes = chunk as Uint8Array;
        for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) {
          lines += 1;
        }
        yield bytes;
      }
    }
  }
  const { bytes } = await deps.blobs.put(batch.inputKey, Readable.from(concatenated()), {
    contentType: 'application/x-ndjson',
  });
  return { bytes, lines };
};

/**
 * Finishes a `sealing` batch and submits it: seals every part (a collector still claiming
 * into one is refused from here on, and its unclaimed requests go back to the queue),
 * assembles the opened parts into the input file, records what the file holds (`open`) and
 * hands it to `submitBatch`. Safe to run again after a crash at any point: sealing and
 * assembling give the same file again. Returns the batch as submission left it, or as halted
 * (see `haltOnMissingArtifact`) when a part has no sidecar to settle it from.
 */
const finishSealing = async (deps: SealingDeps, batch: BatchRecord): Promise<BatchRecord> => {
  const { store, clock } = deps;
  let sealed: BatchPart[];
  try {
    sealed = await store.sealParts(batch.batchId, batch.partCount ?? 0, clock.now().toISOString());
  } catch (error) {
    // A part without its sidecar (one opened before parts had sidecars, never committed, on
    // a deployment upgraded meanwhile) cannot be settled, now or on any retry: halted once.
    const missing = missingArtifactOf(error);
    if (missing === null) throw error;
    await haltOnMissingArtifact(deps, batch.batchId, missing, error);
    return (await store.getBatch(batch.batchId)) ?? batch;
  }
  const parts = sealed.sort((a, b) => a.partNo - b.partNo);
  const now = clock.now();
  if (parts.length === 0) {
    return store.updateBatch(batch.batchId, batch.version, {
      state: 'completed',
      requestCount: 0,
      inputBytes: 0,
      completedAt: now.toISOString(),
      nextPollAt: null,
      counts: { succeeded: 0, errored: 0, expired: 0, canceled: 0, rejected: 0, retried: 0 },
    });
  }
  const { bytes, lines } = await assembleInput(deps, batch, parts);
  // When every part's collector recorded all its members claimed, the file holds exactly the
  // members; otherwise submission first checks it against them (lost claims, cut-off parts).
  const verifiedMembers = parts.every((p) => p.claimed === p.requestCount);
  const escalations = parts.flatMap((p) => (p.escalateAt === null ? [] : [p.escalateAt]));
  const open = await store.updateBatch(batch.batchId, batch.version, {
    state: 'open',
    models: [...new Set(parts.flatMap((p) => p.models))].sort(),
    // Lines of members another batch won are still counted here; submission trims them.
    requestCount: lines,
    inputBytes: bytes,
    escalateAt: escalations.length === 0 ? null : escalations.sort()[0],
    nextPollAt: isoAfter(clock.now(), deps.settings.leaseMs),
  });
  // The parts are in the input file now; a failed delete only leaves an object behind.
  await Promise.all(
    parts.map((part) =>
      deps.blobs.delete(partKeyOf(batch.batchId, part.partNo)).catch((error: unknown) => {
        deps.logger.warn('batch part not deleted', {
          batchId: batch.batchId,
          partNo: part.partNo,
          error: errorMessage(error),
        });
      }),
    ),
  );
  return submitBatch(deps, open, { verifiedMembers }).catch((error: unknown) => {
    // The batch is durable and due to the poller, which retries the submission.
    deps.logger.warn('submission deferred to the poller', {
      batchId: batch.batchId,
      error: errorMessage(error),
    });
    return open;
  });
};

/**
 * `filling` → `sealing`: the batch takes no more parts. Null when it was not filling
 * (another collector or the poller stopped it first).
 */
const stopFilling = async (
  deps: SealingDeps,
  batchId: string,
  reason: SealReason,
): Promise<BatchRecord | null> => {
  const now = deps.clock.now();
  // Due to the poller after the lease, should whoever finishes it die first.
  const sealing = await deps.store.stopFilling(batchId, isoAfter(now, deps.settings.leaseMs));
  if (sealing === null) return null;
  deps.metrics.count(METRIC.BatchesSealed, 1, { provider: sealing.provider, reason });
  deps.logger.info('batch sealed', {
    batchId,
    reason,
    requests: sealing.requestCount,
    bytes: sealing.inputBytes,
    parts: sealing.partCount ?? 0,
  });
  return sealing;
};

/**
 * Stops a `filling` batch and hands the rest to the completion function, whose long timeout
 * suits assembling and uploading up to a provider's 256 MB: the collector and the poller only
 * make the cheap state change. Returns false when the batch was not filling.
 */
const handOffSealing = async (
  deps: SealingDeps,
  batchId: string,
  reason: SealReason,
): Promise<boolean> => {
  if ((await stopFilling(deps, batchId, reason)) === null) return false;
  await deps.completion.notifyEnded(batchId);
  return true;
};

/**
 * Stops a `filling` batch, assembles and submits it in this call (see {@link finishSealing}).
 * Returns the batch as submission left it (or completed, when no part was ever opened), or
 * null when it was not filling.
 */
const sealBatch = async (
  deps: SealingDeps,
  batchId: string,
  reason: SealReason,
): Promise<BatchRecord | null> => {
  const sealing = await stopFilling(deps, batchId, reason);
  return sealing === null ? null : finishSealing(deps, sealing);
};

export { finishSealing, handOffSealing, partKeyOf, type SealingDeps, type SealReason, sealBatch };
