/**
 * Reads the body of a request sent by claim check: a JSON document stored in an object
 * store and named by an `s3://bucket/key` URI, for bodies larger than a queue message.
 * Errors are batchlane errors, and they decide the message's fate:
 * - `NotFoundError`: the object or its bucket does not exist (the message is refused);
 * - `InvalidInputError`: the object is not JSON, or larger than the reader's cap (`code`
 *   `claim_check_too_large`), or the URI is not one it can read (the message is refused);
 * - anything else (`UnavailableError`, `ThrottledError`, `AuthError`): the message is
 *   handed back to the queue and tried again.
 */
interface ClaimCheckReader {
  /** The parsed JSON document at `uri`. */
  read(uri: string): Promise<unknown>;
}

export type { ClaimCheckReader };
