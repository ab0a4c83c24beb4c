import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchFaults } from './SimulatorFaults.js';

/** What every stored batch's timeline is derived from (times in epoch ms). */
interface BatchTimes {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: number;
  readonly processingMs: number;
  readonly expiresAt: number;
  cancelAt: number | null;
}

/** One Anthropic Message Batch as stored; its state at any time is derived from these. */
interface AnthropicBatchRecord extends BatchTimes {
  deleted: boolean;
  readonly apiVersion: string;
  readonly faults: BatchFaults;
  readonly requests: readonly { readonly custom_id: string; readonly params: unknown }[];
  /** Results downloads served so far (for truncation faults). */
  downloads: number;
}

interface OpenAIBatchError {
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
  readonly line: number | null;
}

interface OpenAIBatchRecord extends BatchTimes {
  /** The OpenAI-compatible provider it was created at (see openaiDialects.ts); absent: OpenAI. */
  readonly dialect?: string;
  readonly endpoint: string;
  readonly inputFileId: string;
  readonly completionWindow: string;
  readonly metadata: Record<string, string> | null;
  readonly faults: BatchFaults;
  readonly model: string | null;
  readonly requests: readonly {
    readonly custom_id: string;
    readonly body: Record<string, unknown>;
  }[];
  readonly validationErrors: readonly OpenAIBatchError[];
  /** Set once the batch reaches a terminal state and its output files exist. */
  outputFileId: string | null;
  errorFileId: string | null;
  finalized: boolean;
}

/** One Gemini batch (a long-running operation `batches/{id}`) as stored. */
interface GeminiBatchRecord extends BatchTimes {
  deleted: boolean;
  /** `models/…` */
  readonly model: string;
  readonly displayName: string;
  /** Where the requests came from: inline in the create call, or a Files API file. */
  readonly source:
    | { readonly kind: 'inline' }
    | { readonly kind: 'file'; readonly fileName: string };
  readonly faults: BatchFaults;
  readonly requests: readonly {
    /** The key to match the result by: `metadata.key` (inline) or `key` (file line). */
    readonly key: string | null;
    readonly request: Record<string, unknown>;
    readonly metadata: unknown;
    /** Why the request fails, found when the batch was created. */
    readonly problem: {
      readonly code: number;
      readonly status: string;
      readonly message: string;
    } | null;
  }[];
  /** Set when the input file could not be read at all: the batch ends `FAILED`. */
  readonly failure: string | null;
  /** Responses-file downloads served so far (for truncation faults). */
  downloads: number;
}

/** A Gemini Files API file: uploaded, or a batch's generated responses file. */
interface GeminiFileRecord {
  /** The id in `files/{id}`. */
  readonly id: string;
  readonly seq: number;
  readonly createdAt: number;
  readonly displayName: string;
  readonly mimeType: string;
  readonly sizeBytes: number;
  deleted: boolean;
  readonly source:
    | { readonly kind: 'upload' }
    | { readonly kind: 'batch'; readonly batchId: string };
}

type FileSource =
  | { readonly kind: 'upload' }
  | { readonly kind: 'batch'; readonly batchId: string; readonly which: 'output' | 'error' };

interface FileRecord {
  /** The OpenAI-compatible provider it was uploaded to; absent: OpenAI (or Gemini's own). */
  readonly dialect?: string;
  readonly id: string;
  readonly seq: number;
  readonly createdAt: number;
  readonly filename: string;
  readonly purpose: string;
  readonly bytes: number;
  readonly expiresAt: number | null;
  deleted: boolean;
  readonly source: FileSource;
  /** Downloads served so far (for truncation faults on batch output files). */
  downloads: number;
}

/**
 * In-memory state, optionally mirrored to a directory as one JSON file per record (and the
 * raw bytes of uploads) so a restarted simulator still knows its batches and files.
 */
class SimulatorStore {
  readonly anthropicBatches = new Map<string, AnthropicBatchRecord>();
  readonly openaiBatches = new Map<string, OpenAIBatchRecord>();
  readonly files = new Map<string, FileRecord>();
  readonly geminiBatches = new Map<string, GeminiBatchRecord>();
  readonly geminiFiles = new Map<string, GeminiFileRecord>();
  private readonly uploads = new Map<string, Buffer>();
  private seqCounter = 0;
  /** Latest simulated time seen, persisted so time does not run backwards on restart. */
  lastSimNow = 0;

  constructor(private readonly dir: string | undefined) {
    if (dir !== undefined) this.load(dir);
  }

