/**
 * How every function is bundled for Lambda, in esbuild's own terms: `BatchFunction` hands
 * these to `NodejsFunction`, and the bench bundles its phases with the same options, so what
 * it measures is the code Lambda runs. No CDK import here: the bench loads this file.
 */

/**
 * Bundles are ESM (`.mjs`); some bundled dependencies still call `require` for Node
 * built-ins, which ESM output only supports through `createRequire`.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __batchlaneCreateRequire } from 'node:module'; const require = __batchlaneCreateRequire(import.meta.url);";

/** The Node.js version Lambda runs the functions on (`Runtime.NODEJS_22_X`). */
const LAMBDA_NODE_TARGET = 'node22';

const LAMBDA_BUNDLING = {
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  keepNames: true,
  sourcesContent: false,
} as const;

/** What the functions' `NODE_OPTIONS` holds: stack traces name the TypeScript sources. */
const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

export { ESM_REQUIRE_BANNER, LAMBDA_BUNDLING, LAMBDA_NODE_OPTIONS, LAMBDA_NODE_TARGET };
