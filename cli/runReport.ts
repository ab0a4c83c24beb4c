import { type AwsEnv, createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { systemClock } from '../shared/adapters/system/systemClock.js';
import { createCostLedger } from '../shared/composition/createAwsAdapters.js';
import { ENV } from '../shared/config/BatchlaneConfig.js';
import { costReportJson, formatCostReport } from '../shared/domain/costs/formatCostReport.js';
import { parseReportRange, type ReportRange } from '../shared/domain/costs/parseReportRange.js';
import {
  COST_GROUPS,
  isCostGroup,
  summarizeCostStream,
} from '../shared/domain/costs/summarizeCosts.js';
import { errorMessage, InvalidInputError } from '../shared/domain/errors.js';
import type { Clock } from '../shared/ports/Clock.js';
import type { CostLedger } from '../shared/ports/CostLedger.js';
import {
  type CommandSpec,
  EXIT_USAGE,
  formatCommandHelp,
  type OptionValues,
  parseCommandLine,
} from './commandLine.js';
import { DEV_FILE, readDevFile } from './devFile.js';

const REPORT_COMMAND = {
  name: 'report',
  summary: 'what requests cost, their realtime price and the savings, per group over UTC days',
  options: {
    since: {
      type: 'string',
      value: '7d|YYYY-MM-DD',
      description: 'first day: the last N days, or a date (default 7d)',
    },
    until: { type: 'string', value: 'YYYY-MM-DD', description: 'last day (default today)' },
    by: {
      type: 'string',
      value: COST_GROUPS.join('|'),
      default: 'model',
      description: 'how to group',
    },
    json: { type: 'boolean', description: 'print JSON instead of a table' },
    table: {
      type: 'string',
      value: 'NAME',
      description: `a deployed stack's table (default: the running batchlane dev's, or ${ENV.tableName})`,
    },
  },
} as const satisfies CommandSpec;

const REPORT_USAGE = formatCommandHelp('batchlane', REPORT_COMMAND);

/** What `runReport` would otherwise take from the machine: injectable for tests. */
interface ReportDeps {
  /** Read this ledger instead of building one from `--table`, the dev file or the environment. */
  readonly ledger?: CostLedger;
  readonly clock?: Clock;
  /** Environment for the AWS clients and `BATCHLANE_TABLE_NAME` (default `process.env`). */
  readonly env?: AwsEnv;
  /** Where `batchlane dev` wrote how to reach it (default `.batchlane/dev.json`). */
  readonly devFilePath?: string;
}

interface OpenLedger {
  readonly ledger: CostLedger;
  close(): void;
}

/**
 * The ledger on the table named by `--table`, else the running `batchlane dev`'s (its dev
 * file), else `BATCHLANE_TABLE_NAME`; null when none is named.
 */
const openLedger = (table: string | undefined, deps: ReportDeps): OpenLedger | null => {
  const baseEnv = deps.env ?? process.env;
  const dev = table === undefined ? readDevFile(deps.devFilePath) : null;
  const env = dev === null ? baseEnv : { ...baseEnv, ...dev.env };
  const tableName = table ?? dev?.table_name ?? baseEnv[ENV.tableName];
  if (tableName === undefined || tableName === '') return null;
  const aws = createAwsClients(env);
  return {
    ledger: createCostLedger(aws, tableName),
    close: () => aws.destroy(),
  };
};

/**
 * `batchlane report [--since 7d|YYYY-MM-DD] [--until YYYY-MM-DD] [--by model|tag|day|lane|
 * provider|source] [--json] [--table NAME]`: what the recorded requests cost, what they would
 * have cost at realtime prices and what was saved, grouped, over UTC days (default: the last 7
 * days, by model). Returns the exit code: 0, or 2 (a usage error) for bad arguments or no table to read.
 */
const runReport = async (
  args: readonly string[],
  out: (line: string) => void,
  deps: ReportDeps = {},
): Promise<number> => {
  const refuse = (message: string): number => {
    out(`batchlane report: ${message}`);
    out(REPORT_USAGE);
    return EXIT_USAGE;
  };
  let values: OptionValues<typeof REPORT_COMMAND.options>;
  try {
    ({ values } = parseCommandLine(REPORT_COMMAND, args));
  } catch (error) {
    // Unknown options and missing values are refused with a readable message.
    return refuse(errorMessage(error));
  }
  const by = values.by;
  if (!isCostGroup(by)) return refuse(`--by must be one of ${COST_GROUPS.join(', ')}`);
  let range: ReportRange;
  try {
    range = parseReportRange({
      since: values.since,
      until: values.until,
      now: (deps.clock ?? systemClock).now(),
    });
  } catch (error) {
    if (error instanceof InvalidInputError) return refuse(error.message);
    throw error;
  }
  const opened =
    deps.ledger === undefined
      ? openLedger(values.table, deps)
      : { ledger: deps.ledger, close: () => {} };
  if (opened === null) {
    return refuse(
      `no table: start \`batchlane dev\` (it writes ${DEV_FILE}), pass --table or set ${ENV.tableName}`,
    );
  }
  try {
    const days = { since: range.since, until: range.until };
    const summary = await summarizeCostStream(opened.ledger.entries(days), by);
    const report = { ...days, summary };
    out(values.json ? JSON.stringify(costReportJson(report), null, 2) : formatCostReport(report));
    return 0;
  } finally {
    opened.close();
  }
};

export { REPORT_COMMAND, type ReportDeps, runReport };
