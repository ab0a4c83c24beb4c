/**
 * Deterministic, realistic bench data: intake messages of 1–4 KB with the non-ASCII text real
 * prompts carry, and Anthropic results lines of about 2.5 KB. Everything is derived from the
 * request index, so a child process can regenerate exactly the bytes another one used.
 */

/** mulberry32: tiny, fast and good enough to spread sizes and words. */
const rngFor = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Mostly English, with the curly quotes, dashes and other scripts real LLM text has. */
const FRAGMENTS = [
  'The answer states the main result clearly',
  'but it skips the edge case where the list is empty',
  '“Grade this answer” — rubric v3',
  'naïve café résumé',
  'Straße und Grüße',
  'the model’s reasoning is sound',
  '日本語の要約を含めてください',
  '请用中文简要说明理由',
  'Ελληνικά κείμενα',
  'пример на русском языке',
  'score it from 1 to 5',
  'explain the key point in two sentences',
  'the customer wrote: “it arrived late… again”',
  'context window ≈ 200k tokens',
  'cost went from $12 → $6 per run',
  'overall the tone is polite 🙂',
  'the data shows a steady trend in each quarter',
  'note the units (°C, µs, €)',
];

/** Text of about `bytes` UTF-8 bytes, assembled from seeded fragments. */
const textOfBytes = (rng: () => number, bytes: number): string => {
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const fragment = FRAGMENTS[Math.floor(rng() * FRAGMENTS.length)] ?? 'data';
    parts.push(fragment);
    size += Buffer.byteLength(fragment) + 2;
  }
  return `${parts.join(', ')}.`;
};

interface WorkloadOptions {
  /** Distinguishes runs that share one DynamoDB Local (the ledger remembers every id). */
  readonly runId: string;
  readonly resultsBucket: string;
}

/** The SQS message body of request `index`: 1–4 KB overall. */
const requestBody = (options: WorkloadOptions, index: number): string => {
  const rng = rngFor(index * 7919 + 17);
  const targetBytes = 1024 + Math.floor(rng() * 3072);
  const envelope = {
    custom_id: `${options.runId}-${index}`,
    provider: 'anthropic',
    body: {
      model: 'claude-sonnet-4-6',
      max_tokens: 1024,
      system: 'You are a careful grader. Answer with a score and one short reason.',
      messages: [{ role: 'user', content: '' }],
    },
    destination: {
      type: 's3',
      bucket: options.resultsBucket,
      prefix: `bench/${options.runId}/`,
    },
    metadata: { run: options.runId, index, suite: 'nightly-eval' },
  };
  // Size the prompt so the whole message lands near the target.
  const overhead = Buffer.byteLength(JSON.stringify(envelope));
  const message = envelope.body.messages[0];
  if (message !== undefined)
    message.content = textOfBytes(rng, Math.max(64, targetBytes - overhead));
  return JSON.stringify(envelope);
};

/** Messages `[from, to)` as one collector invocation sees them. */
const intakeMessages = (
  options: WorkloadOptions,
  from: number,
  to: number,
): { messageId: string; body: string }[] => {
  const messages: { messageId: string; body: string }[] = [];
  for (let index = from; index < to; index += 1) {
    messages.push({ messageId: `m-${options.runId}-${index}`, body: requestBody(options, index) });
  }
  return messages;
};

/** batchlane's in-batch id for member `index` (mirrors `providerCustomIdOf`). */
const memberId = (index: number): string => `r${index.toString().padStart(6, '0')}`;

/**
 * One Anthropic results line (~2.5 KB) for member `index`: 1 % errored (a request error,
 * which is final, so no retry batch is made), the rest succeeded with a message whose text
 * mixes scripts, as real model output does.
 */
const resultLine = (index: number): string => {
  const rng = rngFor(index * 104_729 + 3);
  const customId = memberId(index);
  if (index % 100 === 99) {
    return JSON.stringify({
      custom_id: customId,
      result: {
        type: 'errored',
        error: {
          type: 'error',
          error: { type: 'invalid_request_error', message: 'max_tokens: too large' },
        },
      },
    });
  }
  const text = textOfBytes(rng, 1900 + Math.floor(rng() * 400));
  return JSON.stringify({
    custom_id: customId,
    result: {
      type: 'succeeded',
      message: {
        id: `msg_${index.toString(36).padStart(10, '0')}bench`,
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-6',
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: 400 + Math.floor(rng() * 600),
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 300 + Math.floor(rng() * 200),
          service_tier: 'batch',
        },
      },
    },
  });
};

/**
 * The order results come back in: providers return them out of order, so members are
 * visited in a seeded shuffle (Fisher–Yates) rather than input order.
 */
const resultOrder = (count: number): Uint32Array => {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i += 1) order[i] = i;
  const rng = rngFor(count);
  for (let i = count - 1; i > 0; i -= 1) {
    const j = Math.floor(rng() * (i + 1));
    const a = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = a;
  }
  return order;
};

/** The results file as a stream of Buffers (~1 MB each), without holding it whole. */
async function* resultsFile(count: number): AsyncGenerator<Buffer> {
  const order = resultOrder(count);
  let lines: string[] = [];
  let size = 0;
  for (const index of order) {
    const line = `${resultLine(index)}\n`;
    lines.push(line);
    size += line.length;
    if (size >= 1_000_000) {
      yield Buffer.from(lines.join(''), 'utf8');
      lines = [];
      size = 0;
    }
  }
  if (lines.length > 0) yield Buffer.from(lines.join(''), 'utf8');
}

export {
  intakeMessages,
  memberId,
  requestBody,
  resultLine,
  resultOrder,
  resultsFile,
  type WorkloadOptions,
};
