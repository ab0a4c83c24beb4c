/** Gives back what {@link ByteBudget.acquire} took. */
type Release = () => void;

/**
 * A budget of bytes held at once, shared by concurrent readers: each takes what it is about
 * to hold and waits, first come first served, until that much is free. A single claim larger
 * than the whole budget waits until nothing else is held, then runs alone, so one large read
 * never shares memory with others and a small one is never starved by it forever.
 */
class ByteBudget {
  readonly #limit: number;
  #held = 0;
  readonly #waiting: { readonly bytes: number; readonly grant: () => void }[] = [];

  constructor(limit: number) {
    if (!Number.isFinite(limit) || limit <= 0) {
      throw new RangeError(`a byte budget must be positive, got ${limit}`);
    }
    this.#limit = limit;
  }

  /** Bytes held right now. */
  get held(): number {
    return this.#held;
  }

  /** Waits until `bytes` (at most the whole budget) are free, takes them, returns a release. */
  async acquire(bytes: number): Promise<Release> {
    const wanted = Math.min(Math.max(0, bytes), this.#limit);
    if (this.#waiting.length === 0 && this.#held + wanted <= this.#limit) {
      this.#held += wanted;
    } else {
      await new Promise<void>((resolve) => {
        this.#waiting.push({ bytes: wanted, grant: resolve });
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held -= wanted;
      this.#grantWaiting();
    };
  }

  #grantWaiting(): void {
    for (;;) {
      const first = this.#waiting[0];
      if (first === undefined || this.#held + first.bytes > this.#limit) return;
      this.#waiting.shift();
      this.#held += first.bytes;
      first.grant();
    }
  }
}

export { ByteBudget, type Release };
