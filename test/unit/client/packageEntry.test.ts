import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as client from '../../../client/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('batchlane/client, as a consumer imports it', () => {
  it('is exported by the package, with its types', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
      dependencies: Record<string, string>;
    };
    expect(pkg.exports['./client']).toEqual({
      types: './client/index.ts',
      default: './client/entry.js',
    });
    // The entry loads the sources through tsx: a runtime dependency, kept by --omit=dev.
    expect(pkg.dependencies['tsx']).toBeDefined();
  });

  it('loads in plain Node by the package name, with every value the sources export', () => {
    // A child process without vitest's loaders: what a producer's program sees.
    const names = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const c = await import('batchlane/client'); console.log(JSON.stringify(Object.keys(c).sort()))",
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(JSON.parse(names)).toEqual(Object.keys(client).sort());
    // tsx compiles the sources on first load: slow on a busy machine.
  }, 60_000);

  it("works from a consumer's node_modules: plain Node runs it, TypeScript checks against its types", () => {
    // A consumer project with batchlane installed as a package (what `npm pack` holds of it
    // that the client needs) beside batchlane's own dependencies.
    const consumer = mkdtempSync(join(tmpdir(), 'batchlane-consumer-'));
    try {
      const modules = join(consumer, 'node_modules');
      mkdirSync(join(modules, 'batchlane'), { recursive: true });
      for (const name of readdirSync(join(ROOT, 'node_modules'))) {
        if (name !== '.cache') symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
      }
      for (const part of ['package.json', 'client', 'shared']) {
        cpSync(join(ROOT, part), join(modules, 'batchlane', part), { recursive: true });
      }
      writeFileSync(join(consumer, 'package.json'), '{"type":"module"}');
      const program = [
        "import { createBatchlaneClient, parseDelivery } from 'batchlane/client';",
        "const client = createBatchlaneClient({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/intake', maxMessageBytes: 1024 });",
        "const outcome = await client.send({ custom_id: 'has space', provider: 'openai', body: { model: 'gpt-4o-mini', messages: [] } });",
        "console.log(JSON.stringify([outcome.status, outcome.status === 'refused' ? outcome.code : null, parseDelivery('{}').kind]));",
        'client.destroy();',
      ].join('\n');
      writeFileSync(join(consumer, 'app.mjs'), program);
      const printed = execFileSync(process.execPath, ['app.mjs'], {
        cwd: consumer,
        encoding: 'utf8',
      });
      expect(JSON.parse(printed)).toEqual(['refused', 'invalid_custom_id', 'unknown']);

      writeFileSync(
        join(consumer, 'app.ts'),
        [
          "import { createBatchlaneClient, type SendOutcome } from 'batchlane/client';",
          "const client = createBatchlaneClient({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/intake' });",
          "const ok: SendOutcome = await client.send({ custom_id: 'a', provider: 'openai', body: {} });",
          '// @ts-expect-error: custom_id is a string',
          "await client.send({ custom_id: 1, provider: 'openai', body: {} });",
          'export { ok };',
        ].join('\n'),
      );
      writeFileSync(
        join(consumer, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2023',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
          },
          include: ['app.ts'],
        }),
      );
      // Throws (exit 2, with the errors) if the types did not resolve or did not check.
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], {
        cwd: consumer,
        encoding: 'utf8',
      });
    } finally {
      rmSync(consumer, { recursive: true, force: true });
    }
  }, 180_000);
});
