import { BedrockClient } from '@aws-sdk/client-bedrock';
import { GoogleGenAI } from '@google/genai';
import { inject } from 'vitest';
import { startSimulator } from '../../../local/simulator/startSimulator.js';
import { S3BlobStore } from '../../../shared/adapters/aws/S3BlobStore.js';
import { AnthropicBatchProvider } from '../../../shared/adapters/providers/AnthropicBatchProvider.js';
import { BedrockBatchProvider } from '../../../shared/adapters/providers/BedrockBatchProvider.js';
import { GeminiBatchProvider } from '../../../shared/adapters/providers/GeminiBatchProvider.js';
import { MistralBatchProvider } from '../../../shared/adapters/providers/MistralBatchProvider.js';
import { OpenAIBatchProvider } from '../../../shared/adapters/providers/OpenAIBatchProvider.js';
import { systemClock } from '../../../shared/adapters/system/systemClock.js';
import { formatProviderLine } from '../../../shared/domain/formatProviderLine.js';
import { describeBatchProviderContract } from '../../contract/BatchProviderContract.js';
import { createBucket, emulatorClients } from '../aws/awsTestKit.js';
import { API_KEY, waitForEnded } from '../providers/providerTestKit.js';

/** The simulator's own marker: a request whose custom id ends in it is refused. */
const REFUSED = '__sim_invalid_request_error';

describeBatchProviderContract('AnthropicBatchProvider on the simulator', async () => {
  const sim = await startSimulator({ port: 0, processingMs: 300, seed: 3, apiKeys: [API_KEY] });
  const provider = new AnthropicBatchProvider({ apiKey: API_KEY, baseUrl: sim.anthropicBaseUrl });
  const line = (customId: string): string =>
    formatProviderLine('anthropic', '/v1/messages', customId, {
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: `question for ${customId}` }],
    });
  return {
    port: provider,
    endpoint: '/v1/messages',
    unknownId: 'msgbatch_013Zva2CMHLNnXjNJJKqJ2EF',
    line,
    refused: (base) => ({
      line: line(`${base}${REFUSED}`),
      customId: `${base}${REFUSED}`,
      errorType: 'invalid_request_error',
    }),
    waitForEnded: (id) => waitForEnded(provider, id),
    slowDown: () => sim.setFaults({ processingMs: 60_000 }),
    expireResults: () => sim.setFaults({ resultsRetentionMs: 0 }),
    wrongKey: new AnthropicBatchProvider({
      apiKey: 'sk-wrong',
      baseUrl: sim.anthropicBaseUrl,
      maxRetries: 0,
    }),
    close: () => sim.stop(),
  };
});

describeBatchProviderContract('OpenAIBatchProvider on the simulator', async () => {
  const sim = await startSimulator({ port: 0, processingMs: 300, seed: 4, apiKeys: [API_KEY] });
  const provider = new OpenAIBatchProvider({ apiKey: API_KEY, baseUrl: sim.openaiBaseUrl });
  const line = (customId: string): string =>
    formatProviderLine('openai', '/v1/chat/completions', customId, {
      model: 'gpt-4o-mini',
      max_tokens: 64,
      messages: [{ role: 'user', content: `question for ${customId}` }],
    });
  return {
    port: provider,
    endpoint: '/v1/chat/completions',
    unknownId: 'batch_abc123doesnotexist',
    line,
    refused: (base) => ({
      line: line(`${base}${REFUSED}`),
      customId: `${base}${REFUSED}`,
      errorType: 'invalid_request_error',
    }),
    waitForEnded: (id) => waitForEnded(provider, id),
    slowDown: () => sim.setFaults({ processingMs: 60_000 }),
    expireResults: () => sim.setFaults({ resultsRetentionMs: 0 }),
    wrongKey: new OpenAIBatchProvider({
      apiKey: 'sk-wrong',
      baseUrl: sim.openaiBaseUrl,
      maxRetries: 0,
    }),
    close: () => sim.stop(),
  };
});

