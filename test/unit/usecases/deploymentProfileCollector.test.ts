import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../../shared/contract/events.js';
import { resolveProfiles } from '../../../shared/contract/providerProfile.js';
import { providerRegistry } from '../../../shared/contract/providerRegistry.js';
import { createCollector } from '../../../shared/usecases/createCollector.js';
import { fakeRuntime } from '../../support/fakeRuntime.js';

/** A deployment's own profile whose batches hold two requests, one model each. */
const resolved = resolveProfiles([
  {
    id: 'acme',
    baseUrl: 'https://api.acme.example/v1',
    key: { secretName: 'batchlane/acme', envVar: 'ACME_API_KEY' },
    endpoints: ['/v1/chat/completions'],
    limits: { maxRequests: 2, maxBytes: 1_000_000, maxEnqueuedTokens: null },
    window: { request: '24h', accepted: ['24h'], runsPastHours: null },
    batchDiscount: 0.5,
  },
]);
if (!resolved.ok) throw new Error(resolved.issues.join('; '));
const registry = providerRegistry(resolved.profiles);

const DESTINATION = {
  type: 'sqs',
  queue_url: 'https://sqs.us-east-1.amazonaws.com/111111111111/results',
} as const;

const message = (id: string, provider = 'acme', model = 'acme-chat-1') => ({
  messageId: `m-${id}`,
  body: JSON.stringify({
    custom_id: id,
    provider,
    body: { model, messages: [{ role: 'user', content: id }] },
    destination: DESTINATION,
  }),
});

const runtimeWith = (enabledProviders: readonly string[]) =>
  fakeRuntime({
    settings: {
      enabledProviders,
      registry,
      lanePolicy: { batchWindowMs: 24 * 3_600_000, batchMarginMs: 3_600_000, registry },
    },
  });

const rejectionCodes = (runtime: ReturnType<typeof fakeRuntime>): Record<string, string> =>
  Object.fromEntries(
    runtime.events
      .published()
      .filter((event) => event.detailType === DETAIL_TYPES.requestRejected)
      .map((event) => {
        const detail = event.detail as { custom_id: string; reason: { code: string } };
        return [detail.custom_id, detail.reason.code];
      }),
  );

describe("the collector with a deployment's own profile", () => {
  it('packs its requests to its limits, one model per batch', async () => {
    const runtime = runtimeWith(['acme']);
    const report = await createCollector(runtime.deps)([
      message('a-1'),
      message('a-2'),
      message('a-3'),
      message('b-1', 'acme', 'acme-chat-2'),
    ]);

    expect(report).toMatchObject({ accepted: 4, rejected: 0, failedMessageIds: [] });
    const batches = await Promise.all(report.batches.map((id) => runtime.store.getBatch(id)));
    expect(batches.map((batch) => batch?.provider)).toEqual(['acme', 'acme', 'acme']);
    // Two requests at most per batch, and acme-chat-2 never shares one with acme-chat-1.
    expect(batches.map((batch) => [batch?.models, batch?.requestCount])).toEqual(
      expect.arrayContaining([
        [['acme-chat-1'], 2],
        [['acme-chat-1'], 1],
        [['acme-chat-2'], 1],
      ]),
    );
  });

  it('refuses it when not enabled, and an id no one defines as unknown', async () => {
    const runtime = runtimeWith(['anthropic']);
    const report = await createCollector(runtime.deps)([
      message('off-1'),
      message('nobody-1', 'nobody'),
    ]);

    expect(report).toMatchObject({ accepted: 0, rejected: 2, batches: [] });
    expect(rejectionCodes(runtime)).toEqual({
      'off-1': 'provider_not_enabled',
      'nobody-1': 'unknown_provider',
    });
  });
});
