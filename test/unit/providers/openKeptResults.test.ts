import { describe, expect, it, vi } from 'vitest';
import { openKeptResults } from '../../../shared/adapters/providers/batchProviderParts.js';
import {
  AuthError,
  NotFoundError,
  PROVIDER_RESULTS_GONE,
  UnavailableError,
} from '../../../shared/domain/errors.js';

const notFound = new NotFoundError('file-1 404', { code: 'not_found' });

describe('openKeptResults', () => {
  it('opens what is there without a second look', async () => {
    const stillThere = vi.fn(async () => true);
    expect(await openKeptResults('openai', 'file-1', async () => 'bytes', stillThere)).toBe(
      'bytes',
    );
    expect(stillThere).not.toHaveBeenCalled();
  });

  it('says a file is gone for good when its record is gone too', async () => {
    const opened = openKeptResults(
      'openai',
      'file-1',
      () => Promise.reject(notFound),
      async () => false,
    );
    await expect(opened).rejects.toBeInstanceOf(NotFoundError);
    await expect(opened).rejects.toMatchObject({
      code: PROVIDER_RESULTS_GONE,
      retryable: false,
      cause: notFound,
      details: { provider: 'openai', ref: 'file-1' },
    });
  });

  it('keeps the download error when the file is still described: missing for a moment', async () => {
    const opened = openKeptResults(
      'openai',
      'file-1',
      () => Promise.reject(notFound),
      async () => true,
    );
    await expect(opened).rejects.toBe(notFound);
  });

  it('takes no other failure for a missing file, and lets the second look fail as it fails', async () => {
    const outage = new UnavailableError('503', { code: 'unavailable' });
    const stillThere = vi.fn(async () => false);
    await expect(
      openKeptResults('openai', 'file-1', () => Promise.reject(outage), stillThere),
    ).rejects.toBe(outage);
    expect(stillThere).not.toHaveBeenCalled();

    const refused = new AuthError('401', { code: 'unauthorized' });
    await expect(
      openKeptResults(
        'openai',
        'file-1',
        () => Promise.reject(notFound),
        () => Promise.reject(refused),
      ),
    ).rejects.toBe(refused);
  });

  it('reads a provider-specific missing answer (Gemini 403) when told to', async () => {
    const forbidden = new AuthError('403', { code: 'forbidden' });
    const opened = openKeptResults(
      'gemini',
      'files/f1',
      () => Promise.reject(forbidden),
      async () => false,
      (error) => error instanceof AuthError && error.code === 'forbidden',
    );
    await expect(opened).rejects.toMatchObject({ code: PROVIDER_RESULTS_GONE });
  });
});
