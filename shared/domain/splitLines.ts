/**
 * Splits a byte stream into lines (without the newline), decoding each line on its own.
 * Splitting Buffers and decoding per line is faster and leaner than readline when the text
 * has non-ASCII characters, and memory stays at one chunk plus one line.
 * Blank lines (and a trailing `\r`) are dropped.
 */
async function* splitLines(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let buffer = carry.length === 0 ? bytes : Buffer.concat([carry, bytes]);
    let start = 0;
    let newline = buffer.indexOf(10, start);
    while (newline !== -1) {
      const end = newline > start && buffer[newline - 1] === 13 ? newline - 1 : newline;
      if (end > start) yield buffer.toString('utf8', start, end);
      start = newline + 1;
      newline = buffer.indexOf(10, start);
    }
    // Copy the remainder so the (possibly large) chunk it came from can be collected.
    carry = Buffer.from(buffer.subarray(start));
    buffer = Buffer.alloc(0);
  }
  const tail = carry.toString('utf8').replace(/\r$/, '');
  if (tail.length > 0) yield tail;
}

export { splitLines };
