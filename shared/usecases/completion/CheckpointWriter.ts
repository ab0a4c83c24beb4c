import type { BatchRecord, DeliveryCheckpoint } from '../../domain/records.js';
import { sameCheckpoint } from '../../domain/sameCheckpoint.js';
import type { BatchPatch, BatchRecords } from '../../ports/BatchRecords.js';
import { type CompletionLease, writeOwned } from './leaseBatch.js';

type CheckpointDeps = { readonly store: Pick<BatchRecords, 'getBatch' | 'updateBatch'> };

/**
 * The batch record of one completion run, written in the background: a checkpoint write goes
 * on while the next chunks are read, classified and delivered, and at most one is in flight.
 * The caller moves the checkpoint past a chunk only once the chunk's results are delivered or
 * recorded as exceptions, so no write can pass a result that is not; a crash before a write
 * lands resumes from the one before, and delivers again (under the same names) the chunks
 * since.
 */
class CheckpointWriter {
  readonly #deps: CheckpointDeps;
  readonly #lease: CompletionLease;
  #batch: BatchRecord;
  #inFlight: Promise<BatchRecord> | null = null;
  /** The checkpoint last asked for, to leave out a write that would not move it. */
  #last: DeliveryCheckpoint | null;

  constructor(deps: CheckpointDeps, lease: CompletionLease, batch: BatchRecord) {
    this.#deps = deps;
    this.#lease = lease;
    this.#batch = batch;
    this.#last = batch.checkpoint;
  }

  /**
   * Waits for the write in flight, then starts writing `checkpoint` without waiting for it.
   * A checkpoint equal to the last one, field by field (`sameCheckpoint`: the record read
   * back may order its keys otherwise), is not written again.
   */
  async move(checkpoint: DeliveryCheckpoint): Promise<void> {
    if (sameCheckpoint(checkpoint, this.#last)) return;
    const batch = await this.settled();
    this.#last = checkpoint;
    const write = writeOwned(this.#deps, this.#lease, batch, { checkpoint });
    this.#inFlight = write;
    // Its failure is thrown by the next `settled()`; until then it is not unhandled.
    write.catch(() => undefined);
  }

  /** The batch record once the write in flight (if any) has landed; throws if it failed. */
  async settled(): Promise<BatchRecord> {
    const write = this.#inFlight;
    if (write !== null) {
      this.#batch = await write;
      this.#inFlight = null;
    }
    return this.#batch;
  }

  /** Waits for the write in flight and writes `patch` after it, returning the new record. */
  async write(patch: BatchPatch): Promise<BatchRecord> {
    this.#batch = await writeOwned(this.#deps, this.#lease, await this.settled(), patch);
    return this.#batch;
  }

  /**
   * After a failure elsewhere: lets the write in flight land (or fail) before the batch is
   * handed back.
   */
  async drain(): Promise<void> {
    await this.#inFlight?.catch(() => undefined);
    this.#inFlight = null;
  }
}

export { CheckpointWriter };
