import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/runCli.ts', import.meta.url));

describe('runSimulatorCli', () => {
  it('starts from argv, prints both base URLs, serves the SDKs and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fixture,
        '--port',
        '0',
        '--processing-ms',
        '50',
        '--seed',
        '3',
        '--api-key',
        'cli-key',
        '--profile',
        'acme:acme-chat-1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let output = '';
      child.stdout.setEncoding('utf8');
      const anthropicUrl = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          output += chunk;
          const match = /ANTHROPIC_BASE_URL=(\S+)/.exec(output);
          if (match?.[1] !== undefined && output.includes('GEMINI_BASE_URL=')) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited early (${code}): ${output}`)));
      });
      expect(output).toContain(`OPENAI_BASE_URL=${anthropicUrl}/v1`);
      const geminiUrl = /GEMINI_BASE_URL=(\S+)/.exec(output)?.[1] ?? '';
      expect(geminiUrl).toBe(anthropicUrl);
      const gemini = new GoogleGenAI({ apiKey: 'cli-key', httpOptions: { baseUrl: geminiUrl } });
      expect((await gemini.batches.list()).page).toEqual([]);
      const anthropic = new Anthropic({ apiKey: 'cli-key', baseURL: anthropicUrl });
      expect((await anthropic.messages.batches.list()).data).toEqual([]);
      const openai = new OpenAI({ apiKey: 'other', baseURL: `${anthropicUrl}/v1`, maxRetries: 0 });
      await expect(openai.batches.list()).rejects.toThrow(OpenAI.AuthenticationError);
      // A deployment's own profile, served where the line printed for it says.
      expect(output).toContain(`BATCHLANE_ACME_BASE_URL=${anthropicUrl}/profiles/acme/v1`);
      const acme = new OpenAI({ apiKey: 'cli-key', baseURL: `${anthropicUrl}/profiles/acme/v1` });
      const chat = await acme.chat.completions.create({
        model: 'acme-chat-1',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(chat.object).toBe('chat.completion');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
