import { noMetrics, silentLogger } from '../../shared/ports/Logger.js';
import type { RuntimeDeps, RuntimeSettings } from '../../shared/usecases/RuntimeDeps.js';
import { uniqueName } from '../integration/aws/awsTestKit.js';
import { defaultFakeSettings } from './fakeRuntime.js';

/**
 * A port a test does not expect to be used: each of its methods rejects, naming the port and
 * the method, so a use case reaching for it fails the test with a clear message instead of
 * reading `undefined`.
 */
const unusedPort = <T extends object>(name: string): T =>
  new Proxy({} as T, {
    get: (_target, method) =>
      // Not a thenable: awaiting the port itself must not call it.
      method === 'then'
        ? undefined
        : () => Promise.reject(new Error(`${name}.${String(method)} is not used in this test`)),
  });

/** The ports a test runs for real, with the settings it changes. */
type PortsUnderTest = Pick<RuntimeDeps, 'store' | 'providers'> &
  Partial<Omit<RuntimeDeps, 'settings'>> & { readonly settings?: Partial<RuntimeSettings> };

/**
 * Use-case dependencies around the ports a test runs for real (the state store on the
 * emulators, a provider adapter on the simulator): every other port is an {@link unusedPort},
 * no realtime lane, the wall clock, unique ids, and the fake runtime's default settings with
 * the test's changes.
 */
const runtimeOnPorts = ({ settings, ...ports }: PortsUnderTest): RuntimeDeps => ({
  blobs: unusedPort('blobs'),
  claimChecks: unusedPort('claimChecks'),
  events: unusedPort('events'),
  deliverer: unusedPort('deliverer'),
  completion: { notifyEnded: async () => undefined, retrySoon: async () => undefined },
  costs: unusedPort('costs'),
  budgets: unusedPort('budgets'),
  realtime: null,
  realtimeProviders: {},
  requeue: null,
  clock: { now: () => new Date() },
  ids: { next: (prefix) => uniqueName(prefix) },
  logger: silentLogger,
  metrics: noMetrics,
  ...ports,
  settings: { ...defaultFakeSettings(), ...settings },
});

export { type PortsUnderTest, runtimeOnPorts, unusedPort };
