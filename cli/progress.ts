/** Where progress goes: a stream that may be a terminal (`process.stderr` by default). */
interface ProgressStream {
  readonly isTTY?: boolean;
  write(chunk: string): unknown;
}

/** A progress line for a long command. */
interface Progress {
  /** Sets how far the work is (`done` of `total`, total unknown when omitted). */
  update(done: number, total?: number): void;
  /** Clears the line; the command then prints what it did. */
  finish(): void;
}

interface ProgressOptions {
  readonly label: string;
  readonly stream?: ProgressStream;
  /** Redraw at most this often (ms), so a fast loop does not flood the terminal. */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

const NO_PROGRESS: Progress = { update: () => undefined, finish: () => undefined };

const percent = (done: number, total: number): string =>
  total === 0 ? '100%' : `${Math.floor((done / total) * 100)}%`;

/** `label: 1,200 of 3,000 (40%)`, or `label: 1,200` when the total is not known. */
const formatProgress = (label: string, done: number, total: number | undefined): string =>
  total === undefined
    ? `${label}: ${done.toLocaleString('en-US')}`
    : `${label}: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} (${percent(done, total)})`;

/**
 * A progress line redrawn in place on a terminal, and nothing at all when the stream is not
 * one (a pipe or a file), so scripts read only what the command prints at its end.
 */
const createProgress = (options: ProgressOptions): Progress => {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY !== true) return NO_PROGRESS;
  const intervalMs = options.intervalMs ?? 100;
  const now = options.now ?? Date.now;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update: (done, total) => {
      const at = now();
      // The last step is always drawn, so the line ends on the true count.
      if (at - lastDraw < intervalMs && done !== total) return;
      lastDraw = at;
      drawn = true;
      stream.write(`\r\u001b[2K${formatProgress(options.label, done, total)}`);
    },
    finish: () => {
      if (drawn) stream.write('\r\u001b[2K');
      drawn = false;
    },
  };
};

/**
 * A log of progress lines (`[  12.3 s] phase …`) for a long command: written to the stream
 * when it is a terminal, dropped in a pipe or a file, where only the command's result goes.
 */
const createProgressLog = (
  stream: ProgressStream = process.stderr,
  now: () => number = Date.now,
): ((line: string) => void) => {
  const started = now();
  return (line) => {
    if (stream.isTTY !== true) return;
    stream.write(`[${((now() - started) / 1000).toFixed(1).padStart(7)} s] ${line}\n`);
  };
};

export { createProgress, createProgressLog, formatProgress, type Progress, type ProgressStream };
