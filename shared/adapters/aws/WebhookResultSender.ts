import { createHash } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Destination } from '../../contract/destination.js';
import type { ResultV1 } from '../../contract/result.js';
import { parseRetryAfterMs } from '../../domain/backoff.js';
import { deliveryFailureOf, resultDeliveryKeyOf } from '../../domain/deliveryFailure.js';
import {
  AuthError,
  type BatchlaneError,
  InvalidInputError,
  ThrottledError,
  UnavailableError,
} from '../../domain/errors.js';
import { isForbiddenAddress } from '../../domain/isForbiddenAddress.js';
import type {
  DeliveryContext,
  DeliveryReport,
  ResultDeliverer,
} from '../../ports/ResultDeliverer.js';
import type { WebhookSecrets } from '../../ports/WebhookSecrets.js';
import { awsBackoffMs, sleep as realSleep, type Sleep } from './backoff.js';

/** Constructor options of {@link WebhookResultSender}. */
interface WebhookResultSenderOptions {
  /** The signing secrets of each receiving host (Standard Webhooks `whsec_…`). */
  readonly secrets: WebhookSecrets;
  /**
   * Lets webhooks reach loopback/private addresses and plain `http:` (local development
   * only). Default false: only public addresses over HTTPS.
   */
  readonly allowPrivate?: boolean;
  /** POSTs per body, the first included (default 5). */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  /** Limit on one POST, from connecting to the end of the response (default 10 s). */
  readonly timeoutMs?: number;
  /** Results are split into POSTs of at most this many body bytes (default 1 MiB). */
  readonly maxBodyBytes?: number;
  readonly now?: () => Date;
  readonly sleep?: Sleep;
}

/** Error code of a refused destination address, for callers and tests. */
const FORBIDDEN_ADDRESS_CODE = 'webhook_address_forbidden';

