import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * The lines of a JSONL stream, read a chunk at a time only as lines are asked for, so what is
 * held is one chunk and the line being cut, whatever the size of the file. Lines end as
 * `readline` (with `crlfDelay: Infinity`) ends them: at LF, CR or CRLF, and a last line
 * without a break still counts. Blank lines are yielded too, so callers number lines as an
 * editor would. The source (often an S3 socket) is destroyed however the iteration ends.
 */
async function* jsonlLines(input: Readable): AsyncGenerator<string, void, undefined> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  // A CR that ended the previous chunk: an LF starting this one belongs to it.
  let pendingCr = false;
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      if (text.length === 0) continue;
      let pos = pendingCr && text.charCodeAt(0) === 10 ? 1 : 0;
      pendingCr = false;
      let cr = text.indexOf('\r', pos);
      for (;;) {
        if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos);
        const lf = text.indexOf('\n', pos);
        const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
        if (end === -1) break;
        const line = partial + text.slice(pos, end);
        partial = '';
        pos = end + 1;
        if (end === cr) {
          if (pos === text.length) pendingCr = true;
          else if (text.charCodeAt(pos) === 10) pos += 1;
        }
        yield line;
      }
      partial += text.slice(pos);
    }
    partial += decoder.end();
    if (partial.length > 0) yield partial;
  } finally {
    input.destroy();
  }
}

export { jsonlLines };
