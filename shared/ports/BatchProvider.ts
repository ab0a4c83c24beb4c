import type { Readable } from 'node:stream';
import type { ProviderEndpoint, ProviderName } from '../contract/providers.js';

/**
 * A provider batch as batchlane needs to see it, whatever the provider.
 * `phase`: `running` (validating, in progress, finalizing, cancelling) or `ended`
 * (results, if any, can be downloaded: ended, completed, expired, cancelled, failed).
 */
interface ProviderBatchSnapshot {
  readonly providerBatchId: string;
  /**
   * batchlane's batch id as recorded with the provider (OpenAI metadata, Gemini display
   * name), where the provider keeps one: how a pushed event about a provider batch is traced
   * back to batchlane's batch. Absent where the provider keeps none.
   */
  readonly batchId?: string | null;
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
  /** The models the batch's requests name (one, where the provider runs one per batch). */
  readonly models?: readonly string[];
  /**
   * When the batch's most urgent member must be answered by (ISO), or null: providers that
   * take a time limit per batch (Bedrock's `timeoutDurationInHours`) choose it from this.
   */
  readonly answerBy?: string | null;
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
   * Deletes what the provider still keeps of an ended batch (input and result files, the
   * batch itself where allowed), once batchlane has archived the results. Best effort.
   */
  deleteArtifacts?(providerBatchId: string): Promise<void>;
  /**
   * Finds a batch already submitted for this batchlane batch id, so a submission retried
   * after a crash (between the provider's create and batchlane's record of it) adopts it
   * instead of creating a second one. Providers that keep batch metadata match on the id;
   * others may match on the hint, and return null unless exactly one batch fits.
   */
  findByBatchId?(batchId: string, hint: FindBatchHint): Promise<ProviderBatchSnapshot | null>;
}

/** What batchlane knows about a submission it may have lost track of. */
interface FindBatchHint {
  /** No earlier than when the submission started (already widened for clock skew). */
  readonly submittedAfter: Date;
  /** Requests in the batch's input file. */
  readonly requestCount: number;
}

export type { BatchProvider, FindBatchHint, ProviderBatchSnapshot, SubmitBatchInput };
