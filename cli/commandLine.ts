import { parseArgs } from 'node:util';

/** One option of a command: what `util.parseArgs` needs, plus what its help line says. */
interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly default?: string | boolean;
  readonly multiple?: boolean;
  /** The value's placeholder in the help (`--queue-url URL`); string options only. */
  readonly value?: string;
  readonly description: string;
}

type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type OptionValue<S extends OptionSpec> = S['type'] extends 'boolean'
  ? S['multiple'] extends true
    ? boolean[]
    : boolean
  : S['multiple'] extends true
    ? string[]
    : string;

/** The parsed values: options with a default are always there, the others may be missing. */
type OptionValues<O extends OptionSpecs> = {
  -readonly [K in keyof O]: O[K] extends { default: unknown }
    ? OptionValue<O[K]>
    : OptionValue<O[K]> | undefined;
};

/** A command of the `batchlane` CLI: its options, its arguments and what its help says. */
interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  /** One line, for the list of commands. */
  readonly summary: string;
  /** The positional arguments in the usage line, e.g. `FILE.jsonl`. */
  readonly arguments?: string;
  /** How many positional arguments it takes (default none). */
  readonly positionals?: { readonly min: number; readonly max: number };
  readonly options: O;
  /** Paragraphs printed after the options. */
  readonly details?: string;
}

interface ParsedCommandLine<O extends OptionSpecs> {
  readonly values: OptionValues<O>;
  readonly positionals: string[];
  /** `--help` or `-h` was given: print the help and do nothing else. */
  readonly help: boolean;
}

/** A command line the command cannot run with: print the message and the usage, exit 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit codes, as POSIX tools use them. */
const EXIT_USAGE = 2;

const HELP_OPTION = { type: 'boolean', short: 'h', description: 'show this help' } as const;

/** `util.parseArgs` refuses a bad command line with one of these codes. */
const isParseArgsError = (error: unknown): error is Error & { code: string } => {
  const code: unknown = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
};

/**
 * Parses a command's arguments strictly (unknown options, missing values and extra arguments
 * are a {@link UsageError}); every command takes `--help` / `-h`.
 */
const parseCommandLine = <const O extends OptionSpecs>(
  spec: CommandSpec<O>,
  args: readonly string[],
): ParsedCommandLine<O> => {
  const options: Record<string, OptionSpec> = { ...spec.options, help: HELP_OPTION };
  const parseOptions = Object.fromEntries(
    Object.entries(options).map(([name, option]) => [
      name,
      {
        type: option.type,
        ...(option.short === undefined ? {} : { short: option.short }),
        ...(option.default === undefined ? {} : { default: option.default }),
        ...(option.multiple === undefined ? {} : { multiple: option.multiple }),
      },
    ]),
  ) as Parameters<typeof parseArgs>[0] extends infer C
    ? C extends { options?: infer P }
      ? NonNullable<P>
      : never
    : never;
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: parseOptions,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    if (isParseArgsError(error)) throw new UsageError(error.message);
    throw error;
  }
  const { help, ...values } = parsed.values;
  if (help === true) return { values: values as OptionValues<O>, positionals: [], help: true };
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < min) {
    throw new UsageError(`missing argument ${spec.arguments ?? ''}`.trim());
  }
  if (parsed.positionals.length > max) {
    throw new UsageError(`unexpected argument '${parsed.positionals[max]}'`);
  }
  return { values: values as OptionValues<O>, positionals: parsed.positionals, help: false };
};

const optionLabel = (name: string, option: OptionSpec): string => {
  const long = `--${name}${option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : ''}`;
  return option.short === undefined ? `    ${long}` : `-${option.short}, ${long}`;
};

const optionDescription = (option: OptionSpec): string =>
  option.default === undefined || option.type === 'boolean'
    ? option.description
    : `${option.description} (default ${String(option.default)})`;

/** `usage: batchlane NAME [options] ARGS`, with every option, for `--help` and usage errors. */
const formatCommandHelp = (program: string, spec: CommandSpec): string => {
  const options: [string, OptionSpec][] = [...Object.entries(spec.options), ['help', HELP_OPTION]];
  const labels = options.map(([name, option]) => optionLabel(name, option));
  const width = Math.max(...labels.map((label) => label.length)) + 2;
  const lines = [
    `usage: ${program} ${spec.name} [options]${spec.arguments === undefined ? '' : ` ${spec.arguments}`}`,
    '',
    spec.summary,
    '',
    'options:',
    ...options.map(
      ([, option], i) => `  ${(labels[i] ?? '').padEnd(width)}${optionDescription(option)}`,
    ),
  ];
  if (spec.details !== undefined) lines.push('', spec.details);
  return lines.join('\n');
};

export {
  type CommandSpec,
  EXIT_USAGE,
  formatCommandHelp,
  type OptionSpec,
  type OptionSpecs,
  type OptionValues,
  type ParsedCommandLine,
  parseCommandLine,
  UsageError,
};
