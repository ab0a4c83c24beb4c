import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
});
