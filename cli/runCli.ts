import { readFileSync } from 'node:fs';
import { runSimulatorCli, SIMULATOR_CLI_OPTIONS } from '../local/simulator/runSimulatorCli.js';
import { errorMessage } from '../shared/domain/errors.js';
import {
  type CommandSpec,
  EXIT_USAGE,
  formatCommandHelp,
  parseCommandLine,
  UsageError,
} from './commandLine.js';
import type { ProgressStream } from './progress.js';
import { runDemo } from './runDemo.js';
import { DEV_COMMAND, runDev } from './runDev.js';
import { REPLAY_COMMAND, runReplay } from './runReplay.js';
import { REPORT_COMMAND, runReport } from './runReport.js';
import { runSmoke, SMOKE_COMMAND } from './runSmoke.js';
import { runStatus, STATUS_COMMAND } from './runStatus.js';
import { runSubmit, SUBMIT_COMMAND } from './runSubmit.js';

const PROGRAM = 'batchlane';

/** Where a command writes: its output, its diagnostics, and a stream for progress lines. */
interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Progress is drawn here only when it is a terminal. */
  readonly progress: ProgressStream;
}

/** A command of the table: its spec (options, help) and what runs it. */
interface Command {
  readonly spec: CommandSpec;
  /** Runs with the arguments after the command's name; they have passed the spec's checks. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

const DEMO_COMMAND = {
  name: 'demo',
  summary:
    'run the local pipeline on the sample requests, print a summary and exit (npm start); 0 when every request got exactly one result',
  options: {
    requests: {
      type: 'string',
      value: 'FILE',
      default: 'examples/requests.jsonl',
      description: 'the requests to send',
    },
    bad: {
      type: 'string',
      value: 'FILE',
      default: 'examples/bad-requests.jsonl',
      description: 'requests batchlane must refuse',
    },
    'timeout-seconds': {
      type: 'string',
      value: 'S',
      default: '180',
      description: 'how long to wait for every result',
    },
  },
} as const satisfies CommandSpec;

const SIM_COMMAND = {
  name: 'sim',
  summary: 'run the provider simulator alone (Anthropic and OpenAI batch and realtime APIs)',
  options: SIMULATOR_CLI_OPTIONS,
} as const satisfies CommandSpec;

/** Every command of `batchlane`, in the order the help lists them. */
const COMMANDS: readonly Command[] = [
  {
    spec: DEMO_COMMAND,
    run: (args, io) => {
      const { values } = parseCommandLine(DEMO_COMMAND, args);
      return runDemo({
        requestsFile: values.requests,
        badRequestsFile: values.bad,
        timeoutMs: Number(values['timeout-seconds']) * 1000,
        out: io.out,
      });
    },
  },
  { spec: DEV_COMMAND, run: (args, io) => runDev(args, io.out) },
  { spec: SUBMIT_COMMAND, run: (args, io) => runSubmit(args, io.out, io.progress) },
  { spec: REPLAY_COMMAND, run: (args, io) => runReplay(args, io.out, io.progress) },
  { spec: REPORT_COMMAND, run: (args, io) => runReport(args, io.out) },
  {
    spec: STATUS_COMMAND,
    run: (args, io) => runStatus(args, io.out, { isTTY: process.stdout.isTTY === true }),
  },
  {
    spec: SIM_COMMAND,
    run: async (args) => {
      await runSimulatorCli([...args]);
      return 0;
    },
  },
  { spec: SMOKE_COMMAND, run: (args, io) => runSmoke(args, io.out) },
];

const version = (): string => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
};

/** `batchlane --help`: every command with its one-line summary. */
const formatProgramHelp = (): string => {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    `usage: ${PROGRAM} <command> [options]`,
    '',
    'batchlane: LLM batch APIs as a queue',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    '',
    'options:',
    '  -h, --help     show this help (`batchlane <command> --help` for a command)',
    '  -V, --version  print the version',
  ].join('\n');
};

/**
 * Runs one `batchlane` command line and returns its exit code, following the usual
 * conventions: `--help` / `-h` (and `help [command]`) print usage to stdout and exit 0;
 * `--version` prints the version; an unknown command, an unknown option, a missing value or
 * a missing argument print the problem and the usage to stderr and exit 2; a failure prints
 * one line (no stack trace) and exits 1.
 */
const runCli = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    io.out(formatProgramHelp());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.out(`${PROGRAM} ${version()}`);
    return 0;
  }
  if (name === 'help') {
    const about = COMMANDS.find((c) => c.spec.name === rest[0]);
    io.out(about === undefined ? formatProgramHelp() : formatCommandHelp(PROGRAM, about.spec));
    return about === undefined && rest[0] !== undefined ? EXIT_USAGE : 0;
  }
  if (name === undefined) {
    io.err(formatProgramHelp());
    return EXIT_USAGE;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (command === undefined) {
    io.err(`${PROGRAM}: unknown command '${name}'\n\n${formatProgramHelp()}`);
    return EXIT_USAGE;
  }
  const usageError = (error: UsageError): number => {
    io.err(`${PROGRAM} ${name}: ${error.message}\n\n${formatCommandHelp(PROGRAM, command.spec)}`);
    return EXIT_USAGE;
  };
  try {
    if (parseCommandLine(command.spec, rest).help) {
      io.out(formatCommandHelp(PROGRAM, command.spec));
      return 0;
    }
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) return usageError(error);
    io.err(`${PROGRAM} ${name}: ${errorMessage(error)}`);
    if (process.env['BATCHLANE_DEBUG'] === '1' && error instanceof Error && error.stack) {
      io.err(error.stack);
    }
    return 1;
  }
};

export { type CliIo, COMMANDS, type Command, runCli };
