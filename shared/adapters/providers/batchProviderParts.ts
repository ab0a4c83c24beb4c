import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ProviderName } from '../../contract/providers.js';
import { InvalidInputError, NotFoundError, PROVIDER_RESULTS_GONE } from '../../domain/errors.js';
import { isJsonObject } from '../../domain/isJsonObject.js';
import { splitLines } from '../../domain/splitLines.js';
import type { SubmitBatchInput } from '../../ports/BatchProvider.js';
import { translateProviderError } from './translateProviderError.js';

/**
 * How a batch adapter gets its SDK client: built from a key, an optional base URL (what the
 * SDK's base URL option takes; null or absent: the provider's own), retries of one call
 * (default 2) and a timeout; or handed over ready (tests, shared clients), never both.
 */
type BatchClientChoice<Client> =
  | {
      readonly apiKey: string;
      readonly baseUrl?: string | null;
      readonly maxRetries?: number;
      readonly timeoutMs?: number;
      readonly client?: never;
    }
  | { readonly client: Client; readonly apiKey?: never };

/** The settings a client is built from: the choice without a client. */
type BatchClientSettings = Extract<BatchClientChoice<unknown>, { readonly apiKey: string }>;

/** The handed-over client, or the one `build` makes from the settings. */
const clientOf = <Client>(
  options: BatchClientChoice<NoInfer<Client>>,
  build: (settings: BatchClientSettings) => Client,
): Client => options.client ?? build(options as BatchClientSettings);

/** What the Stainless-generated SDKs (`openai`, `@anthropic-ai/sdk`) are built with. */
const stainlessClientOptions = (
  settings: BatchClientSettings,
): { apiKey: string; baseURL?: string; maxRetries?: number; timeout?: number } => ({
  apiKey: settings.apiKey,
  ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
  ...(settings.maxRetries === undefined ? {} : { maxRetries: settings.maxRetries }),
  ...(settings.timeoutMs === undefined ? {} : { timeout: settings.timeoutMs }),
});

/** Prefix of a `resultRefs` entry naming results kept in the batch itself (its id follows). */
const INLINE_REF_PREFIX = 'inline:';

/** Runs one SDK call, its failure translated into the project's error for `operation`. */
const callProvider = async <T>(
  provider: ProviderName,
  operation: string,
  call: () => Promise<T>,
): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    throw translateProviderError(error, { provider, operation });
  }
};

/** Runs a delete, taking "not there" (by default a NotFoundError) for done. */
const ignoreMissing = async (
  call: () => Promise<unknown>,
  isGone: (error: unknown) => boolean = (error) => error instanceof NotFoundError,
): Promise<void> => {
  try {
    await call();
  } catch (error) {
    if (!isGone(error)) throw error;
  }
};

