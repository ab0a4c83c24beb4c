import { parseArgs } from 'node:util';
import { profileEnvNames } from '../../shared/config/BatchlaneConfig.js';
import { PROVIDER_ID_PATTERN } from '../../shared/contract/providers.js';
import { type SimulatorOptions, startSimulator } from './startSimulator.js';

/**
 * The options of `batchlane sim`, for `util.parseArgs` and, with their descriptions, for the
 * CLI's help.
 */
const SIMULATOR_CLI_OPTIONS = {
  port: {
    type: 'string',
    value: 'N',
    description: 'port to listen on (default 8787; 0 = any free port)',
  },
  host: { type: 'string', value: 'HOST', description: 'interface to bind (default 127.0.0.1)' },
  seed: { type: 'string', value: 'N', description: 'seed of every simulated decision (default 1)' },
  'processing-ms': {
    type: 'string',
    value: 'MS',
    description: 'simulated time one batch takes (default 2000)',
  },
  'time-scale': { type: 'string', value: 'N', description: 'simulated ms per real ms (default 1)' },
  'expiry-ms': {
    type: 'string',
    value: 'MS',
    description: 'simulated time before unfinished requests expire (default 24 h)',
  },
  persist: {
    type: 'string',
    value: 'DIR',
    description: 'keep batches and files in DIR across restarts',
  },
  'api-key': {
    type: 'string',
    multiple: true,
    value: 'KEY',
    description: 'accept only this key (repeatable; default: any non-empty key)',
  },
  faults: {
    type: 'string',
    value: 'JSON',
    description: 'simulator-wide fault injection (see local/simulator/README.md)',
  },
  's3-endpoint': {
    type: 'string',
    value: 'URL',
    description: 'S3 endpoint Bedrock jobs read input from and write output to',
  },
  'eventbridge-endpoint': {
    type: 'string',
    value: 'URL',
    description: 'EventBridge endpoint Bedrock job state changes are put to',
  },
  'bedrock-min-records': {
    type: 'string',
    value: 'N',
    description: 'fewest records per Bedrock job (default 100)',
  },
  profile: {
    type: 'string',
    multiple: true,
    value: 'ID[:MODELS]',
    description:
      "serve a deployment's own profile at /profiles/<ID>/v1 with these comma-separated models (none: any); repeatable",
  },
} as const;

/** `acme:acme-chat-1,acme-embed-1` → the profile id and the models it serves. */
const profileOption = (value: string): { id: string; models: string[] } => {
  const [id = '', models = ''] = value.split(/:(.*)/s);
  if (!PROVIDER_ID_PATTERN.test(id)) {
    throw new Error(`--profile must start with a profile id (a-z, 0-9, -), got '${value}'`);
  }
  return { id, models: models.split(',').filter((model) => model !== '') };
};

const USAGE = `Usage: batchlane sim [options]
${Object.entries(SIMULATOR_CLI_OPTIONS)
  .map(([name, option]) => `  ${`--${name} ${option.value}`.padEnd(20)}${option.description}`)
  .join('\n')}`;

const toNumber = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${value}'`);
  return n;
};

/** Parses argv (without node and script), starts the simulator and runs until SIGINT/SIGTERM. */
const runSimulatorCli = async (argv: string[]): Promise<void> => {
  const { values } = parseArgs({
    args: argv,
    options: { ...SIMULATOR_CLI_OPTIONS, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options: SimulatorOptions = {
    port: toNumber('port', values.port) ?? 8787,
    host: values.host,
    seed: toNumber('seed', values.seed),
    processingMs: toNumber('processing-ms', values['processing-ms']),
    timeScale: toNumber('time-scale', values['time-scale']),
    expiryMs: toNumber('expiry-ms', values['expiry-ms']),
    persistDir: values.persist,
    apiKeys: values['api-key'],
    faults: values.faults === undefined ? undefined : (JSON.parse(values.faults) as object),
    bedrock: {
      ...(values['s3-endpoint'] === undefined ? {} : { s3Endpoint: values['s3-endpoint'] }),
      ...(values['eventbridge-endpoint'] === undefined
        ? {}
        : { eventBridgeEndpoint: values['eventbridge-endpoint'] }),
    },
    profiles: (values.profile ?? []).map(profileOption),
    ...(values['bedrock-min-records'] === undefined
      ? {}
      : {
          limits: {
            bedrockMinRecords:
              toNumber('bedrock-min-records', values['bedrock-min-records']) ?? 100,
          },
        }),
  };
  const sim = await startSimulator(options);
  process.stdout.write(
    [
      `provider simulator listening on ${sim.url}`,
      `  ANTHROPIC_BASE_URL=${sim.anthropicBaseUrl}`,
      `  OPENAI_BASE_URL=${sim.openaiBaseUrl}`,
      `  BATCHLANE_BEDROCK_ENDPOINT=${sim.bedrockEndpoint}`,
      `  GEMINI_BASE_URL=${sim.geminiBaseUrl}  (@google/genai httpOptions.baseUrl)`,
      `  MISTRAL_BASE_URL=${sim.mistralBaseUrl}  (@mistralai/mistralai serverURL)`,
      ...(values.profile ?? []).map((value) => {
        const { id } = profileOption(value);
        return `  ${profileEnvNames(id).baseUrl}=${sim.profileBaseUrls[id]}`;
      }),
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const shutdown = (): void => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      resolve();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  await sim.stop();
};

export { runSimulatorCli, SIMULATOR_CLI_OPTIONS };
