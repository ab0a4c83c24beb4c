import type { Readable } from 'node:stream';
import type { ProviderEndpoint, ProviderName } from '../contract/providers.js';

/**
 * A provider batch as batchlane needs to see it, whatever the provider.
 * `phase`: `running` (validating, in progress, finalizing, cancelling) or `ended`
 * (results, if any, can be downloaded: ended, completed, expired, cancelled, failed).
 */
interface ProviderBatchSnapshot {
  readonly providerBatchId: string;
  readonly phase: 'running' | 'ended';
  /** The provider's own status word (`in_progress`, `finalizing`, `ended`, `failed`, ...). */
  readonly providerStatus: string;
  readonly expiresAt: string | null;
  readonly endedAt: string | null;
  /** Set when the provider refused the batch as a whole (e.g. OpenAI validation `failed`). */
  readonly failure: { readonly code: string; readonly message: string } | null;
  /** Opaque references to the result files, in the order to read them. */
  readonly resultRefs: readonly string[];
}

interface SubmitBatchInput {
  /** batchlane's batch id, recorded with the provider where it allows (metadata). */
  readonly batchId: string;
  readonly endpoint: ProviderEndpoint;
  /** The provider-format JSONL input, one request per line, as written by the collector. */
  readonly openInput: () => Promise<Readable>;
  readonly requestCount: number;
  readonly inputBytes: number;
}

/** One provider's batch API, through its official SDK. Errors are batchlane errors. */
interface BatchProvider {
  readonly name: ProviderName;
  submit(input: SubmitBatchInput): Promise<ProviderBatchSnapshot>;
  retrieve(providerBatchId: string): Promise<ProviderBatchSnapshot>;
  cancel(providerBatchId: string): Promise<ProviderBatchSnapshot>;
  /** The raw JSONL bytes of one result file named in `resultRefs`. */
  openResults(ref: string): Promise<Readable>;
  /**
   * Finds a batch already submitted for this batchlane batch id (providers that keep batch
   * metadata), so a submission retried after a crash does not create a second one.
   */
  findByBatchId?(batchId: string): Promise<ProviderBatchSnapshot | null>;
}

export type { BatchProvider, ProviderBatchSnapshot, SubmitBatchInput };
