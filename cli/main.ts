import { quietAwsSdkNodeWarning } from '../local/quietAwsSdk.js';
import { runCli } from './runCli.js';

// Before any AWS client is made, here and in the local stack's worker threads, which inherit
// this environment.
quietAwsSdkNodeWarning();

const command = process.argv[2];
runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: process.stderr,
}).then(
  (code) => {
    process.exitCode = code;
    // The emulators' sockets can hold the event loop; the work is done. `sim` and `dev` return
    // only once they were stopped.
    if (command !== 'sim' && command !== 'dev') setTimeout(() => process.exit(code), 100).unref();
  },
  (error: unknown) => {
    process.stderr.write(`batchlane: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
