import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchlaneStack } from '../../infra/BatchlaneStack.js';
import { logicalIdOf } from './synthBatchlane.js';

/** Adapters loaded on first use; their class names survive minifying (`keepNames`). */
const BUNDLED_ADAPTERS = [
  'AnthropicBatchProvider',
  'OpenAIBatchProvider',
  'GeminiBatchProvider',
  'MistralBatchProvider',
  'BedrockBatchProvider',
  'AnthropicRealtimeProvider',
  'OpenAIRealtimeProvider',
  'GeminiRealtimeProvider',
  'MistralRealtimeProvider',
  'DeepSeekRealtimeProvider',
  'BedrockRealtimeProvider',
];

/**
 * The one test that bundles the real handlers (functions/*.ts) with esbuild, as `cdk synth`
 * does, so a broken handler import or bundling option fails here rather than at deploy.
 */
describe('Bundling: real handlers', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'batchlane-cdk-'));
  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  // esbuild bundles every handler with every provider SDK: minutes on a loaded 2-core machine.
  it('bundles each handler into one ESM file with its dependencies and a createRequire banner', () => {
    // Prepare
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new BatchlaneStack(app, 'Bundled');
    // Act
    const template = Template.fromStack(stack);
    // Assess
    const resources = template.toJSON().Resources as Record<
      string,
      { Metadata?: Record<string, string> }
    >;
    for (const fn of [stack.collector.function, stack.poller.function, stack.completion.function]) {
      const assetPath = resources[logicalIdOf(stack, fn.function)]?.Metadata?.['aws:asset:path'];
      expect(assetPath, fn.node.path).toBeDefined();
      const code = readFileSync(join(outdir, assetPath ?? '', 'index.mjs'), 'utf8');
      expect(code).toContain('createRequire');
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
      // The SDK is bundled (externalModules: []), not left for the runtime's own copy.
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
      // Provider adapters are imported at their first call (`import()`): bundled all the same,
      // no import left to resolve at run time but Node's own modules.
      expect(code).not.toMatch(/import\(\s*["'`](?!node:|crypto["'`])/);
      for (const adapter of BUNDLED_ADAPTERS) expect(code, adapter).toContain(`"${adapter}"`);
      expect(readFileSync(join(outdir, assetPath ?? '', 'index.mjs.map'), 'utf8')).toContain(
        '"mappings"',
      );
    }
  }, 300_000);
});
