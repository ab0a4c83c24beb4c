/** A line of a byte stream and the byte offset just past its newline. */
interface LineAt {
  readonly text: string;
  /** Offset (from the stream's origin) where the next line starts: a resume point. */
  readonly nextOffset: number;
}

/**
 * Like {@link splitLines}, also telling where each line ends, so a reader can record how far
 * it got and resume there (e.g. with an HTTP Range request from `startOffset`).
 */
async function* readLinesAt(
  source: AsyncIterable<Uint8Array | string>,
  startOffset = 0,
): AsyncGenerator<LineAt> {
  let carry: Buffer = Buffer.alloc(0);
  let carryOffset = startOffset;
  for await (const chunk of source) {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buffer = carry.length === 0 ? bytes : Buffer.concat([carry, bytes]);
    let start = 0;
    let newline = buffer.indexOf(10, start);
    while (newline !== -1) {
      const end = newline > start && buffer[newline - 1] === 13 ? newline - 1 : newline;
      if (end > start) {
        yield { text: buffer.toString('utf8', start, end), nextOffset: carryOffset + newline + 1 };
      }
      start = newline + 1;
      newline = buffer.indexOf(10, start);
    }
    carryOffset += start;
    carry = Buffer.from(buffer.subarray(start));
  }
  const tail = carry.toString('utf8').replace(/\r$/, '');
  if (tail.length > 0) yield { text: tail, nextOffset: carryOffset + carry.length };
}

/**
 * Splits a byte stream into lines (without the newline), decoding each line on its own.
 * Splitting Buffers and decoding per line is faster and leaner than readline when the text
 * has non-ASCII characters, and memory stays at one chunk plus one line.
 * Blank lines (and a trailing `\r`) are dropped.
 */
async function* splitLines(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  for await (const line of readLinesAt(source)) yield line.text;
}

export { type LineAt, readLinesAt, splitLines };