/** What `call` finds, or null when it is not there (deleted already, by an earlier cleanup). */
const nullIfMissing = async <T>(call: () => Promise<T>): Promise<T | null> => {
  try {
    return await call();
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
};

/**
 * Opens a result file, telling a file that is gone for good from a download that failed for
 * now. When the download is refused as missing (`isMissing`: a 404, by default) and a second
 * look at the file's own record (`stillThere`) finds none either, the provider no longer keeps
 * it (deleted past its retention, or by hand): the error says so with code
 * {@link PROVIDER_RESULTS_GONE}, and completion halts the batch instead of retrying it. A file
 * whose record is still there was missing for a moment only: the download's error stands.
 */
const openKeptResults = async <T>(
  provider: ProviderName,
  ref: string,
  open: () => Promise<T>,
  stillThere: () => Promise<boolean>,
  isMissing: (error: unknown) => boolean = (error) => error instanceof NotFoundError,
): Promise<T> => {
  try {
    return await open();
  } catch (error) {
    if (!isMissing(error) || (await stillThere())) throw error;
    throw new NotFoundError(
      `${provider} result file ${ref} is gone: past the provider's retention, or deleted`,
      { code: PROVIDER_RESULTS_GONE, cause: error, details: { provider, ref } },
    );
  }
};

/** The ids of the files a batch names, its unset ones left out. */
const presentIds = (ids: readonly (string | null | undefined)[]): string[] =>
  ids.filter((id): id is string => typeof id === 'string' && id !== '');

const unsupportedBatchEndpoint = (provider: ProviderName, endpoint: string): InvalidInputError =>
  new InvalidInputError(`${provider} batches cannot target ${endpoint}`, {
    code: 'unsupported_endpoint',
    details: { provider, endpoint },
  });

const inputTooLarge = (provider: ProviderName, maxBytes: number): InvalidInputError =>
  new InvalidInputError(`Batch input exceeds ${provider}'s ${maxBytes} bytes`, {
    code: 'input_too_large',
    details: { provider, maxBytes },
  });

/** batchlane's stored line `{"custom_id","body"}` of a provider whose batch names one model. */
interface BodyLine {
  readonly customId: string;
  readonly model: string;
  readonly body: Record<string, unknown>;
  /** The line as stored. */
  readonly text: string;
}

const malformedLine = (provider: ProviderName, reason: string): InvalidInputError =>
  new InvalidInputError(`${provider} batch input line ${reason}`, {
    code: 'malformed_input_line',
    details: { provider },
  });

const readBodyLine = (text: string, provider: ProviderName): BodyLine => {
  const value: unknown = JSON.parse(text);
  if (!isJsonObject(value) || typeof value.custom_id !== 'string' || !isJsonObject(value.body)) {
    throw malformedLine(provider, 'is not {"custom_id","body"}');
  }
  const model = value.body['model'];
  if (typeof model !== 'string' || model === '') throw malformedLine(provider, 'names no model');
  return { customId: value.custom_id, model, body: value.body, text };
};

/**
 * The stored lines of a batch whose create call names one model, read one at a time from
 * the input, which is closed however the reading ends. `canonicalModel` says which model
 * names are one; a batch of two models, or of no line, fails.
 */
async function* readBodyLines(
  input: SubmitBatchInput,
  provider: ProviderName,
  canonicalModel: (model: string) => string = (model) => model,
): AsyncGenerator<BodyLine, void, undefined> {
  let model: string | null = null;
  const source = await input.openInput();
  try {
    for await (const text of splitLines(source)) {
      const line = readBodyLine(text, provider);
      const lineModel = canonicalModel(line.model);
      if (model !== null && model !== lineModel) {
        throw new InvalidInputError(
          `${provider} batch mixes models ${model} and ${lineModel}; a batch holds one`,
          { code: 'mixed_models', details: { provider } },
        );
      }
      model = lineModel;
      yield { ...line, model: lineModel };
    }
  } finally {
    source.destroy();
  }
  if (model === null) {
    throw new InvalidInputError(`${provider} batch input has no requests`, {
      code: 'empty_input',
      details: { provider },
    });
  }
}

/**
 * Writes the provider's input file to `dir`, one `toLine` per stored line, streaming (the
 * batch is never in memory); its path and the batch's one model.
 */
const stageInputFile = async (
  lines: AsyncIterable<BodyLine>,
  dir: string,
  toLine: (line: BodyLine) => string,
): Promise<{ path: string; model: string }> => {
  const path = join(dir, 'input.jsonl');
  const out = createWriteStream(path);
  let model = '';
  try {
    for await (const line of lines) {
      model = line.model;
      if (!out.write(`${toLine(line)}\n`)) {
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
    }
  } finally {
    out.end();
    await finished(out);
  }
  return { path, model };
};

/** Runs `work` with a fresh directory under `tmpDir`, removed however `work` ends. */
const withTempDir = async <T>(
  tmpDir: string,
  prefix: string,
  work: (dir: string) => Promise<T>,
): Promise<T> => {
  const dir = await mkdtemp(join(tmpDir, prefix));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

/**
 * Results a batch holds itself (inline), as the JSONL its results file would hold: one line
 * per item `toLine` makes one of.
 */
const inlineResults = <Item>(
  items: readonly Item[],
  toLine: (item: Item) => string | null,
): Readable =>
  Readable.from(
    (function* lines() {
      for (const item of items) {
        const line = toLine(item);
        if (line !== null) yield `${line}\n`;
      }
    })(),
  );

export {
  type BatchClientChoice,
  type BatchClientSettings,
  type BodyLine,
  callProvider,
  clientOf,
  INLINE_REF_PREFIX,
  ignoreMissing,
  inlineResults,
  inputTooLarge,
  nullIfMissing,
  openKeptResults,
  presentIds,
  readBodyLines,
  stageInputFile,
  stainlessClientOptions,
  unsupportedBatchEndpoint,
  withTempDir,
};
