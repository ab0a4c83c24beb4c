import { join } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUNDLING } from '../infra/lambdaBundling.js';

/**
 * Bundles the bench's phase worker with the options the functions are bundled with for
 * Lambda (minified ESM, names kept, a source map beside it, every dependency inside), so each
 * phase's memory and speed are those of the code Lambda runs, not of TypeScript compiled on
 * load. The anchors and batchlane's phases are split into chunks, loaded on demand as the
 * worker imports them: an anchor never loads batchlane's code. Targets this machine's Node.
 */
const bundleBenchWorker = async (worker: string, outDir: string): Promise<string> => {
  await build({
    ...LAMBDA_BUNDLING,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    banner: { js: LAMBDA_BUNDLING.banner },
    entryPoints: { worker },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    sourcemap: true,
    logLevel: 'error',
  });
  return join(outDir, 'worker.mjs');
};

export { bundleBenchWorker };
