/** Time and ids, injected so use cases are deterministic under test. */
interface Clock {
  now(): Date;
}

interface IdGenerator {
  /** A new, sortable, unique id (e.g. for batches). */
  next(prefix: string): string;
}

export type { Clock, IdGenerator };
