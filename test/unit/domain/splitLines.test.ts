import { describe, expect, it } from 'vitest';
import { splitLines } from '../../../shared/domain/splitLines.js';

const collect = async (chunks: (string | Uint8Array)[]): Promise<string[]> => {
  const lines: string[] = [];
  for await (const line of splitLines(
    (async function* () {
      yield* chunks;
    })(),
  ))
    lines.push(line);
  return lines;
};

describe('Function: splitLines()', () => {
  it('joins lines split across chunks, including inside a multi-byte character', async () => {
    const text = Buffer.from('{"a":"naïve – “quoted”"}\n{"b":2}\n');
    const cut = text.indexOf(Buffer.from('–')) + 1; // inside the 3-byte dash
    expect(await collect([text.subarray(0, cut), text.subarray(cut)])).toEqual([
      '{"a":"naïve – “quoted”"}',
      '{"b":2}',
    ]);
  });

  it('drops blank lines and CR, and keeps a last line without a newline', async () => {
    expect(await collect(['a\r\n\n', 'b\nc'])).toEqual(['a', 'b', 'c']);
  });

  it('yields nothing for an empty stream', async () => {
    expect(await collect([])).toEqual([]);
  });
});
