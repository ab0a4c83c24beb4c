import { describe, expect, it } from 'vitest';
import { createProgress, createProgressLog, formatProgress } from '../../../cli/progress.js';

const recorder = (isTTY: boolean) => {
  const chunks: string[] = [];
  return { stream: { isTTY, write: (chunk: string) => chunks.push(chunk) }, chunks };
};

describe('Function: createProgress()', () => {
  it('writes nothing when the stream is not a terminal (a pipe or a file)', () => {
    const { stream, chunks } = recorder(false);
    const progress = createProgress({ label: 'sending', stream });
    progress.update(5, 10);
    progress.update(10, 10);
    progress.finish();
    expect(chunks).toEqual([]);
  });

  it('redraws one line in place on a terminal, at most once per interval, always the last step', () => {
    const { stream, chunks } = recorder(true);
    let now = 0;
    const progress = createProgress({ label: 'sending', stream, intervalMs: 100, now: () => now });
    progress.update(1, 3000);
    now = 50;
    progress.update(2, 3000); // within the interval: skipped
    now = 150;
    progress.update(1200, 3000);
    now = 160;
    progress.update(3000, 3000); // the last step is drawn even within the interval
    progress.finish();
    expect(chunks).toEqual([
      '\r\u001b[2Ksending: 1 of 3,000 (0%)',
      '\r\u001b[2Ksending: 1,200 of 3,000 (40%)',
      '\r\u001b[2Ksending: 3,000 of 3,000 (100%)',
      '\r\u001b[2K',
    ]);
  });

  it('counts without a total when the total is not known', () => {
    expect(formatProgress('replaying parked objects', 12, undefined)).toBe(
      'replaying parked objects: 12',
    );
    expect(formatProgress('x', 0, 0)).toBe('x: 0 of 0 (100%)');
  });
});

describe('Function: createProgressLog()', () => {
  it('writes timed lines on a terminal and nothing in a pipe', () => {
    const tty = recorder(true);
    let now = 1_000;
    const log = createProgressLog(tty.stream, () => now);
    now = 13_300;
    log('phase collector');
    expect(tty.chunks).toEqual(['[   12.3 s] phase collector\n']);

    const pipe = recorder(false);
    createProgressLog(pipe.stream)('phase collector');
    expect(pipe.chunks).toEqual([]);
  });
});
