import { parseArgs } from 'node:util';
import { sendRequests } from '../cli/sendRequests.js';
import { batchTurnarounds, formatTurnarounds } from '../cli/timeToFirstResult.js';
import { quietAwsSdkNodeWarning } from '../local/quietAwsSdk.js';
import { ResultCollector } from '../local/stack/ResultCollector.js';
import { startLocalStack } from '../local/stack/startLocalStack.js';
import { createAwsClients } from '../shared/adapters/aws/createAwsClients.js';

/**
 * `npx tsx bench/timeToFirstResult.ts [--batches 3] [--poll-interval-ms 10000]`: time to first
 * result, from a provider's end of a batch to the first of its results delivered, for
 * batches whose end is pushed (OpenAI and Gemini webhooks to the receiver) and batches found
 * by the poller (Anthropic), on the local stack with a deployed-like poll interval. Each
 * batch is sent on its own, after the previous one is delivered, so batches do not queue
 * behind each other. Exits non-zero when a pushed batch's median is 5 s or more.
 */
quietAwsSdkNodeWarning();

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '3' },
    'poll-interval-ms': { type: 'string', default: '10000' },
    'processing-ms': { type: 'string', default: '1500' },
  },
});
const batches = Number(values.batches);
const pollIntervalMs = Number(values['poll-interval-ms']);

const request = (provider: 'openai' | 'gemini' | 'anthropic', id: string) => ({
  custom_id: id,
  provider,
  body:
    provider === 'openai'
      ? { model: 'gpt-4o-mini', messages: [{ role: 'user', content: id }] }
      : provider === 'gemini'
        ? { model: 'models/gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: id }] }] }
        : { model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: id }] },
});

const stack = await startLocalStack({
  processingMs: Number(values['processing-ms']),
  pollIntervalMs,
  // Sealed at the end of the collector's invocation: submission does not wait for a poll.
  batchMaxAgeSeconds: 0,
  realProvidersFromEnv: false,
});
try {
  const aws = createAwsClients(stack.env);
  const collector = ResultCollector.ofStack(stack, aws);
  for (let round = 0; round < batches; round += 1) {
    for (const provider of ['openai', 'gemini', 'anthropic'] as const) {
      const ids = Array.from({ length: 5 }, (_, i) => `ttfr-${provider}-${round}-${i}`);
      await sendRequests(
        aws.sqs,
        stack.intakeQueueUrl,
        ids.map((id) =>
          JSON.stringify({
            ...request(provider, id),
            destination: { type: 'sqs', queue_url: stack.resultsQueueUrl },
          }),
        ),
      );
      const deadline = Date.now() + 10 * 60_000;
      while (collector.missing(new Set(ids)).length > 0 && Date.now() < deadline) {
        await collector.collect();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  await collector.collect();
  const turnarounds = batchTurnarounds(
    stack.emulators.eventBridge.events(),
    [...collector.byId.values()].flatMap((list) => list.map(({ result }) => result)),
    stack.receiver !== null,
  );
  console.log(
    `time to first result (provider's end → first delivery), poll interval ${pollIntervalMs / 1000} s:`,
  );
  for (const line of formatTurnarounds(turnarounds)) console.log(`  ${line}`);
  const pushed = turnarounds
    .filter((t) => t.signal === 'webhook')
    .map((t) => t.firstDeliveredAtMs - t.endedAtMs)
    .sort((a, b) => a - b);
  const medianMs = pushed[Math.floor(pushed.length / 2)] ?? Number.POSITIVE_INFINITY;
  process.exitCode = medianMs < 5000 ? 0 : 1;
} finally {
  await stack.stop();
}
