import { METRIC } from '../../contract/metrics.js';
import { errorMessage } from '../../domain/errors.js';
import { type ParsedResultLine, parseResultLine } from '../../domain/parseResultLine.js';
import type { BatchRecord, DeliveryCheckpoint } from '../../domain/records.js';
import { readLinesAt } from '../../domain/splitLines.js';
import type { RuntimeDeps } from '../RuntimeDeps.js';

type ReadDeps = Pick<RuntimeDeps, 'blobs' | 'logger' | 'metrics'>;

/** A run of parsed result lines, delivered together under one name. */
interface ResultChunk {
  readonly lines: readonly ParsedResultLine[];
  /** What the chunk's deliveries are named after: where it starts. */
  readonly name: string;
}

/** A chunk after the checkpoint: once it is delivered, the checkpoint may move to its end. */
interface CheckpointedChunk extends ResultChunk {
  readonly fileIndex: number;
  /** The byte offset just past the chunk's last line. */
  readonly end: number;
  /** A chunk of `chunkSize` lines; false for the rest of a file (possibly none). */
  readonly full: boolean;
}

/**
 * The result lines before `checkpoint`, each with the offset it starts at: a run that
 * resumes there reads them back, to know which members the results answered (so its sweep
 * of unanswered members does not take them for missing) and to deliver again the results a
 * destination did not take.
 */
async function* linesBefore(
  deps: Pick<ReadDeps, 'blobs'>,
  batch: BatchRecord,
  checkpoint: DeliveryCheckpoint | null,
): AsyncGenerator<{ line: ParsedResultLine; fileIndex: number; offset: number }> {
  if (checkpoint === null) return;
  for (const [fileIndex, key] of batch.resultKeys.entries()) {
    if (fileIndex > checkpoint.fileIndex) break;
    const end = fileIndex === checkpoint.fileIndex ? checkpoint.offset : Number.POSITIVE_INFINITY;
    if (end === 0) continue;
    let offset = 0;
    for await (const text of readLinesAt(await deps.blobs.getStream(key))) {
      try {
        yield { line: parseResultLine(batch.provider, text.text), fileIndex, offset };
      } catch {
        // Malformed: its member is swept as missing, as the run that passed it found.
      }
      offset = text.nextOffset;
      if (offset >= end) break;
    }
  }
}

/**
 * Before the checkpoint: adds the members the results answered to `answered`, and yields the
 * results still owed a delivery in chunks named after where each chunk starts.
 */
async function* owedChunksBefore(
  deps: Pick<ReadDeps, 'blobs'>,
  batch: BatchRecord,
  checkpoint: DeliveryCheckpoint | null,
  owed: ReadonlySet<string>,
  answered: { add(providerCustomId: string): unknown },
  chunkSize: number,
): AsyncGenerator<ResultChunk> {
  let redo: ParsedResultLine[] = [];
  let name = '';
  for await (const { line, fileIndex, offset } of linesBefore(deps, batch, checkpoint)) {
    if (!owed.has(line.providerCustomId)) {
      answered.add(line.providerCustomId);
      continue;
    }
    if (redo.length === 0) name = `redo-${fileIndex}-${offset}`;
    redo.push(line);
    if (redo.length >= chunkSize) {
      yield { lines: redo, name };
      redo = [];
    }
  }
  if (redo.length > 0) yield { lines: redo, name };
}

/**
 * The results from the checkpoint on, streamed file by file in chunks of `chunkSize` parsed
 * lines, each named after its file and start offset: a rerun from the same checkpoint cuts
 * the same chunks under the same names. Each file ends with a chunk of its rest (possibly
 * empty). A malformed line is counted and logged; its member is then found missing.
 */
async function* chunksFrom(
  deps: ReadDeps,
  batch: BatchRecord,
  checkpoint: DeliveryCheckpoint | null,
  chunkSize: number,
): AsyncGenerator<CheckpointedChunk> {
  for (const [fileIndex, key] of batch.resultKeys.entries()) {
    if (checkpoint !== null && fileIndex < checkpoint.fileIndex) continue;
    const offset =
      checkpoint !== null && fileIndex === checkpoint.fileIndex ? checkpoint.offset : 0;
    let chunk: ParsedResultLine[] = [];
    let chunkStart = offset;
    let reached = offset;
    const stream = await deps.blobs.getStream(key, { start: offset });
    for await (const line of readLinesAt(stream, offset)) {
      reached = line.nextOffset;
      try {
        chunk.push(parseResultLine(batch.provider, line.text));
      } catch (error) {
        deps.metrics.count(METRIC.MalformedResultLines, 1);
        deps.logger.error('malformed result line', {
          batchId: batch.batchId,
          key,
          error: errorMessage(error),
        });
      }
      if (chunk.length >= chunkSize) {
        yield {
          lines: chunk,
          name: `${fileIndex}-${chunkStart}`,
          fileIndex,
          end: reached,
          full: true,
        };
        chunk = [];
        chunkStart = reached;
      }
    }
    yield {
      lines: chunk,
      name: `${fileIndex}-${chunkStart}`,
      fileIndex,
      end: reached,
      full: false,
    };
  }
}

export { type CheckpointedChunk, chunksFrom, owedChunksBefore, type ResultChunk };
