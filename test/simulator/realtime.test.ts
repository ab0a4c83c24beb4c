import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/simulator/startSimulator.js';
import { API_KEY, anthropicClient, messageParams, openaiClient } from './simulatorTestKit.js';

let sim: RunningSimulator;
let anthropic: Anthropic;
let openai: OpenAI;
let openaiNoRetries: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ seed: 21, apiKeys: [API_KEY] });
  anthropic = anthropicClient(sim);
  openai = openaiClient(sim);
  openaiNoRetries = openaiClient(sim, 0);
});

afterEach(() => {
  sim.setFaults({});
});

afterAll(async () => {
  await sim.stop();
});

const chatBody = (text: string, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-5-mini',
  messages: [{ role: 'user' as const, content: text }],
  max_completion_tokens: 200,
  ...extra,
});

const withFaults = (faults: object) => ({ headers: { 'x-sim-faults': JSON.stringify(faults) } });

/** The rejection of `promise`, which must reject. */
const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
};

describe('Simulator: synchronous POST /v1/messages', () => {
  it('answers a Message at the standard tier through the official SDK', async () => {
    // Act
    const message = await anthropic.messages.create(messageParams('Grade this answer: 42'));

    // Assess
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      usage: { service_tier: 'standard' },
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.content[0]?.type).toBe('text');
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('refuses stream: true with 400', async () => {
    const error = await rejectionOf(
      anthropic.messages.create({ ...messageParams('hello'), stream: true }),
    );

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error' });
  });

  it.each([
    ['a missing max_tokens', { model: 'claude-sonnet-4-6', messages: [] }, 400],
    ['an empty messages list', { ...messageParams('x'), messages: [] }, 400],
    ['temperature under API version 2026-10-21', { ...messageParams('x'), temperature: 0.2 }, 400],
    ['an unknown service_tier', { ...messageParams('x'), service_tier: 'flex' }, 400],
  ])('answers 400 invalid_request_error for %s', async (_name, params, status) => {
    const error = await rejectionOf(
      anthropic.messages.create(params as Anthropic.MessageCreateParamsNonStreaming),
    );

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error).toMatchObject({ status, type: 'invalid_request_error' });
  });

  it('answers 404 not_found_error for an unknown model', async () => {
    const error = await rejectionOf(
      anthropic.messages.create({ ...messageParams('x'), model: 'gpt-4o' }),
    );

    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error).toMatchObject({ type: 'not_found_error', apiMessage: 'model: gpt-4o' });
  });

  it('answers 404 for a Claude-like name that is no model, and 400 above the output cap', async () => {
    const unknown = await rejectionOf(
      anthropic.messages.create({ ...messageParams('x'), model: 'claude-sonnet-9-9' }),
    );
    // An explicit timeout, or the SDK itself refuses so large a non-streaming call.
    const tooMany = await rejectionOf(
      anthropic.messages.create(
        { ...messageParams('x'), max_tokens: 1_000_000 },
        { timeout: 30_000 },
      ),
    );

    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect(unknown).toMatchObject({ apiMessage: 'model: claude-sonnet-9-9' });
    expect(tooMany).toBeInstanceOf(Anthropic.BadRequestError);
    expect(tooMany).toMatchObject({ type: 'invalid_request_error' });
    expect((tooMany as { apiMessage?: string }).apiMessage).toMatch(
      /^max_tokens: 1000000 > \d+, which is the maximum allowed number of output tokens for /,
    );
  });

  it('accepts parameters only batches refuse', async () => {
    const message = await anthropic.messages.create({
      ...messageParams('x'),
      ...{ store: false },
    } as Anthropic.MessageCreateParamsNonStreaming);

    expect(message.type).toBe('message');
  });
});

