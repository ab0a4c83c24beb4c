import { describe, expect, it, vi } from 'vitest';
import { createRealtimeProviders } from '../../../shared/adapters/providers/createRealtimeProviders.js';
import {
  type LazyRealtimeProvider,
  lazyBatchProvider,
  lazyRealtimeProvider,
} from '../../../shared/adapters/providers/lazyProviders.js';
import { type BuiltInProviderName, PROVIDERS } from '../../../shared/contract/providers.js';
import type { BatchProvider, ProviderBatchSnapshot } from '../../../shared/ports/BatchProvider.js';
import type { RealtimeProvider } from '../../../shared/ports/RealtimeProvider.js';

const snapshot: ProviderBatchSnapshot = {
  providerBatchId: 'pb-1',
  phase: 'running',
  providerStatus: 'in_progress',
  expiresAt: null,
  endedAt: null,
  failure: null,
  resultRefs: [],
};

/** A batch adapter without the port's optional methods. */
const bareAdapter = (): BatchProvider => ({
  name: 'anthropic',
  submit: async () => snapshot,
  retrieve: async () => snapshot,
  cancel: async () => snapshot,
  openResults: () => Promise.reject(new Error('no results')),
});

describe('lazyBatchProvider', () => {
  it('builds its adapter at the first call, once', async () => {
    const load = vi.fn(async () => bareAdapter());
    const provider = lazyBatchProvider('anthropic', load);
    expect(load).not.toHaveBeenCalled();
    expect(provider.name).toBe('anthropic');

    await Promise.all([provider.retrieve('pb-1'), provider.cancel('pb-1')]);
    await provider.retrieve('pb-1');

    expect(load).toHaveBeenCalledTimes(1);
  });

  it('answers for optional methods the adapter lacks as their absence would', async () => {
    const provider = lazyBatchProvider('anthropic', async () => bareAdapter());
    const hint = { submittedAfter: new Date(0), requestCount: 1 };

    await expect(provider.findByBatchId?.('b-1', hint)).resolves.toBeNull();
    await expect(provider.deleteArtifacts?.('pb-1')).resolves.toBeUndefined();
  });

  it('passes calls and their answers through to the adapter', async () => {
    const findByBatchId = vi.fn(async () => snapshot);
    const deleteArtifacts = vi.fn(async () => undefined);
    const provider = lazyBatchProvider('anthropic', async () => ({
      ...bareAdapter(),
      findByBatchId,
      deleteArtifacts,
    }));
    const hint = { submittedAfter: new Date(0), requestCount: 3 };

    await expect(provider.findByBatchId?.('b-1', hint)).resolves.toBe(snapshot);
    await provider.deleteArtifacts?.('pb-9');

    expect(findByBatchId).toHaveBeenCalledWith('b-1', hint);
    expect(deleteArtifacts).toHaveBeenCalledWith('pb-9');
  });

  it('tries a failed load again at the next call', async () => {
    const load = vi
      .fn<() => Promise<BatchProvider>>()
      .mockRejectedValueOnce(new Error('module not readable'))
      .mockResolvedValue(bareAdapter());
    const provider = lazyBatchProvider('anthropic', load);

    await expect(provider.retrieve('pb-1')).rejects.toThrow('module not readable');
    await expect(provider.retrieve('pb-1')).resolves.toBe(snapshot);
    expect(load).toHaveBeenCalledTimes(2);
  });
});

describe('lazyRealtimeProvider', () => {
  it('states supportsFlex without loading, and invokes through the adapter', async () => {
    const invoke = vi.fn(async () => ({ status: 'succeeded' }) as never);
    const load = vi.fn(
      async (): Promise<RealtimeProvider> => ({ name: 'gemini', supportsFlex: true, invoke }),
    );
    const provider = lazyRealtimeProvider('gemini', true, load);
    expect(provider.supportsFlex).toBe(true);
    expect(load).not.toHaveBeenCalled();

    const call = { endpoint: '/v1/x', body: {}, lane: 'flex' as const };
    await provider.invoke(call);

    expect(invoke).toHaveBeenCalledWith(call, undefined);
    expect(load).toHaveBeenCalledTimes(1);
  });
});

describe('createRealtimeProviders: what is stated before loading', () => {
  it("states each provider's name and flex support as its loaded adapter does", async () => {
    const keyed = PROVIDERS.filter((name) => name !== 'bedrock');
    const connection = { apiKey: 'k', secretArn: null, baseUrl: 'http://127.0.0.1:1' };
    const providers = await createRealtimeProviders(
      {
        enabledProviders: keyed,
        providers: Object.fromEntries(keyed.map((name) => [name, connection])) as Record<
          BuiltInProviderName,
          typeof connection
        >,
      },
      async (conn) => conn.apiKey ?? '',
    );

    for (const name of keyed) {
      const lazy = providers[name] as LazyRealtimeProvider;
      const adapter = await lazy.adapter();
      expect({ name: lazy.name, supportsFlex: lazy.supportsFlex }, name).toEqual({
        name: adapter.name,
        supportsFlex: adapter.supportsFlex,
      });
    }
  });
});
