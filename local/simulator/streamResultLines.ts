import type { ServerResponse } from 'node:http';
import { sleep, writeChunk } from './httpIo.js';
import type { BatchFaults } from './SimulatorFaults.js';

const CHUNK_LINES = 64;

/**
 * Streams JSONL to the client line by line (never building the whole body), applying the
 * download faults: a pause before the first byte and after every 64 lines, and cutting the
 * first `truncateResults.times` downloads mid-line and dropping the connection.
 * Every line gets a trailing `\n` and no blank lines are written, because the Anthropic SDK's
 * JSONL decoder throws on an empty line.
 */
const streamResultLines = async (
  res: ServerResponse,
  lines: Iterable<string>,
  faults: BatchFaults,
  downloadNumber: number,
  headers: Record<string, string>,
): Promise<void> => {
  const delay = faults.resultsDelayMs ?? 0;
  const truncate = faults.truncateResults;
  const cutAfter =
    truncate !== undefined && downloadNumber <= (truncate.times ?? 1) ? truncate.afterLines : null;
  res.writeHead(200, { 'content-type': 'application/x-jsonl', ...headers });
  if (delay > 0) await sleep(delay);
  let count = 0;
  let buffer = '';
  for (const line of lines) {
    if (cutAfter !== null && count === cutAfter) {
      await cutOff(res, buffer + line.slice(0, Math.ceil(line.length / 2)));
      return;
    }
    buffer += `${line}\n`;
    count += 1;
    if (count % CHUNK_LINES === 0 || buffer.length > 65_536) {
      await writeChunk(res, buffer);
      buffer = '';
      if (delay > 0 && count % CHUNK_LINES === 0) await sleep(delay);
    }
  }
  if (cutAfter !== null) {
    // Fewer lines than the cut point: still drop the connection before the end.
    await cutOff(res, buffer.slice(0, Math.ceil(buffer.length / 2)));
    return;
  }
  res.end(buffer);
};

/**
 * Sends the status line, headers and `partial`, then drops the connection. The bytes must be
 * on the wire first: a socket destroyed with data still buffered looks like a connection
 * failure before the response, which the SDKs silently retry.
 */
const cutOff = async (res: ServerResponse, partial: string): Promise<void> => {
  res.flushHeaders();
  await new Promise<void>((resolve) => {
    res.write(partial, () => resolve());
  });
  await sleep(20);
  res.socket?.destroy();
};

export { streamResultLines };
