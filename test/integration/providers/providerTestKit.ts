import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../../local/simulator/startSimulator.js';
import type { ProviderEndpoint } from '../../../shared/contract/providers.js';
import { type ParsedResultLine, parseResultLine } from '../../../shared/domain/parseResultLine.js';
import type {
  BatchProvider,
  ProviderBatchSnapshot,
  SubmitBatchInput,
} from '../../../shared/ports/BatchProvider.js';

const API_KEY = 'sk-batchlane-provider-test';

/** A submit input over in-memory JSONL lines, as the collector would write them. */
const submitInput = (
  batchId: string,
  endpoint: ProviderEndpoint,
  lines: readonly string[],
): SubmitBatchInput => {
  const jsonl = `${lines.join('\n')}\n`;
  return {
    batchId,
    endpoint,
    openInput: async () => Readable.from([Buffer.from(jsonl)]),
    requestCount: lines.length,
    inputBytes: Buffer.byteLength(jsonl),
  };
};

/** Polls `retrieve` until the batch has ended. */
const waitForEnded = async (
  provider: BatchProvider,
  providerBatchId: string,
  timeoutMs = 15_000,
): Promise<ProviderBatchSnapshot> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshot = await provider.retrieve(providerBatchId);
    if (snapshot.phase === 'ended') return snapshot;
    if (Date.now() > deadline) {
      throw new Error(`batch not ended in ${timeoutMs} ms: ${JSON.stringify(snapshot)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

/** Every line of a raw results stream (no blank lines expected). */
const readLines = async (stream: Readable): Promise<string[]> => {
  const lines: string[] = [];
  for await (const line of createInterface({
    input: stream,
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    lines.push(line);
  }
  return lines;
};

/** Every result of an ended batch, read through `openResults` and parsed, by custom_id. */
const readResults = async (
  provider: BatchProvider,
  snapshot: ProviderBatchSnapshot,
): Promise<Map<string, ParsedResultLine>> => {
  const results = new Map<string, ParsedResultLine>();
  for (const ref of snapshot.resultRefs) {
    for (const line of await readLines(await provider.openResults(ref))) {
      const parsed = parseResultLine(provider.name, line);
      results.set(parsed.providerCustomId, parsed);
    }
  }
  return results;
};

/**
 * The simulator a file of adapter tests runs against: started before its tests (batches end
 * after 300 ms, outcomes drawn from `seed`), its faults cleared after each test, stopped after
 * them all. Read `current` inside hooks and tests, once it has started.
 */
const useSimulator = (seed: number): { readonly current: RunningSimulator } => {
  const simulator = {} as { current: RunningSimulator };
  beforeAll(async () => {
    simulator.current = await startSimulator({
      port: 0,
      processingMs: 300,
      seed,
      apiKeys: [API_KEY],
    });
  });
  afterEach(() => {
    simulator.current.setFaults({});
  });
  afterAll(async () => {
    await simulator.current?.stop();
  });
  return simulator;
};

export { API_KEY, readLines, readResults, submitInput, useSimulator, waitForEnded };