  nextSeq(): number {
    this.seqCounter += 1;
    this.saveMeta();
    return this.seqCounter;
  }

  saveAnthropic(record: AnthropicBatchRecord): void {
    this.anthropicBatches.set(record.id, record);
    this.write('anthropic-batches', `${record.id}.json`, JSON.stringify(record));
  }

  saveOpenAI(record: OpenAIBatchRecord): void {
    this.openaiBatches.set(record.id, record);
    this.write('openai-batches', `${record.id}.json`, JSON.stringify(record));
  }

  saveGemini(record: GeminiBatchRecord): void {
    this.geminiBatches.set(record.id, record);
    this.write('gemini-batches', `${record.id}.json`, JSON.stringify(record));
  }

  saveGeminiFile(record: GeminiFileRecord, content?: Buffer): void {
    this.geminiFiles.set(record.id, record);
    if (content !== undefined) {
      this.uploads.set(`gemini:${record.id}`, content);
      this.write('gemini-files', `${record.id}.bin`, content);
    }
    this.write('gemini-files', `${record.id}.json`, JSON.stringify(record));
  }

  geminiUploadContent(id: string): Buffer | undefined {
    return this.uploads.get(`gemini:${id}`);
  }

  saveFile(record: FileRecord, content?: Buffer): void {
    this.files.set(record.id, record);
    if (content !== undefined) {
      this.uploads.set(record.id, content);
      this.write('files', `${record.id}.bin`, content);
    }
    this.write('files', `${record.id}.json`, JSON.stringify(record));
  }

  uploadContent(id: string): Buffer | undefined {
    return this.uploads.get(id);
  }

  noteTime(simNow: number): void {
    this.lastSimNow = Math.max(this.lastSimNow, simNow);
  }

  /** Flushes the clock so a restart resumes simulated time where it stopped. */
  saveMeta(): void {
    this.write('', 'meta.json', JSON.stringify({ seq: this.seqCounter, simNow: this.lastSimNow }));
  }

  private write(sub: string, name: string, data: string | Buffer): void {
    if (this.dir === undefined) return;
    const folder = join(this.dir, sub);
    mkdirSync(folder, { recursive: true });
    // Write-then-rename so a crash never leaves a half-written record behind.
    const tmp = join(folder, `.${name}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(folder, name));
  }

  private load(dir: string): void {
    mkdirSync(dir, { recursive: true });
    try {
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as {
        seq: number;
        simNow: number;
      };
      this.seqCounter = meta.seq;
      this.lastSimNow = meta.simNow;
    } catch {
      // A fresh directory: nothing to restore.
    }
    for (const record of readRecords<AnthropicBatchRecord>(join(dir, 'anthropic-batches'))) {
      this.anthropicBatches.set(record.id, record);
    }
    for (const record of readRecords<OpenAIBatchRecord>(join(dir, 'openai-batches'))) {
      this.openaiBatches.set(record.id, record);
    }
    for (const record of readRecords<FileRecord>(join(dir, 'files'))) {
      this.files.set(record.id, record);
      if (record.source.kind === 'upload') {
        this.uploads.set(record.id, readFileSync(join(dir, 'files', `${record.id}.bin`)));
      }
      this.seqCounter = Math.max(this.seqCounter, record.seq);
    }
    for (const record of readRecords<GeminiBatchRecord>(join(dir, 'gemini-batches'))) {
      this.geminiBatches.set(record.id, record);
      this.seqCounter = Math.max(this.seqCounter, record.seq);
    }
    for (const record of readRecords<GeminiFileRecord>(join(dir, 'gemini-files'))) {
      this.geminiFiles.set(record.id, record);
      if (record.source.kind === 'upload') {
        this.uploads.set(
          `gemini:${record.id}`,
          readFileSync(join(dir, 'gemini-files', `${record.id}.bin`)),
        );
      }
      this.seqCounter = Math.max(this.seqCounter, record.seq);
    }
    for (const record of [...this.anthropicBatches.values(), ...this.openaiBatches.values()]) {
      this.seqCounter = Math.max(this.seqCounter, record.seq);
    }
  }
}

const readRecords = <T>(folder: string): T[] => {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    .map((name) => JSON.parse(readFileSync(join(folder, name), 'utf8')) as T);
};

export {
  type AnthropicBatchRecord,
  type BatchTimes,
  type FileRecord,
  type FileSource,
  type GeminiBatchRecord,
  type GeminiFileRecord,
  type OpenAIBatchError,
  type OpenAIBatchRecord,
  SimulatorStore,
};
