import { parseArgs } from 'node:util';
import { type SimulatorOptions, startSimulator } from './startSimulator.js';

const USAGE = `Usage: batchlane sim [options]
  --port N            port to listen on (default 8787; 0 = any free port)
  --host HOST         interface to bind (default 127.0.0.1)
  --seed N            seed of every simulated decision (default 1)
  --processing-ms N   simulated time one batch takes (default 2000)
  --time-scale N      simulated ms per real ms (default 1)
  --expiry-ms N       simulated time before unfinished requests expire (default 24 h)
  --persist DIR       keep batches and files in DIR across restarts
  --api-key KEY       accept only this key (repeatable; default: any non-empty key)
  --faults JSON       simulator-wide fault injection (see local/simulator/README.md)
  --s3-endpoint URL   S3 endpoint Bedrock jobs read input from and write output to
  --eventbridge-endpoint URL
                      EventBridge endpoint Bedrock job state changes are put to
  --bedrock-min-records N
                      fewest records per Bedrock job (default 100)`;

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
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      'processing-ms': { type: 'string' },
      'time-scale': { type: 'string' },
      'expiry-ms': { type: 'string' },
      persist: { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      faults: { type: 'string' },
      's3-endpoint': { type: 'string' },
      'eventbridge-endpoint': { type: 'string' },
      'bedrock-min-records': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
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

export { runSimulatorCli };
