/** A port under contract, and how to let go of what it holds (clients, emulated resources). */
interface Subject<Port> {
  readonly port: Port;
  close?(): Promise<void> | void;
}

export type { Subject };
