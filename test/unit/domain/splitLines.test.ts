import { describe, expect, it } from 'vitest';
import { readLinesAt, splitLines } from '../../../shared/domain/splitLines.js';

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

describe('Function: readLinesAt()', () => {
  it('reports the byte offset after each line, counting multi-byte characters as bytes', async () => {
    const text = Buffer.from('{"a":"é"}\n\n{"b":2}\r\n{"c":3}');
    const chunks = [text.subarray(0, 7), text.subarray(7, 13), text.subarray(13)];
    const seen: { text: string; nextOffset: number }[] = [];
    for await (const line of readLinesAt(
      (async function* () {
        yield* chunks;
      })(),
      100,
    ))
      seen.push(line);
    expect(seen).toEqual([
      { text: '{"a":"é"}', nextOffset: 100 + 11 },
      { text: '{"b":2}', nextOffset: 100 + 21 },
      { text: '{"c":3}', nextOffset: 100 + 28 },
    ]);
    // Resuming at a reported offset yields exactly the remaining lines.
    const rest: string[] = [];
    for await (const line of readLinesAt(
      (async function* () {
        yield text.subarray(11);
      })(),
      111,
    ))
      rest.push(line.text);
    expect(rest).toEqual(['{"b":2}', '{"c":3}']);
  });
});
