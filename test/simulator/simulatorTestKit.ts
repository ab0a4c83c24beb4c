import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import type { RunningSimulator } from '../../local/simulator/startSimulator.js';

const API_KEY = 'sk-sim-test';

const anthropicClient = (sim: RunningSimulator, maxRetries = 2): Anthropic =>
  new Anthropic({ apiKey: API_KEY, baseURL: sim.anthropicBaseUrl, maxRetries });

const openaiClient = (sim: RunningSimulator, maxRetries = 2): OpenAI =>
  new OpenAI({ apiKey: API_KEY, baseURL: sim.openaiBaseUrl, maxRetries });

/** Polls `read` until `done` holds, failing after `timeoutMs` with the last value seen. */
const waitFor = async <T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`condition not met in ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const messageParams = (text: string, extra: Record<string, unknown> = {}) => ({
  model: 'claude-sonnet-4-6',
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: text }],
  ...extra,
});

/** One OpenAI batch input line. */
const chatLine = (customId: string, text: string, model = 'gpt-4o-mini'): string =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: text }], max_tokens: 200 },
  });

/** Uploads batch input lines as a JSONL file, for `purpose` (Together's is `batch-api`). */
const uploadJsonl = async (client: OpenAI, lines: string[], purpose = 'batch') =>
  client.files.create({
    file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'input.jsonl'),
    purpose: purpose as 'batch',
  });

/** A client of the OpenAI-compatible provider or profile the simulator serves as `id`. */
const profileClient = (sim: RunningSimulator, id: string): OpenAI =>
  new OpenAI({ apiKey: API_KEY, baseURL: sim.profileBaseUrls[id], maxRetries: 0 });

const ENDED_STATUSES = ['completed', 'failed', 'expired', 'cancelled'];

/** Waits for a batch to end; statuses compared in lower case (Together's are upper). */
const settleBatch = (client: OpenAI, id: string) =>
  waitFor(
    () => client.batches.retrieve(id),
    (batch) => ENDED_STATUSES.includes(String(batch.status).toLowerCase()),
  );

/** Reads a whole results stream of the Anthropic SDK into an array. */
const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
};

/** Parses a JSONL output file of the OpenAI simulator. */
const parseJsonl = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

export {
  API_KEY,
  anthropicClient,
  chatLine,
  collect,
  messageParams,
  openaiClient,
  parseJsonl,
  profileClient,
  settleBatch,
  uploadJsonl,
  waitFor,
};
