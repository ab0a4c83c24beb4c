import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../../../local/stack/emulators/startDynamoDbLocal.js';
import { ConfigError } from '../../../shared/domain/errors.js';

describe('startDynamoDbLocal', () => {
  it('tells the user to run npm run setup when the jar is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'no-ddb-'));
    try {
      const error = await startDynamoDbLocal({ dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('npm run setup');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
