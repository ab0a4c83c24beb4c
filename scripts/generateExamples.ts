/**
 * Writes the sample workload the local demo sends: `examples/requests.jsonl` (every
 * provider, several endpoints and models, three destination types) and
 * `examples/bad-requests.jsonl` (inputs the collector must refuse, each for its own reason).
 * Destinations use `{{placeholders}}` that `batchlane submit` fills from the running stack.
 * Deterministic: running it again rewrites the same files.
 */
import { writeFileSync } from 'node:fs';

const topics = [
  'the causes of the 1929 stock market crash',
  'how vaccines train the immune system',
  'why the sky is blue',
  'the history of the printing press',
  'how a hash map handles collisions',
  'the water cycle',
  'photosynthesis in C4 plants',
  'the rules of chess castling',
  'how TCP congestion control works',
  'the plot of Don Quixote',
];

const destinations = [
  { type: 'sqs', queue_url: '{{results_queue_url}}' },
  { type: 's3', bucket: '{{results_bucket}}', prefix: 'demo/' },
  { type: 'eventbridge', event_bus_name: '{{results_event_bus}}' },
];

const lines: string[] = [];
for (let i = 0; i < 300; i += 1) {
  const topic = topics[i % topics.length] ?? 'anything';
  const destination = destinations[i % destinations.length];
  const metadata = { suite: 'demo', item: i, tag: i % 2 === 0 ? 'eval' : 'extraction' };
  if (i % 2 === 0) {
    lines.push(
      JSON.stringify({
        custom_id: `demo-anthropic-${String(i).padStart(4, '0')}`,
        provider: 'anthropic',
        body: {
          model: i % 4 === 0 ? 'claude-sonnet-4-6' : 'claude-haiku-4-5',
          max_tokens: 256,
          system: 'You are a concise teacher.',
          messages: [{ role: 'user', content: `In three sentences, explain ${topic}.` }],
        },
        destination,
        metadata,
      }),
    );
  } else if (i % 10 === 9) {
    lines.push(
      JSON.stringify({
        custom_id: `demo-openai-emb-${String(i).padStart(4, '0')}`,
        provider: 'openai',
        endpoint: '/v1/embeddings',
        body: { model: 'text-embedding-3-small', input: `A short note about ${topic}.` },
        destination,
        metadata,
      }),
    );
  } else if (i % 10 === 1) {
    // The lanes: `auto` with a near deadline goes to flex, `auto` with a far one to a batch,
    // and `flex` asked for directly (gpt-5-mini has a flex tier).
    const lane = (
      [
        { tier: 'auto', deadline: '{{deadline_soon}}' },
        { tier: 'flex' },
        { tier: 'auto', deadline: '{{deadline_later}}' },
      ] as const
    )[Math.floor(i / 10) % 3];
    lines.push(
      JSON.stringify({
        custom_id: `demo-openai-lane-${String(i).padStart(4, '0')}`,
        provider: 'openai',
        endpoint: '/v1/chat/completions',
        body: {
          model: 'gpt-5-mini',
          max_completion_tokens: 256,
          messages: [{ role: 'user', content: `Grade this one-line answer about ${topic}: "ok".` }],
        },
        destination,
        metadata,
        ...lane,
      }),
    );
  } else {
    lines.push(
      JSON.stringify({
        custom_id: `demo-openai-${String(i).padStart(4, '0')}`,
        provider: 'openai',
        endpoint: '/v1/chat/completions',
        body: {
          model: i % 3 === 0 ? 'gpt-4o-mini' : 'gpt-4.1-mini',
          max_tokens: 256,
          messages: [
            {
              role: 'system',
              content: 'Classify the topic into one of: science, history, computing, other.',
            },
            { role: 'user', content: topic },
          ],
        },
        destination,
        metadata,
      }),
    );
  }
}
// Bedrock: the model is named beside the body, which is the model's native input. One group
// fills a Bedrock job past its 100-record minimum (Claude Haiku 4.5 through a US inference
// profile); a group of five stays below it and is served by the realtime lane when its wait
// is over; five `auto` requests with a near deadline go to the realtime lane at once.
for (let i = 0; i < 110; i += 1) {
  const topic = topics[i % topics.length] ?? 'anything';
  const destination = destinations[i % destinations.length];
  const metadata = { suite: 'demo', item: 300 + i, tag: 'bedrock' };
  const id = `demo-bedrock-${String(i).padStart(4, '0')}`;
  if (i < 100) {
    lines.push(
      JSON.stringify({
        custom_id: id,
        provider: 'bedrock',
        model: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
        body: {
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 256,
          system: 'You are a concise teacher.',
          messages: [
            {
              role: 'user',
              content: [{ type: 'text', text: `In two sentences, explain ${topic}.` }],
            },
          ],
        },
        destination,
        metadata,
      }),
    );
  } else {
    lines.push(
      JSON.stringify({
        custom_id: id,
        provider: 'bedrock',
        model: i < 105 ? 'amazon.nova-micro-v1:0' : 'us.amazon.nova-lite-v1:0',
        body: {
          messages: [{ role: 'user', content: [{ text: `Name one fact about ${topic}.` }] }],
          inferenceConfig: { maxTokens: 128 },
        },
        destination,
        metadata,
        ...(i < 105 ? {} : { tier: 'auto', deadline: '{{deadline_soon}}' }),
      }),
    );
  }
}