describe('Simulator: synchronous OpenAI endpoints', () => {
  it('grants flex on chat completions and echoes the tier used', async () => {
    const flex = await openai.chat.completions.create(chatBody('hi', { service_tier: 'flex' }));
    const standard = await openai.chat.completions.create(chatBody('hi'));
    const auto = await openai.chat.completions.create(chatBody('hi', { service_tier: 'auto' }));

    expect(flex).toMatchObject({ object: 'chat.completion', model: 'gpt-5-mini' });
    expect(flex.service_tier).toBe('flex');
    expect(standard.service_tier).toBe('default');
    expect(auto.service_tier).toBe('default');
    // The tier does not change what the model says.
    expect(flex.choices[0]?.message.content).toBe(standard.choices[0]?.message.content);
  });

  it('grants flex on responses and serves embeddings without a tier', async () => {
    const response = await openai.responses.create({
      model: 'gpt-5-mini',
      input: 'Summarise the report',
      service_tier: 'flex',
    });
    const embeddings = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['one', 'two'],
    });

    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      service_tier: 'flex',
    });
    expect(response.output_text.length).toBeGreaterThan(0);
    expect(embeddings.data).toHaveLength(2);
    expect(embeddings.data[0]?.embedding).toHaveLength(1536);
    expect(embeddings).not.toHaveProperty('service_tier');
  });

  it('answers flex with 429 resource_unavailable and a retry-after-ms the SDK sees', async () => {
    // Prepare
    const faults = withFaults({ flexUnavailableRate: 1, flexRetryAfterMs: 7 });

    // Act
    const error = await rejectionOf(
      openaiNoRetries.chat.completions.create(chatBody('hi', { service_tier: 'flex' }), faults),
    );
    const standard = await openaiNoRetries.chat.completions.create(chatBody('hi'), faults);

    // Assess
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'resource_unavailable' });
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after-ms')).toBe(
      '7',
    );
    expect(standard.service_tier).toBe('default');
  });

  it("lets the SDK's default retries ride out a burst of flex refusals", async () => {
    // Prepare
    const faults = withFaults({
      flexUnavailableRate: 1,
      flexUnavailableMaxPerRequest: 2,
      flexRetryAfterMs: 1,
    });
    const before = sim.stats().http.requests;

    // Act
    const completion = await openai.chat.completions.create(
      chatBody('burst', { service_tier: 'flex' }),
      faults,
    );

    // Assess
    expect(completion.service_tier).toBe('flex');
    expect(sim.stats().http.requests - before).toBe(3);
  });

  it('serves a downgraded flex request at the default tier', async () => {
    sim.setFaults({ flexDowngradeRate: 1 });

    const completion = await openai.chat.completions.create(
      chatBody('hi', { service_tier: 'flex' }),
    );

    expect(completion.service_tier).toBe('default');
  });

  it('refuses stream: true with 400', async () => {
    const error = await rejectionOf(
      openai.chat.completions.create({ ...chatBody('hi'), stream: true }),
    );

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'stream' });
  });

  it.each([
    ['chat without messages', '/chat/completions', { model: 'gpt-5-mini' }, 400, 'messages'],
    ['responses without input', '/responses', { model: 'gpt-5-mini' }, 400, 'input'],
    [
      'embeddings of nothing',
      '/embeddings',
      { model: 'text-embedding-3-small', input: [] },
      400,
      'input',
    ],
    [
      'a bad service_tier',
      '/chat/completions',
      chatBody('x', { service_tier: 'cheap' }),
      400,
      'service_tier',
    ],
    [
      'a missing model',
      '/chat/completions',
      { messages: [{ role: 'user', content: 'x' }] },
      400,
      'model',
    ],
  ])('answers 400 for %s', async (_name, path, body, status, param) => {
    const error = await rejectionOf(openai.post(path, { body }));

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status, param, type: 'invalid_request_error' });
  });

  it('answers 404 model_not_found for an unknown model', async () => {
    const error = await rejectionOf(
      openai.chat.completions.create({ ...chatBody('x'), model: 'claude-sonnet-4-6' }),
    );

    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ code: 'model_not_found' });
  });

  it('answers 404 for a GPT-like name that is no model, and 400 above the output cap', async () => {
    const unknown = await rejectionOf(
      openai.chat.completions.create({ ...chatBody('x'), model: 'gpt-9-ultra' }),
    );
    const tooMany = await rejectionOf(
      openai.chat.completions.create({
        ...chatBody('x'),
        model: 'gpt-4o-mini',
        max_completion_tokens: 20_000,
      }),
    );

    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown).toMatchObject({ code: 'model_not_found' });
    expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);
    expect(tooMany).toMatchObject({
      param: 'max_completion_tokens',
      code: 'invalid_value',
      message: expect.stringContaining(
        'max_completion_tokens is too large: 20000. This model supports at most 16384 completion tokens',
      ),
    });
  });

  it('refuses a malformed x-sim-faults header with 400', async () => {
    const error = await rejectionOf(
      openai.chat.completions.create(chatBody('x'), withFaults({ flexUnavailableRat: 1 })),
    );

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('applies the HTTP fault storm to synchronous calls, within the SDK retry rule', async () => {
    sim.setFaults({ http: { rate: 1, statuses: [503], retryAfterMs: 1 } });

    const error = await rejectionOf(openaiNoRetries.chat.completions.create(chatBody('x')));
    const recovered = await openai.chat.completions.create(chatBody('x'));
    const message = await anthropic.messages.create(messageParams('x'));

    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 503 });
    expect(recovered.object).toBe('chat.completion');
    expect(message.type).toBe('message');
  });

  it('lets a client timeout cut a slow answer short', async () => {
    const slow = new OpenAI({
      apiKey: API_KEY,
      baseURL: sim.openaiBaseUrl,
      maxRetries: 0,
      timeout: 100,
    });

    const error = await rejectionOf(
      slow.chat.completions.create(chatBody('x'), withFaults({ realtimeLatencyMs: 30_000 })),
    );

    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });
});

describe('Simulator: determinism of synchronous answers', () => {
  it('answers the same params with the same body for a seed, and differently for another', async () => {
    // Prepare
    const twin = await startSimulator({ seed: 21 });
    const other = await startSimulator({ seed: 22 });
    try {
      const params = chatBody('What is the capital of France?');
      const ask = (target: RunningSimulator) =>
        openaiClient(target).chat.completions.create(params);

      // Act
      const [first, second, third] = await Promise.all([ask(sim), ask(twin), ask(other)]);
      const [m1, m2] = await Promise.all([
        anthropic.messages.create(messageParams('Same question')),
        anthropicClient(twin).messages.create(messageParams('Same question')),
      ]);

      // Assess
      const { created: _c1, ...a } = first;
      const { created: _c2, ...b } = second;
      expect(a).toEqual(b);
      expect(third.choices[0]?.message.content).not.toBe(first.choices[0]?.message.content);
      expect(m1).toEqual(m2);
    } finally {
      await twin.stop();
      await other.stop();
    }
  });
});
