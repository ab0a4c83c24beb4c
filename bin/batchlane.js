#!/usr/bin/env node
// The batchlane CLI. It runs the TypeScript sources through tsx, so the CLI and the
// deployed handlers share one code path and there is no separate build to keep in step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
