import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type ObservedAwsCommand,
  observeAwsCommands,
} from '../../shared/adapters/aws/awsCommandObserver.js';
import { type IamRequest, iamRequestsOf } from './iamRequestsOf.js';

/** One distinct authorization a function needed during a run. */
interface RecordedAwsCall extends IamRequest {
  /** The function as the stack names it: `collector`, `poller`, `completion`, `realtime`. */
  readonly function: string;
}

/** What a run writes: every distinct call of every function, once. */
interface AwsCallRecording {
  readonly run: string;
  readonly calls: readonly RecordedAwsCall[];
}

/** Dedupes calls by function, action and resource; a run makes thousands of the same ones. */
class AwsCallRecorder {
  readonly #seen = new Set<string>();
  readonly #calls: RecordedAwsCall[] = [];

  /** Records the authorizations `command` needs. */
  recordCommand(command: ObservedAwsCommand): void {
    this.record(command.functionName, iamRequestsOf(command));
  }

  record(functionName: string, requests: readonly IamRequest[]): void {
    for (const { action, resource } of requests) {
      const key = `${functionName}\u0000${action}\u0000${resource}`;
      if (this.#seen.has(key)) continue;
      this.#seen.add(key);
      this.#calls.push({ function: functionName, action, resource });
    }
  }

  /**
   * Observes every command the runtimes built in this process send from now on (inline
   * handlers, the event source mappings' pollers) until `stop` returns the previous state.
   */
  observeThisProcess(): () => void {
    observeAwsCommands((command) => this.recordCommand(command));
    return () => observeAwsCommands(null);
  }

  calls(): readonly RecordedAwsCall[] {
    return [...this.#calls];
  }

  /** Writes the recording as JSON (one small file per run). */
  write(file: string, run: string): AwsCallRecording {
    const recording: AwsCallRecording = { run, calls: this.calls() };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(recording, null, 1)}\n`);
    return recording;
  }
}

export { AwsCallRecorder, type AwsCallRecording, type RecordedAwsCall };
