import { runCli } from './runCli.js';

// The AWS SDK warns at every start that its 2027 releases will need Node 22; the CLI runs on
// Node 20 by design (the deployed functions run on 22), so that one warning is noise here,
// and in the local functions' worker threads, which inherit this environment.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!warning.message.includes('NodeVersionSupportWarning'))
    process.stderr.write(`${warning.stack ?? warning.message}\n`);
});

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
