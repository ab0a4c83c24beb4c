import { parseArgs } from 'node:util';
import { quietAwsSdkNodeWarning } from '../local/quietAwsSdk.js';
import { runSimulatorCli } from '../local/simulator/runSimulatorCli.js';
import { runDemo } from './runDemo.js';
import { runDev } from './runDev.js';
import { runReplay } from './runReplay.js';
import { runReport } from './runReport.js';
import { runSmoke } from './runSmoke.js';
import { runSubmit } from './runSubmit.js';

const USAGE = `batchlane: LLM batch APIs as a queue

usage:
  batchlane demo                 run the local pipeline on the sample requests and exit (npm start)
  batchlane dev                  run the local stack until stopped; writes .batchlane/dev.json
  batchlane submit FILE.jsonl    send one request message per line to the running dev stack
                                 (or to --queue-url with the AWS credentials in the environment)
  batchlane replay [--bucket B]  send results parked for a failing destination again
  batchlane report [--since 7d|YYYY-MM-DD] [--until YYYY-MM-DD] [--json]
                   [--by model|tag|day|lane|provider|source] [--table NAME]
                                 what requests cost, their realtime price and the savings
                                 (from the running dev stack, or --table / BATCHLANE_TABLE_NAME)
  batchlane sim [--port N]       run the provider simulator alone
  batchlane smoke [--outputs-file outputs.json] [--stack NAME] [--region R] [--count N]
                  [--timeout-seconds S] [--results-queue-url URL]
                                 send a few tiny requests through a deployed stack (real
                                 provider batches) and wait for their results
`;

// Before any AWS client is made, here and in the local stack's worker threads.
quietAwsSdkNodeWarning();

const main = async (argv: readonly string[]): Promise<number> => {
  const [command, ...rest] = argv;
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  switch (command) {
    case 'demo': {
      const { values } = parseArgs({
        args: rest,
        options: {
          requests: { type: 'string', default: 'examples/requests.jsonl' },
          bad: { type: 'string', default: 'examples/bad-requests.jsonl' },
          'timeout-seconds': { type: 'string', default: '180' },
        },
      });
      return runDemo({
        requestsFile: values.requests,
        badRequestsFile: values.bad,
        timeoutMs: Number(values['timeout-seconds']) * 1000,
        out,
      });
    }
    case 'dev':
      return runDev(rest, out);
    case 'submit':
      return runSubmit(rest, out);
    case 'replay':
      return runReplay(rest, out);
    case 'report':
      return runReport(rest, out);
    case 'sim':
      await runSimulatorCli([...rest]);
      return 0;
    case 'smoke':
      return runSmoke(rest, out);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return command === undefined ? 1 : 0;
    default:
      out(`unknown command "${command}"\n\n${USAGE}`);
      return 1;
  }
};

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // The emulators' sockets can hold the event loop; the work is done.
    if (process.argv[2] !== 'sim' && process.argv[2] !== 'dev')
      setTimeout(() => process.exit(code), 100).unref();
  },
  (error: unknown) => {
    process.stderr.write(
      `batchlane: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