// Gemini beside the others: 30 through Batch Mode, 10 on its lanes (flex asked for, and
// `auto` with a near deadline, both served by Gemini's Flex tier).
for (let i = 0; i < 40; i += 1) {
  const topic = topics[i % topics.length] ?? 'anything';
  const lane =
    i % 4 === 1
      ? { tier: 'flex' }
      : i % 4 === 3 && i < 20
        ? { tier: 'auto', deadline: '{{deadline_soon}}' }
        : {};
  lines.push(
    JSON.stringify({
      custom_id: `demo-gemini-${String(i).padStart(4, '0')}`,
      provider: 'gemini',
      endpoint: 'generateContent',
      body: {
        model: i % 5 === 0 ? 'gemini-2.5-pro' : 'gemini-2.5-flash',
        systemInstruction: { parts: [{ text: 'You are a concise teacher.' }] },
        contents: [{ role: 'user', parts: [{ text: `In two sentences, explain ${topic}.` }] }],
        generationConfig: { maxOutputTokens: 256, temperature: 0.2 },
      },
      destination: destinations[i % destinations.length],
      metadata: { suite: 'demo', item: 300 + i, tag: 'gemini' },
      ...lane,
    }),
  );
}
// Mistral: 30 chat and 10 embeddings requests through its batch jobs (small groups go
// inline, larger ones as a file), and 5 `auto` requests with a near deadline, which Mistral
// (no flex tier) serves on its standard realtime lane.
for (let i = 0; i < 45; i += 1) {
  const topic = topics[i % topics.length] ?? 'anything';
  const embed = i >= 30 && i < 40;
  lines.push(
    JSON.stringify({
      custom_id: `demo-mistral-${String(i).padStart(4, '0')}`,
      provider: 'mistral',
      endpoint: embed ? '/v1/embeddings' : '/v1/chat/completions',
      body: embed
        ? { model: 'mistral-embed', input: [`Notes on ${topic}.`] }
        : {
            model: i % 3 === 0 ? 'mistral-medium-latest' : 'mistral-small-latest',
            max_tokens: 200,
            temperature: 0.2,
            messages: [
              { role: 'system', content: 'You are a concise teacher.' },
              { role: 'user', content: `In two sentences, explain ${topic}.` },
            ],
          },
      destination: destinations[i % destinations.length],
      metadata: { suite: 'demo', item: 400 + i, tag: 'mistral' },
      ...(i >= 40 ? { tier: 'auto', deadline: '{{deadline_soon}}' } : {}),
    }),
  );
}
// The OpenAI-compatible providers (built-in profiles), each through its batch API: Azure
// OpenAI names the model (its deployment serves it), the others their own model ids.
const PROFILE_MODELS = {
  together: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
  groq: 'llama-3.1-8b-instant',
  xai: 'grok-3-mini',
  'azure-openai': 'gpt-4.1-mini',
} as const;
for (const [p, [provider, model]] of Object.entries(PROFILE_MODELS).entries()) {
  for (let i = 0; i < 8; i += 1) {
    const topic = topics[(i + provider.length) % topics.length] ?? 'anything';
    lines.push(
      JSON.stringify({
        custom_id: `demo-${provider}-${String(i).padStart(4, '0')}`,
        provider,
        body: {
          model,
          max_tokens: 200,
          messages: [{ role: 'user', content: `In two sentences, explain ${topic}.` }],
        },
        destination: destinations[i % destinations.length],
        metadata: { suite: 'demo', item: 500 + 8 * p + i, tag: provider },
      }),
    );
  }
}
// DeepSeek, which has no batch API: its patient tiers wait for its off-peak hours. The demo
// starts its clock in peak hours, a little before a window opens, so these are held until
// then and served at the window's rate; the last one's deadline cannot wait for the window, so
// it runs at once at the peak price.
for (let i = 0; i < 10; i += 1) {
  const topic = topics[i % topics.length] ?? 'anything';
  const lane =
    i === 9
      ? { tier: 'auto', deadline: '{{deadline_before_off_peak}}' }
      : i % 3 === 0
        ? { tier: 'off_peak' }
        : i % 3 === 1
          ? { tier: 'auto', deadline: '{{deadline_soon}}' }
          : { tier: 'off_peak', deadline: '{{deadline_later}}' };
  lines.push(
    JSON.stringify({
      custom_id: `demo-deepseek-${String(i).padStart(4, '0')}`,
      provider: 'deepseek',
      body: {
        model: i % 4 === 0 ? 'deepseek-v4-pro' : 'deepseek-flash',
        messages: [{ role: 'user', content: `In one sentence, explain ${topic}.` }],
        max_tokens: 128,
      },
      destination: destinations[i % destinations.length],
      metadata: { suite: 'demo', item: 600 + i, tag: 'deepseek' },
      ...lane,
    }),
  );
}
writeFileSync('examples/requests.jsonl', `${lines.join('\n')}\n`);

