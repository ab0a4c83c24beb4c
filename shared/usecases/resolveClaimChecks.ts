import {
  CLAIMS_ROOT,
  claimCheckCapOf,
  claimCheckKeyOf,
  claimCheckPrefix,
} from '../domain/claimCheckLocation.js';
import { errorMessage, InvalidInputError, isRetryable, NotFoundError } from '../domain/errors.js';
import { mapWithConcurrency } from '../domain/mapWithConcurrency.js';
import { type ClaimCheckResolution, claimCheckUriOf } from '../domain/validateRequest.js';
import type { RuntimeDeps } from './RuntimeDeps.js';

/** A message that may send its body by claim check, and the producer SQS says sent it. */
interface ClaimCheckedMessage {
  readonly messageId: string;
  readonly body: string;
  /** The producer key: its claim checks are read only under `claims/<producer>/`. */
  readonly producer: string;
}

/** A claim check to read: its URI, whose claim-check prefix it must be under, and its cap. */
interface ClaimToRead {
  readonly uri: string;
  readonly producer: string;
  readonly maxBytes: number;
}

/** Reads in flight at once (the reader also bounds the bytes held at once). */
const CONCURRENCY = 16;

/** The `provider` field of a raw message, for its claim check's cap; undefined if unreadable. */
const providerFieldOf = (raw: string): unknown => {
  try {
    return (JSON.parse(raw) as { provider?: unknown } | null)?.provider;
  } catch {
    return undefined;
  }
};

/**
 * Reads the claim checks of one collector invocation. Each producer reads only from its own
 * prefix of batchlane's bucket, `claims/<producer>/` (`claims/` for the default producer ''),
 * so a producer cannot have another producer's body submitted as its request.
 */
const createClaimCheckResolver = (
  deps: Pick<RuntimeDeps, 'claimChecks' | 'logger' | 'settings'>,
) => {
  const { claimChecks, logger, settings } = deps;

  /**
   * Reads one claim check. An object outside the producer's prefix (another producer's, or
   * anywhere else) gets the very answer a missing one does, word for word: nothing is read and
   * nothing is told about other objects. A missing one, or one that is not JSON or over its
   * provider's cap, is a final answer about the message (it is refused); any other failure is
   * thrown, so the message goes back to SQS and is read again later.
   */
  const readClaimCheck = async (claim: ClaimToRead): Promise<ClaimCheckResolution> => {
    const missing: ClaimCheckResolution = {
      ok: false,
      code: 'claim_check_missing',
      message: `body_s3_uri names no claim-check object this producer may use: put the body under s3://${settings.claimCheckBucket}/${claimCheckPrefix(claim.producer) ?? CLAIMS_ROOT} and send that URI`,
    };
    const key = claimCheckKeyOf(claim.uri, settings.claimCheckBucket, claim.producer);
    if (key === null) return missing;
    try {
      return { ok: true, body: await claimChecks.read(key, { maxBytes: claim.maxBytes }) };
    } catch (error) {
      if (error instanceof NotFoundError) return missing;
      if (error instanceof InvalidInputError) {
        return {
          ok: false,
          code:
            error.code === 'claim_check_too_large' ? 'request_too_large' : 'claim_check_invalid',
          message: `body_s3_uri cannot be used: ${errorMessage(error)}`,
        };
      }
      throw error;
    }
  };

  /**
   * Resolves the claim checks of `messages`, each distinct producer, URI and cap once and at
   * most CONCURRENCY at a time. Messages without a claim check are left out of the returned
   * map; those whose claim check could not be read for now are added to `failed` and left out
   * too.
   */
  return async (
    messages: readonly ClaimCheckedMessage[],
    failed: Set<string>,
  ): Promise<Map<string, ClaimCheckResolution>> => {
    const claimOf = new Map<string, ClaimToRead>();
    const distinct = new Map<string, ClaimToRead>();
    for (const message of messages) {
      const uri = claimCheckUriOf(message.body);
      if (uri === null) continue;
      const { producer } = message;
      const maxBytes = claimCheckCapOf(providerFieldOf(message.body), settings);
      const id = JSON.stringify([maxBytes, producer, uri]);
      let claim = distinct.get(id);
      if (claim === undefined) {
        claim = { uri, producer, maxBytes };
        distinct.set(id, claim);
      }
      claimOf.set(message.messageId, claim);
    }
    const claims = [...distinct.values()];
    const reads = await mapWithConcurrency(claims, CONCURRENCY, readClaimCheck);
    const byClaim = new Map<ClaimToRead, PromiseSettledResult<ClaimCheckResolution>>();
    reads.forEach((read, index) => {
      const claim = claims[index];
      if (claim !== undefined) byClaim.set(claim, read);
    });
    const resolved = new Map<string, ClaimCheckResolution>();
    for (const [messageId, claim] of claimOf) {
      const read = byClaim.get(claim);
      if (read?.status === 'fulfilled') {
        resolved.set(messageId, read.value);
        continue;
      }
      failed.add(messageId);
      logger.warn('claim check not read; will retry', {
        messageId,
        retryable: isRetryable(read?.reason),
        error: errorMessage(read?.reason),
      });
    }
    return resolved;
  };
};

export { type ClaimCheckedMessage, createClaimCheckResolver };
