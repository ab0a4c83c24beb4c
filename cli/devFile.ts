import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where `batchlane dev` writes how to reach it, for producers and `batchlane submit`. */
const DEV_FILE = '.batchlane/dev.json';

interface DevFile {
  readonly intake_queue_url: string;
  readonly results_queue_url: string;
  readonly results_bucket: string;
  readonly results_event_bus: string;
  readonly artifacts_bucket: string;
  readonly table_name: string;
  readonly event_bus_name: string;
  readonly events_queue_url: string;
  /** Environment a producer (or the AWS CLI) needs to reach the local emulators. */
  readonly env: Record<string, string>;
  /** The local stack's destination allow-list (`*`), which `batchlane replay` applies. */
  readonly destination_allow_list?: string;
  /** Per provider, what its SDK's base URL option takes (`providers.gemini`: `httpOptions.baseUrl`). */
  /** Provider profiles under their id: the OpenAI client's `baseURL` (Azure: its `endpoint`). */
  readonly providers: Readonly<Record<string, string>> & {
    readonly anthropic: string;
    readonly openai: string;
    readonly gemini: string;
    /** What both Bedrock clients take as `endpoint`. */
    readonly bedrock: string;
    /** What `@mistralai/mistralai`'s `serverURL` takes. */
    readonly mistral?: string;
  };
  /** The Standard Webhooks secret loopback webhook receivers verify deliveries with. */
  readonly webhook_secret?: string;
  /** The status page `batchlane dev` serves. */
  readonly status_url?: string;
  /** The local stack's batch caps, which the status page measures fill and seal time against. */
  readonly batch_settings?: {
    readonly max_requests_per_batch: number | null;
    readonly batch_max_age_seconds: number | null;
  };
  /**
   * The webhook receiver's function URL: providers post batch webhooks to `<url><provider>`
   * (`openai`, `gemini`), signed with that provider's secret.
   */
  readonly receiver?: {
    readonly url: string;
    readonly secrets: Readonly<Record<'openai' | 'gemini', string>>;
  };
  readonly pid: number;
  readonly started_at: string;
}

const writeDevFile = (file: DevFile, path = DEV_FILE): void => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
};

const readDevFile = (path = DEV_FILE): DevFile | null =>
  existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as DevFile) : null;

export { DEV_FILE, type DevFile, readDevFile, writeDevFile };
