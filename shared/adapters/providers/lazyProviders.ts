import type { ProviderName } from '../../contract/providers.js';
import type { BatchProvider } from '../../ports/BatchProvider.js';
import type { RealtimeProvider } from '../../ports/RealtimeProvider.js';

/*
 * A provider's adapter and its SDK are loaded at the first call that needs them, not when a
 * function starts: the SDKs are tens of MB of modules each (Mistral's alone ~80 MB of RSS),
 * only the enabled providers' are ever needed, and some functions never call a provider at
 * all (the collector hands sealing off; the completion function calls one to submit and to
 * download results). The factories pass a loader that imports the adapter's module with a
 * string-literal `import()`, which esbuild still bundles into the handler's one file, where
 * it is evaluated only when called.
 */

/** Loads once; a failed load (a module that could not be read) is tried again next time. */
const loadOnce = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
};

/** A batch provider whose adapter is built on first use; `adapter()` builds it now. */
interface LazyBatchProvider extends BatchProvider {
  adapter(): Promise<BatchProvider>;
}

/**
 * Every method of the port, each loading the adapter first. The optional ones are always
 * present and answer as their absence would (`findByBatchId` finds nothing, `deleteArtifacts`
 * deletes nothing) where the adapter lacks them: the use cases read both the same way.
 */
const lazyBatchProvider = (
  name: ProviderName,
  load: () => Promise<BatchProvider>,
): LazyBatchProvider => {
  const adapter = loadOnce(load);
  return {
    name,
    adapter,
    submit: async (input) => (await adapter()).submit(input),
    retrieve: async (providerBatchId) => (await adapter()).retrieve(providerBatchId),
    cancel: async (providerBatchId) => (await adapter()).cancel(providerBatchId),
    openResults: async (ref) => (await adapter()).openResults(ref),
    deleteArtifacts: async (providerBatchId) => {
      await (await adapter()).deleteArtifacts?.(providerBatchId);
    },
    findByBatchId: async (batchId, hint) =>
      (await (await adapter()).findByBatchId?.(batchId, hint)) ?? null,
  };
};

/** A realtime provider whose adapter is built on first use; `adapter()` builds it now. */
interface LazyRealtimeProvider extends RealtimeProvider {
  adapter(): Promise<RealtimeProvider>;
}

/**
 * `supportsFlex` is read without a call (the collector routes by it), so the factory states
 * it; a unit test holds it equal to the loaded adapter's.
 */
const lazyRealtimeProvider = (
  name: ProviderName,
  supportsFlex: boolean,
  load: () => Promise<RealtimeProvider>,
): LazyRealtimeProvider => {
  const adapter = loadOnce(load);
  return {
    name,
    supportsFlex,
    adapter,
    invoke: async (call, options) => (await adapter()).invoke(call, options),
  };
};

export {
  type LazyBatchProvider,
  type LazyRealtimeProvider,
  lazyBatchProvider,
  lazyRealtimeProvider,
};
