/**
 * Reads the body of a request sent by claim check: a JSON document stored under the
 * claim-check prefix of batchlane's own bucket (the caller has already checked that the key
 * is there). Errors are batchlane errors, and they decide the message's fate:
 * - `NotFoundError`: no such object, or none the reader may read (the message is refused;
 *   the two are not told apart, so a refusal says nothing about other objects);
 * - `InvalidInputError`: the object is not JSON, or larger than `maxBytes` (`code`
 *   `claim_check_too_large`) (the message is refused);
 * - anything else (`UnavailableError`, `ThrottledError`): the message is handed back to the
 *   queue and tried again.
 */
interface ClaimCheckReader {
  /** The parsed JSON document at `key`, read only if it is at most `maxBytes` long. */
  read(key: string, options: { readonly maxBytes: number }): Promise<unknown>;
}

export type { ClaimCheckReader };