type Failure = DeliveryReport['failed'][number];

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256>` of `id.timestamp.body` under each
 * live secret, space-separated, as the `standardwebhooks` package computes and verifies it. A
 * receiver holding either secret of a rotation accepts the delivery.
 */
const signatureHeader = (
  signers: readonly Webhook[],
  id: string,
  timestamp: Date,
  body: string,
): string => signers.map((signer) => signer.sign(id, timestamp, body)).join(' ');

/** A secrets failure as the error every result of the delivery fails with. */
const secretsFailure = (error: unknown): BatchlaneError =>
  error instanceof InvalidInputError ||
  error instanceof AuthError ||
  error instanceof UnavailableError ||
  error instanceof ThrottledError
    ? error
    : new UnavailableError(`webhook signing secrets unavailable: ${String(error)}`, {
        code: 'webhook_secret_unavailable',
        cause: error,
      });

const forbidden = (host: string, address: string): InvalidInputError =>
  new InvalidInputError(`webhook host ${host} resolves to a forbidden address ${address}`, {
    code: FORBIDDEN_ADDRESS_CODE,
    details: { host, address },
  });

/**
 * A DNS lookup that refuses forbidden addresses. It is the lookup the socket connects with,
 * so a name cannot resolve to a public address for the check and a private one for the
 * connection (DNS rebinding).
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) {
      callback(error, '', 4);
      return;
    }
    const bad = addresses.find((a) => isForbiddenAddress(a.address));
    const first = addresses[0];
    if (bad !== undefined || first === undefined) {
      callback(forbidden(hostname, bad?.address ?? 'none'), '', 4);
      return;
    }
    if (options.all === true) {
      (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    } else {
      callback(null, first.address, first.family);
    }
  });
};

interface PostOutcome {
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  readonly error: BatchlaneError | null;
}

/**
 * Names a POST by the requests it carries (each by producer and `custom_id`), not by its bytes
 * (`delivered_at` differs between a post and its resend after a crash): the receiver drops a
 * delivery id it has already processed, as it would a repeated `custom_id`, while another
 * producer's results sharing those ids get a POST of their own name.
 */
const deliveryIdOf = (results: readonly Pick<ResultV1, 'custom_id' | 'producer'>[]): string =>
  `msg_${createHash('sha256').update(results.map(resultDeliveryKeyOf).join('\n')).digest('hex').slice(0, 32)}`;

/**
 * Delivers results with HTTPS POSTs of `{"results":[...]}` (split to stay under
 * `maxBodyBytes`), signed by the Standard Webhooks convention with the `standardwebhooks`
 * package: `webhook-id` (the same on every retry and resend of the same results),
 * `webhook-timestamp` (epoch seconds) and `webhook-signature` (`v1,<base64>` per live secret of
 * the receiving host). Receivers verify with the same package, which refuses timestamps more
 * than 5 minutes away. A POST is retried with backoff on 5xx, 429 and network errors,
 * re-signed each time. Hosts are resolved and
 * refused when any address is loopback, private, link-local, CGNAT or metadata, unless
 * `allowPrivate`. Redirects are not followed.
 */
class WebhookResultSender implements ResultDeliverer {
  readonly #secrets: WebhookSecrets;
  readonly #allowPrivate: boolean;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #now: () => Date;
  readonly #sleep: Sleep;

  constructor(options: WebhookResultSenderOptions) {
    this.#secrets = options.secrets;
    this.#allowPrivate = options.allowPrivate ?? false;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.#baseDelayMs = options.baseDelayMs ?? 200;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.#now = options.now ?? (() => new Date());
    this.#sleep = options.sleep ?? realSleep;
  }

  async deliver(
    destination: Destination,
    results: readonly ResultV1[],
    _context: DeliveryContext,
  ): Promise<DeliveryReport> {
    if (destination.type !== 'webhook') {
      throw new InvalidInputError(`WebhookResultSender cannot deliver to ${destination.type}`, {
        code: 'wrong_destination',
      });
    }
    if (results.length === 0) return { failed: [] };
    const failed: Failure[] = [];
    const refusal = this.#checkUrl(destination.url);
    if (refusal !== null) {
      return { failed: results.map((r) => deliveryFailureOf(r, refusal)) };
    }
    const url = new URL(destination.url);
    let signers: Webhook[];
    try {
      signers = (await this.#secrets.secretsFor(url)).map((secret) => new Webhook(secret));
    } catch (error) {
      const failure = secretsFailure(error);
      return { failed: results.map((r) => deliveryFailureOf(r, failure)) };
    }
    for (const group of this.#groups(results)) {
      const error = await this.#postWithRetries(
        url,
        signers,
        group.body,
        deliveryIdOf(group.results),
      );
      if (error !== null) {
        for (const result of group.results) failed.push(deliveryFailureOf(result, error));
      }
    }
    return { failed };
  }

  /** Refusals decidable without DNS: scheme, and IP-literal hosts (which skip the lookup). */
  #checkUrl(raw: string): BatchlaneError | null {
    if (!URL.canParse(raw)) {
      return new InvalidInputError('webhook URL is not a valid URL', {
        code: 'webhook_invalid_url',
      });
    }
    const url = new URL(raw);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.#allowPrivate)) {
      return new InvalidInputError(`webhook URL must use https: ${url.origin}`, {
        code: 'webhook_insecure_url',
      });
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!this.#allowPrivate && isIP(host) !== 0 && isForbiddenAddress(host)) {
      return forbidden(host, host);
    }
    return null;
  }

  *#groups(results: readonly ResultV1[]): Generator<{ body: string; results: ResultV1[] }> {
    let parts: string[] = [];
    let members: ResultV1[] = [];
    let bytes = 0;
    const envelope = Buffer.byteLength('{"results":[]}');
    for (const result of results) {
      const json = JSON.stringify(result);
      const size = Buffer.byteLength(json) + 1;
      if (parts.length > 0 && envelope + bytes + size > this.#maxBodyBytes) {
        yield { body: `{"results":[${parts.join(',')}]}`, results: members };
        parts = [];
        members = [];
        bytes = 0;
      }
      parts.push(json);
      members.push(result);
      bytes += size;
    }
    if (parts.length > 0) yield { body: `{"results":[${parts.join(',')}]}`, results: members };
  }

  async #postWithRetries(
    url: URL,
    signers: readonly Webhook[],
    body: string,
    deliveryId: string,
  ): Promise<BatchlaneError | null> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#post(url, signers, body, deliveryId);
      if (outcome.error === null) return null;
      if (!outcome.error.retryable || attempt >= this.#maxAttempts) {
        Object.assign(outcome.error.details, { attempts: attempt });
        return outcome.error;
      }
      const backoff = awsBackoffMs(attempt, this.#baseDelayMs, 30_000);
      await this.#sleep(Math.min(30_000, Math.max(backoff, outcome.retryAfterMs ?? 0)));
    }
  }

  #post(
    url: URL,
    signers: readonly Webhook[],
    body: string,
    deliveryId: string,
  ): Promise<PostOutcome> {
    const now = this.#now();
    const options: RequestOptions = {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'batchlane-webhook/1',
        'webhook-id': deliveryId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signatureHeader(signers, deliveryId, now, body),
      },
      ...(this.#allowPrivate ? {} : { lookup: guardedLookup }),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: PostOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const req = send(url, options, (res: IncomingMessage) => {
        // The body is not needed, but must be consumed to free the socket.
        res.resume();
        res.on('end', () => settle(this.#outcomeOf(url, res)));
        res.on('error', (error) => settle(this.#networkFailure(url, error)));
      });
      // A slow receiver must not hold the completion function until its own timeout.
      const timer = setTimeout(
        () => req.destroy(new Error(`timed out after ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      req.on('error', (error) => settle(this.#networkFailure(url, error)));
      req.end(body);
    });
  }

  #outcomeOf(url: URL, res: IncomingMessage): PostOutcome {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return { status, retryAfterMs: null, error: null };
    const retryAfterMs = parseRetryAfterMs((name) => res.headers[name]?.toString());
    const message = `webhook ${url.origin} answered HTTP ${status}`;
    const options = { code: 'webhook_http_error', details: { status, origin: url.origin } };
    let error: BatchlaneError;
    if (status === 429) error = new ThrottledError(message, { ...options, retryAfterMs });
    else if (status >= 500) error = new UnavailableError(message, options);
    else if (status === 401 || status === 403) error = new AuthError(message, options);
    else error = new InvalidInputError(message, options);
    return { status, retryAfterMs, error };
  }

  #networkFailure(url: URL, error: Error): PostOutcome {
    if (error instanceof InvalidInputError) return { status: null, retryAfterMs: null, error };
    return {
      status: null,
      retryAfterMs: null,
      error: new UnavailableError(`webhook ${url.origin} unreachable: ${error.message}`, {
        code: 'webhook_unreachable',
        cause: error,
        details: { origin: url.origin },
      }),
    };
  }
}

export { FORBIDDEN_ADDRESS_CODE, WebhookResultSender, type WebhookResultSenderOptions };
