/** One AWS SDK command as a function sent it: what an IAM policy is evaluated against. */
interface ObservedAwsCommand {
  /** The function whose runtime built the client (`collector`, `completion`, ...). */
  readonly functionName: string;
  /** The SDK client's class name, e.g. `SQSClient`. */
  readonly clientName: string;
  /** The command's class name, e.g. `SendMessageBatchCommand`. */
  readonly commandName: string;
  readonly region: string;
  /** The command's input, as the caller gave it (not copied: read it, do not keep it). */
  readonly input: Readonly<Record<string, unknown>>;
}

type AwsCommandObserver = (command: ObservedAwsCommand) => void;

/** The smallest view of an SDK v3 client this module needs. */
interface ObservableClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: { input: unknown }) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: { input: unknown }) => Promise<unknown>,
      options: { step: 'initialize'; name: string; override: boolean },
    ): void;
  };
}

let current: AwsCommandObserver | null = null;

/**
 * Registers the process-wide (per worker thread) observer of the commands runtimes send, or
 * removes it with `null`. Only the local stack and tests register one, to record which AWS
 * actions each function exercises and check them against its IAM policy; a deployed function
 * never does, so its clients carry no extra middleware.
 */
const observeAwsCommands = (observer: AwsCommandObserver | null): void => {
  current = observer;
};

/**
 * Adds the observing middleware to `client` when an observer is registered at the time the
 * client is built. The middleware looks the observer up on every call, so a client built once
 * per module (handlers build theirs at import) reports to whichever observer is current, and
 * to none once it is removed.
 */
const observeClientCommands = <C>(client: C, functionName: string, region: string): C => {
  if (current === null) return client;
  (client as unknown as ObservableClient).middlewareStack.add(
    (next, context) => async (args) => {
      const observer = current;
      if (observer !== null) {
        observer({
          functionName,
          clientName: context.clientName ?? 'UnknownClient',
          commandName: context.commandName ?? 'UnknownCommand',
          region,
          input: (args.input ?? {}) as Readonly<Record<string, unknown>>,
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'batchlaneCommandObserver', override: true },
  );
  return client;
};

export {
  type AwsCommandObserver,
  type ObservedAwsCommand,
  observeAwsCommands,
  observeClientCommands,
};
