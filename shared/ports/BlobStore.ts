import type { Readable } from 'node:stream';

type BlobBody = string | Uint8Array | Readable | AsyncIterable<Uint8Array>;

interface PutBlobOptions {
  readonly contentType?: string;
}

/**
 * batchlane's own object storage (batch input files, archived results).
 * Streams go up in parts, so memory does not grow with the object's size.
 */
interface BlobStore {
  /** Writes an object; returns its size in bytes. */
  put(key: string, body: BlobBody, options?: PutBlobOptions): Promise<{ bytes: number }>;
  /**
   * Reads an object as a stream, optionally from a byte offset (from its end: nothing).
   * Throws `NotFoundError` when there is no such object.
   */
  getStream(key: string, options?: { start?: number }): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix, in key order, a page at a time under the hood. */
  list(prefix: string): AsyncIterable<string>;
  /** Deletes an object; deleting one that is not there is no error. */
  delete(key: string): Promise<void>;
  /** `s3://bucket/key` (or the local equivalent), for logs and events. */
  uri(key: string): string;
}

export type { BlobBody, BlobStore, PutBlobOptions };
