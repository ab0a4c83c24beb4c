import type { Destination } from '../contract/destination.js';
import type { ResultV1 } from '../contract/result.js';
import { failedResultsOf } from '../domain/deliveryFailure.js';
import { type DestinationPolicy, refuseDestination } from '../domain/destinationPolicy.js';
import { errorMessage } from '../domain/errors.js';
import { splitLines } from '../domain/splitLines.js';
import type { BlobStore } from '../ports/BlobStore.js';
import type { Logger } from '../ports/Logger.js';
import type { ResultDeliverer } from '../ports/ResultDeliverer.js';
import { PARKED_ROOT } from './parkedPrefix.js';

interface ReplayReport {
  readonly objects: number;
  readonly replayed: number;
  /** Objects kept because their destination still refused some results. */
  readonly kept: string[];
  /** Objects kept, untouched, because the deployment's allow-list does not reach their destination. */
  readonly outsideAllowList: string[];
  /** Objects kept, untouched, because they could not be read as parked results. */
  readonly unreadable: string[];
}

interface ReplayDeps {
  readonly blobs: BlobStore;
  readonly deliverer: ResultDeliverer;
  readonly logger: Logger;
  /**
   * The deployment's own allow-list, read from the deployment: an operator's credentials may
   * reach further than the stack, and a replay must not.
   */
  readonly policy: DestinationPolicy;
  /** The deployment's region (SQS queues and EventBridge buses must be in it). */
  readonly region: string;
}

/**
 * Sends parked results to their destinations again (`batchlane replay`), only where the
 * deployment's allow-list reaches; other objects are left as they are. An object is deleted
 * once every result in it was delivered; one that fails stays for the next replay. Replaying
 * an object twice can deliver its results twice, so one replay runs at a time.
 */
const createReplay =
  (deps: ReplayDeps) =>
  async (
    options: {
      readonly prefix?: string;
      /** Called after each parked object, with the counts so far (for a progress line). */
      readonly onObject?: (sofar: { readonly objects: number; readonly replayed: number }) => void;
    } = {},
  ): Promise<ReplayReport> => {
    const prefix = options.prefix ?? PARKED_ROOT;
    if (!prefix.startsWith(PARKED_ROOT)) {
      throw new Error(`replay prefix must be under ${PARKED_ROOT}, got ${prefix}`);
    }
    let objects = 0;
    let replayed = 0;
    const kept: string[] = [];
    const outsideAllowList: string[] = [];
    const unreadable: string[] = [];
    /** The destination and results an object parks, or null when it cannot be read as such. */
    const readParked = async (
      key: string,
    ): Promise<{ destination: Destination | null; results: ResultV1[] } | null> => {
      let destination: Destination | null = null;
      const results: ResultV1[] = [];
      try {
        for await (const line of splitLines(await deps.blobs.getStream(key))) {
          const entry = JSON.parse(line) as { destination: Destination; result: ResultV1 };
          destination ??= entry.destination;
          results.push(entry.result);
        }
      } catch (error) {
        // Kept for an operator to look at; the objects after it are still replayed.
        deps.logger.warn('parked object not replayed: it cannot be read', {
          key,
          error: errorMessage(error),
        });
        return null;
      }
      return { destination, results };
    };
    const replayObject = async (key: string): Promise<void> => {
      objects += 1;
      const parked = await readParked(key);
      if (parked === null) {
        unreadable.push(key);
        return;
      }
      const { destination, results } = parked;
      if (destination === null || results.length === 0) {
        await deps.blobs.delete(key);
        return;
      }
      // Before anything is sent: left as it is for a destination the deployment does not reach.
      const refusal = refuseDestination(destination, deps.policy, deps.region);
      if (refusal !== null) {
        outsideAllowList.push(key);
        deps.logger.warn('parked results not replayed: outside the allow-list', {
          key,
          reason: refusal.message,
        });
        return;
      }
      const part = key.slice(key.lastIndexOf('/') + 1).replace(/\.jsonl$/, '');
      const batchId = results[0]?.batch_id ?? null;
      try {
        const report = await deps.deliverer.deliver(destination, results, {
          batchId,
          part: `replay-${part}`,
        });
        if (report.failed.length > 0) {
          // Keep only what is still undelivered, so the next replay sends nothing twice: by
          // producer and custom_id, as producers may share an id (see `failedResultsOf`).
          const remaining = failedResultsOf(results, report.failed);
          await deps.blobs.put(
            key,
            remaining.map((result) => `${JSON.stringify({ destination, result })}\n`).join(''),
            { contentType: 'application/x-ndjson' },
          );
          replayed += results.length - remaining.length;
          kept.push(key);
          deps.logger.warn('parked results still refused', {
            key,
            failed: report.failed.length,
            error: errorMessage(report.failed[0]?.error),
          });
          return;
        }
      } catch (error) {
        kept.push(key);
        deps.logger.warn('parked results still refused', { key, error: errorMessage(error) });
        return;
      }
      await deps.blobs.delete(key);
      replayed += results.length;
    };
    for await (const key of deps.blobs.list(prefix)) {
      await replayObject(key);
      options.onObject?.({ objects, replayed });
    }
    return { objects, replayed, kept, outsideAllowList, unreadable };
  };

export { createReplay, type ReplayDeps, type ReplayReport };
