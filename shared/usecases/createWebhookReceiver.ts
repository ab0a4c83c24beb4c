import { Webhook } from 'standardwebhooks';
import {
  BatchWebhookEventSchema,
  ENDED_EVENT_TYPES,
  isWebhookProvider,
  type WebhookProvider,
} from '../contract/providerPush.js';
import type { ProviderName } from '../contract/providers.js';
import { NotFoundError } from '../domain/errors.js';
import type { BatchProvider } from '../ports/BatchProvider.js';
import type { BatchRecords } from '../ports/BatchRecords.js';
import type { Clock } from '../ports/Clock.js';
import type { CompletionNotifier } from '../ports/CompletionNotifier.js';
import type { Logger } from '../ports/Logger.js';
import type { PushSecrets } from '../ports/PushSecrets.js';
import type { WebhookReceipts } from '../ports/WebhookReceipts.js';

/** What the receiver needs: a narrow slice of the runtime plus its own two ports. */
interface WebhookReceiverDeps {
  readonly providers: Partial<Record<ProviderName, BatchProvider>>;
  readonly store: Pick<BatchRecords, 'getBatch'>;
  readonly completion: Pick<CompletionNotifier, 'notifyEnded'>;
  readonly pushSecrets: PushSecrets;
  readonly receipts: WebhookReceipts;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** One HTTP request as the function URL hands it over: lower-case header names, raw body. */
interface WebhookRequest {
  readonly provider: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/**
 * The receiver's answer. 2xx tells the provider to stop retrying: a duplicate, an event about
 * a batch that is not batchlane's, or one that is not an end, is acknowledged and dropped.
 * 4xx is a request that can never be good (forged, stale, malformed). A failure that may pass
 * (a provider or AWS call) is thrown instead, so the provider retries the delivery.
 */
interface WebhookOutcome {
  readonly status: 202 | 200 | 400 | 401 | 404 | 413;
  readonly code:
    | 'handed_to_completion'
    | 'duplicate'
    | 'ignored_event_type'
    | 'unknown_batch'
    | 'not_ended'
    | 'already_completed'
    | 'unknown_provider'
    | 'missing_headers'
    | 'body_too_large'
    | 'stale_timestamp'
    | 'invalid_signature'
    | 'malformed_event';
  readonly batchId?: string;
}

/** The Standard Webhooks default, also the OpenAI SDK's: older or newer is refused. */
const DEFAULT_TOLERANCE_SECONDS = 300;
/**
 * A received id is remembered past the longest provider retry window (OpenAI: 72 h; Gemini:
 * 24 h) and the timestamp tolerance: a replay within it is dropped as a duplicate, and one
 * after it is refused as stale.
 */
const RECEIPT_TTL_SECONDS = 72 * 3600 + 2 * DEFAULT_TOLERANCE_SECONDS;
/** Batch webhooks are thin (a type and an id): anything larger is not one. */
const MAX_BODY_BYTES = 64 * 1024;

interface WebhookReceiverOptions {
  readonly toleranceSeconds?: number;
}

/** Gemini names its batches `batches/<id>`; a webhook may carry either form. */
const providerBatchIdOf = (provider: WebhookProvider, id: string): string =>
  provider === 'gemini' && !id.startsWith('batches/') ? `batches/${id}` : id;

/** True when any of the live secrets (two during a rotation) signed this request. */
const signedByAnyOf = (
  secrets: readonly string[],
  body: string,
  headers: Record<string, string>,
): boolean =>
  secrets.some((secret) => {
    try {
      // Parsed here afterwards, so a signed body that is not JSON gets its own code.
      new Webhook(secret).verify(body, headers, { jsonParse: false });
      return true;
    } catch {
      return false;
    }
  });

/**
 * Receives a provider's batch webhook: verifies it (Standard Webhooks, against the provider's
 * endpoint secrets, within the timestamp tolerance), drops a `webhook-id` received before
 * (one conditional write), traces the provider batch it names back to batchlane's batch
 * through the provider itself (the payload is only a pointer, and is not trusted to say more),
 * and hands an ended batch to completion at once with the same message the poller sends.
 */
const createWebhookReceiver = (
  deps: WebhookReceiverDeps,
  options: WebhookReceiverOptions = {},
): ((request: WebhookRequest) => Promise<WebhookOutcome>) => {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const { logger } = deps;

  const verify = async (
    provider: WebhookProvider,
    request: WebhookRequest,
  ): Promise<WebhookOutcome | null> => {
    const id = request.headers['webhook-id'];
    const timestamp = request.headers['webhook-timestamp'];
    const signature = request.headers['webhook-signature'];
    if (!id || !timestamp || !signature) return { status: 400, code: 'missing_headers' };
    if (Buffer.byteLength(request.body) > MAX_BODY_BYTES) {
      return { status: 413, code: 'body_too_large' };
    }
    // Checked here on the injected clock, so a stale request has its own code; the library
    // checks the same window again on the system clock.
    const sentAt = Number(timestamp);
    const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - sentAt) > tolerance) {
      return { status: 401, code: 'stale_timestamp' };
    }
    const secrets = await deps.pushSecrets.secretsFor(provider);
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': signature,
    };
    return signedByAnyOf(secrets, request.body, headers)
      ? null
      : { status: 401, code: 'invalid_signature' };
  };

  /** The batchlane batch an ended provider batch belongs to, or why it is dropped. */
  const handOver = async (
    provider: WebhookProvider,
    providerBatchId: string,
  ): Promise<WebhookOutcome> => {
    const batchProvider = deps.providers[provider];
    if (batchProvider === undefined) return { status: 404, code: 'unknown_provider' };
    let snapshot: Awaited<ReturnType<BatchProvider['retrieve']>>;
    try {
      snapshot = await batchProvider.retrieve(providerBatchId);
    } catch (error) {
      // Another application's batch in the same project, or a made-up id.
      if (error instanceof NotFoundError) return { status: 200, code: 'unknown_batch' };
      throw error;
    }
    const batchId = snapshot.batchId ?? null;
    const batch = batchId === null ? null : await deps.store.getBatch(batchId);
    if (
      batch === null ||
      batch.provider !== provider ||
      batch.providerBatchId !== providerBatchId
    ) {
      return { status: 200, code: 'unknown_batch' };
    }
    const { batchId: known } = batch;
    if (batch.state === 'completed') {
      return { status: 200, code: 'already_completed', batchId: known };
    }
    if (snapshot.phase !== 'ended') {
      // The poller, the safety net, sees the end when the provider reports it.
      logger.warn('webhook announced an end the provider does not report', {
        provider,
        batchId: known,
        providerStatus: snapshot.providerStatus,
      });
      return { status: 200, code: 'not_ended', batchId: known };
    }
    await deps.completion.notifyEnded(known);
    return { status: 202, code: 'handed_to_completion', batchId: known };
  };

  return async (request) => {
    const { provider } = request;
    if (!isWebhookProvider(provider) || deps.providers[provider] === undefined) {
      return { status: 404, code: 'unknown_provider' };
    }
    const refused = await verify(provider, request);
    if (refused !== null) {
      logger.warn('webhook refused', { provider, code: refused.code });
      return refused;
    }
    let event: unknown;
    try {
      event = JSON.parse(request.body);
    } catch {
      return { status: 400, code: 'malformed_event' };
    }
    const parsed = BatchWebhookEventSchema.safeParse(event);
    if (!parsed.success) return { status: 400, code: 'malformed_event' };
    if (!ENDED_EVENT_TYPES[provider].includes(parsed.data.type)) {
      return { status: 200, code: 'ignored_event_type' };
    }

    // Verified: the id is the provider's, so remembering it cannot be abused to block others.
    const webhookId = request.headers['webhook-id'] ?? '';
    const expiresAt = Math.floor(deps.clock.now().getTime() / 1000) + RECEIPT_TTL_SECONDS;
    if (!(await deps.receipts.claim(provider, webhookId, expiresAt))) {
      return { status: 200, code: 'duplicate' };
    }
    try {
      const outcome = await handOver(provider, providerBatchIdOf(provider, parsed.data.data.id));
      logger.info('webhook received', { provider, webhookId, ...outcome });
      return outcome;
    } catch (error) {
      // Not handed over: the provider's retry of this very id must get through.
      await deps.receipts.release(provider, webhookId).catch((releaseError: unknown) =>
        logger.error('webhook receipt not released; the poller will see the end', {
          provider,
          webhookId,
          error: releaseError,
        }),
      );
      throw error;
    }
  };
};

export {
  createWebhookReceiver,
  MAX_BODY_BYTES,
  RECEIPT_TTL_SECONDS,
  type WebhookOutcome,
  type WebhookReceiverDeps,
  type WebhookRequest,
};