describeBatchProviderContract('GeminiBatchProvider on the simulator', async () => {
  const sim = await startSimulator({ port: 0, processingMs: 300, seed: 5, apiKeys: [API_KEY] });
  let provider = new GeminiBatchProvider({ apiKey: API_KEY, baseUrl: sim.geminiBaseUrl });
  const line = (customId: string, body: Record<string, unknown> = {}): string =>
    formatProviderLine('gemini', 'generateContent', customId, {
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ text: `question for ${customId}` }] }],
      generationConfig: { maxOutputTokens: 64 },
      ...body,
    });
  return {
    get port() {
      return provider;
    },
    endpoint: 'generateContent',
    unknownId: 'batches/does-not-exist',
    line: (customId) => line(customId),
    // Gemini refuses a request with no contents, by its own status word.
    refused: (base) => ({
      line: line(base, { contents: [] }),
      customId: base,
      errorType: 'INVALID_ARGUMENT',
    }),
    waitForEnded: (id) => waitForEnded(provider, id),
    // The simulator takes Gemini's per-batch knobs from a header its client sends.
    slowDown: () => {
      provider = new GeminiBatchProvider({
        client: new GoogleGenAI({
          apiKey: API_KEY,
          httpOptions: {
            baseUrl: sim.geminiBaseUrl,
            headers: { 'x-sim-faults': JSON.stringify({ processingMs: 60_000 }) },
          },
        }),
      });
    },
    wrongKey: new GeminiBatchProvider({ apiKey: 'wrong-key', baseUrl: sim.geminiBaseUrl }),
    close: () => sim.stop(),
  };
});

describeBatchProviderContract(
  'BedrockBatchProvider on the simulator and fauxqs',
  async () => {
    const clients = emulatorClients();
    const sim = await startSimulator({
      port: 0,
      // Long enough to cancel a job while it runs: its time is fixed when the simulator starts.
      processingMs: 3_000,
      seed: 6,
      limits: { bedrockMinRecords: 1 },
      bedrock: { s3Endpoint: inject('awsEnv').AWS_ENDPOINT_URL_S3 },
    });
    const files = new S3BlobStore({
      client: clients.s3,
      bucket: await createBucket(clients, 'contract-bedrock'),
    });
    // Results made gone: the output objects the ended job names, deleted from the bucket.
    let expireResults = false;
    const provider = new BedrockBatchProvider({
      client: new BedrockClient({
        endpoint: sim.bedrockEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
      files,
      roleArn: 'arn:aws:iam::000000000000:role/batchlane-bedrock-batch',
      clock: systemClock,
    });
    const line = (customId: string, body: Record<string, unknown> = {}): string =>
      formatProviderLine('bedrock', '/model/invoke', customId, {
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 64,
        messages: [{ role: 'user', content: [{ type: 'text', text: `question ${customId}` }] }],
        ...body,
      });
    return {
      port: provider,
      endpoint: '/model/invoke',
      unknownId: 'arn:aws:bedrock:us-east-1:000000000000:model-invocation-job/abcdefghijkl',
      models: ['us.anthropic.claude-haiku-4-5-20251001-v1:0'],
      line: (customId) => line(customId),
      // Bedrock names a refused record by the status its model answered.
      refused: (base) => ({
        line: line(base, { messages: [] }),
        customId: base,
        errorType: 'bedrock_error_400',
      }),
      waitForEnded: async (id) => {
        const ended = await waitForEnded(provider, id);
        if (expireResults) for (const ref of ended.resultRefs) await files.delete(ref);
        return ended;
      },
      slowDown: () => undefined,
      expireResults: () => {
        expireResults = true;
      },
      close: async () => {
        await sim.stop();
        clients.destroy();
      },
    };
  },
  { checksKeys: false },
);

describeBatchProviderContract('MistralBatchProvider on the simulator', async () => {
  const sim = await startSimulator({ port: 0, processingMs: 300, seed: 9, apiKeys: [API_KEY] });
  const provider = new MistralBatchProvider({ apiKey: API_KEY, baseUrl: sim.mistralBaseUrl });
  const line = (customId: string): string =>
    formatProviderLine('mistral', '/v1/chat/completions', customId, {
      model: 'mistral-small-latest',
      max_tokens: 64,
      messages: [{ role: 'user', content: `question for ${customId}` }],
    });
  return {
    port: provider,
    endpoint: '/v1/chat/completions',
    unknownId: '00000000-0000-4000-a000-000000000000',
    line,
    // Mistral's error line carries its HTTP answer; an injected 400 names its type.
    refused: (base) => ({
      line: line(`${base}${REFUSED}`),
      customId: `${base}${REFUSED}`,
      errorType: 'invalid_request_error',
    }),
    waitForEnded: (id) => waitForEnded(provider, id),
    slowDown: () => sim.setFaults({ processingMs: 60_000 }),
    wrongKey: new MistralBatchProvider({
      apiKey: 'wrong',
      baseUrl: sim.mistralBaseUrl,
      maxRetries: 0,
    }),
    close: () => sim.stop(),
  };
});