const dest = { type: 'sqs', queue_url: '{{results_queue_url}}' };
/** A valid Anthropic body, for the lines whose fault lies elsewhere. */
const anthropicHi = {
  model: 'claude-haiku-4-5',
  max_tokens: 10,
  messages: [{ role: 'user', content: 'hi' }],
};
const bad: string[] = [
  '{"custom_id": "bad-json-0001", "provider": "anthropic", ',
  JSON.stringify({
    provider: 'anthropic',
    body: anthropicHi,
    destination: dest,
  }),
  JSON.stringify({
    custom_id: 'bad-stream-0001',
    provider: 'openai',
    body: { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] },
    destination: dest,
  }),
  JSON.stringify({
    custom_id: 'bad-provider-0001',
    provider: 'acme-ai',
    body: { model: 'acme-small', messages: [{ role: 'user', content: 'hi' }] },
    destination: dest,
  }),
  JSON.stringify({
    custom_id: 'bad-endpoint-0001',
    provider: 'anthropic',
    endpoint: '/v1/embeddings',
    body: anthropicHi,
    destination: dest,
  }),
  JSON.stringify({
    custom_id: 'bad-gemini-contents-0001',
    provider: 'gemini',
    body: { model: 'gemini-2.5-flash', contents: [] },
    destination: dest,
  }),
  // Mistral sells no flex tier, though it shares OpenAI's endpoint name.
  JSON.stringify({
    custom_id: 'bad-mistral-tier-0001',
    provider: 'mistral',
    tier: 'flex',
    body: { model: 'mistral-small-latest', messages: [{ role: 'user', content: 'hi' }] },
    destination: dest,
  }),
  // Flex is an OpenAI and Gemini tier: Anthropic has none.
  JSON.stringify({
    custom_id: 'bad-tier-0001',
    provider: 'anthropic',
    tier: 'flex',
    body: anthropicHi,
    destination: dest,
  }),
];
// Bedrock names its model in `model`, not in the body.
bad.push(
  JSON.stringify({
    custom_id: 'bad-bedrock-model-0001',
    provider: 'bedrock',
    body: { messages: [{ role: 'user', content: [{ text: 'hi' }] }] },
    destination: dest,
  }),
);
// A provider profile takes only the endpoints it offers in batch (Groq: chat completions).
bad.push(
  JSON.stringify({
    custom_id: 'bad-profile-endpoint-0001',
    provider: 'groq',
    endpoint: '/v1/responses',
    body: { model: 'llama-3.1-8b-instant', input: 'hi' },
    destination: dest,
  }),
);
writeFileSync('examples/bad-requests.jsonl', `${bad.join('\n')}\n`);
console.log(`wrote ${lines.length} requests and ${bad.length} bad requests`);
