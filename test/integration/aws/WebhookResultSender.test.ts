import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FORBIDDEN_ADDRESS_CODE,
  WebhookResultSender,
} from '../../../shared/adapters/aws/WebhookResultSender.js';
import { StaticWebhookSecrets } from '../../../shared/adapters/system/StaticWebhookSecrets.js';
import { AuthError, InvalidInputError, UnavailableError } from '../../../shared/domain/errors.js';
import { sampleResult } from './awsTestKit.js';

const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
const SECRET = newSecret();

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/**
 * What a receiver does, with the same package: verifies the signature and the timestamp
 * (within its 5-minute tolerance of the receiver's clock) and returns the parsed payload, or
 * throws `WebhookVerificationError`.
 */
const verifyWith = (secret: string, received: Received): unknown =>
  new Webhook(secret).verify(received.body, received.headers as Record<string, string>);

const verify = (received: Received): boolean => {
  try {
    verifyWith(SECRET, received);
    return true;
  } catch {
    return false;
  }
};

/** Secrets for the receiving hosts the tests use; each host its own. */
const secretsFor = (secrets: readonly string[]) =>
  new StaticWebhookSecrets({ '127.0.0.1': secrets, localhost: secrets });

describe('WebhookResultSender against a local HTTP server', () => {
  let server: Server;
  let baseUrl: string;
  const received: Received[] = [];
  /** Status codes to answer with, in order (-1: no answer); 200 once empty. */
  let script: number[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void text(req).then((body) => {
        received.push({ headers: req.headers, body });
        const status = script.shift() ?? 200;
        // -1: never answer, to exercise the sender's timeout.
        if (status === -1) return;
        if (status === 429) res.setHeader('retry-after', '0');
        res.writeHead(status).end(status === 200 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    received.length = 0;
    script = [];
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  });

  const sender = (options: Partial<ConstructorParameters<typeof WebhookResultSender>[0]> = {}) =>
    new WebhookResultSender({
      secrets: secretsFor([SECRET]),
      allowPrivate: true,
      baseDelayMs: 1,
      maxAttempts: 3,
      ...options,
    });

  const context = { batchId: 'b-1', part: '1' };

  it('POSTs {results:[...]} signed by the Standard Webhooks convention, which a receiver verifies with standardwebhooks', async () => {
    const results = [sampleResult('a'), sampleResult('b')];
    const sentAt = new Date();
    const report = await sender({ now: () => sentAt }).deliver(
      { type: 'webhook', url: `${baseUrl}/hook?x=1` },
      results,
      context,
    );
    expect(report.failed).toEqual([]);
    expect(received).toHaveLength(1);
    const [first] = received;
    if (first === undefined) throw new Error('nothing received');
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(first.headers['webhook-timestamp']).toBe(String(Math.floor(sentAt.getTime() / 1000)));
    expect(first.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifyWith(SECRET, first)).toEqual({ results });
  });

  it('is refused by a receiver holding another secret', async () => {
    await sender().deliver(
      { type: 'webhook', url: `${baseUrl}/hook` },
      [sampleResult('a')],
      context,
    );
    const [first] = received;
    if (first === undefined) throw new Error('nothing received');
    expect(() => verifyWith(newSecret(), first)).toThrow(WebhookVerificationError);
    // Nor does a body changed on the way verify under the right one.
    expect(() => verifyWith(SECRET, { ...first, body: first.body.replace('"a"', '"z"') })).toThrow(
      WebhookVerificationError,
    );
  });

  it('is refused when its timestamp is more than the 5-minute tolerance old, and accepted within it', async () => {
    const url = `${baseUrl}/hook`;
    await sender({ now: () => new Date(Date.now() - 6 * 60_000) }).deliver(
      { type: 'webhook', url },
      [sampleResult('old')],
      context,
    );
    await sender({ now: () => new Date(Date.now() - 4 * 60_000) }).deliver(
      { type: 'webhook', url },
      [sampleResult('recent')],
      context,
    );
    const [stale, recent] = received;
    if (stale === undefined || recent === undefined) throw new Error('nothing received');
    expect(() => verifyWith(SECRET, stale)).toThrow(/timestamp too old/i);
    expect(verifyWith(SECRET, recent)).toMatchObject({ results: [{ custom_id: 'recent' }] });
  });

  it('signs with both secrets during a rotation, so receivers holding either accept it', async () => {
    const previous = newSecret();
    const next = newSecret();
    await sender({ secrets: secretsFor([next, previous]) }).deliver(
      { type: 'webhook', url: `${baseUrl}/hook` },
      [sampleResult('a')],
      context,
    );
    const [first] = received;
    if (first === undefined) throw new Error('nothing received');
    expect(String(first.headers['webhook-signature']).split(' ')).toHaveLength(2);
    // Receivers not yet moved to the new secret, and receivers already moved.
    expect(verifyWith(previous, first)).toMatchObject({ results: [{ custom_id: 'a' }] });
    expect(verifyWith(next, first)).toMatchObject({ results: [{ custom_id: 'a' }] });
    expect(() => verifyWith(SECRET, first)).toThrow(WebhookVerificationError);
  });

  it('delivers nothing to a host no secret is configured for', async () => {
    const report = await sender({
      secrets: new StaticWebhookSecrets({ 'hooks.example.com': [SECRET] }),
    }).deliver(
      { type: 'webhook', url: `${baseUrl}/hook` },
      [sampleResult('a'), sampleResult('b')],
      context,
    );
    expect(report.failed.map((f) => [f.customId, f.error.code, f.error.retryable])).toEqual([
      ['a', 'webhook_secret_missing', false],
      ['b', 'webhook_secret_missing', false],
    ]);
    expect(received).toHaveLength(0);
  });

  it('splits large deliveries into several signed POSTs', async () => {
    const results = Array.from({ length: 30 }, (_, n) => sampleResult(`c-${n}`));
    const report = await sender({ maxBodyBytes: 8_000 }).deliver(
      { type: 'webhook', url: `${baseUrl}/hook` },
      results,
      context,
    );
    expect(report.failed).toEqual([]);
    expect(received.length).toBeGreaterThan(1);
    const delivered = received.flatMap(
      (r) => (JSON.parse(r.body) as { results: { custom_id: string }[] }).results,
    );
    expect(delivered.map((r) => r.custom_id)).toEqual(results.map((r) => r.custom_id));
    expect(received.every((r) => Buffer.byteLength(r.body) <= 8_000 && verify(r))).toBe(true);
  });

  it('retries 5xx and 429, then succeeds', async () => {
    script = [503, 429];
    const report = await sender().deliver(
      { type: 'webhook', url: `${baseUrl}/hook` },
      [sampleResult('a')],
      context,
    );
    expect(report.failed).toEqual([]);
    expect(received).toHaveLength(3);
    expect(received.every(verify)).toBe(true);
  });

  it('names each POST with a delivery id kept across retries and resends of the same results', async () => {
    script = [503];
    const results = [sampleResult('a'), sampleResult('b')];
    const destination = { type: 'webhook' as const, url: `${baseUrl}/hook` };
    await sender().deliver(destination, results, context);
    // A rerun after a crash rebuilds the same outcomes with a later delivered_at.
    const rebuilt = results.map((r) => ({ ...r, delivered_at: '2031-01-01T00:00:00.000Z' }));
    await sender().deliver(destination, rebuilt, context);
    await sender().deliver(destination, [sampleResult('c')], context);
    const ids = received.map((r) => String(r.headers['webhook-id']));
    expect(ids).toHaveLength(4);
    expect(ids[0]).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(new Set(ids.slice(0, 3)).size).toBe(1);
    expect(ids[3]).not.toBe(ids[0]);
  });

  it("names another producer's results sharing the same custom_ids with another delivery id", async () => {
    const destination = { type: 'webhook' as const, url: `${baseUrl}/hook` };
    const own = [sampleResult('a'), sampleResult('b')];
    await sender().deliver(destination, own, context);
    await sender().deliver(
      destination,
      own.map((r) => ({ ...r, producer: 'AIDATEAMB' })),
      context,
    );
    await sender().deliver(destination, own, context);
    const ids = received.map((r) => String(r.headers['webhook-id']));
    expect(ids).toHaveLength(3);
    expect(ids[1]).not.toBe(ids[0]);
    expect(ids[2]).toBe(ids[0]);
  });

  it('gives up after maxAttempts with a retryable error', async () => {
    script = [500, 500, 500, 500];
    const report = await sender().deliver(
      { type: 'webhook', url: `${baseUrl}/hook` },
      [sampleResult('a')],
      context,
    );
    expect(received).toHaveLength(3);
    expect(report.failed[0]?.error).toBeInstanceOf(UnavailableError);
    expect(report.failed[0]?.error.details).toMatchObject({ status: 500, attempts: 3 });
  });

  it('does not retry other 4xx', async () => {
    script = [400, 401];
    const bad = await sender().deliver(
      { type: 'webhook', url: `${baseUrl}/hook` },
      [sampleResult('a')],
      context,
    );
    expect(bad.failed[0]?.error).toBeInstanceOf(InvalidInputError);
    const denied = await sender().deliver(
      { type: 'webhook', url: `${baseUrl}/hook` },
      [sampleResult('a')],
      context,
    );
    expect(denied.failed[0]?.error).toBeInstanceOf(AuthError);
    expect(received).toHaveLength(2);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    script = [-1];
    const started = Date.now();
    const report = await sender({ timeoutMs: 300, maxAttempts: 1 }).deliver(
      { type: 'webhook', url: `${baseUrl}/hook` },
      [sampleResult('a')],
      context,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report.failed[0]?.error).toBeInstanceOf(UnavailableError);
    expect(report.failed[0]?.error.message).toContain('timed out');
  });

  it('retries a refused connection as unavailable', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const report = await sender({ maxAttempts: 2 }).deliver(
      { type: 'webhook', url: `http://127.0.0.1:${port}/hook` },
      [sampleResult('a')],
      context,
    );
    expect(report.failed[0]?.error).toBeInstanceOf(UnavailableError);
    expect(report.failed[0]?.error.code).toBe('webhook_unreachable');
  });

  describe('SSRF guard (allowPrivate false)', () => {
    const guarded = () => sender({ allowPrivate: false });

    it.each([
      'https://127.0.0.1/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://[::1]/hook',
      'https://[fd00:ec2::254]/hook',
      'https://[::ffff:10.0.0.1]/hook',
      'https://10.1.2.3/hook',
      'https://100.64.1.1/hook',
    ])('refuses %s without connecting', async (url) => {
      const report = await guarded().deliver(
        { type: 'webhook', url },
        [sampleResult('a')],
        context,
      );
      expect(report.failed[0]?.error).toBeInstanceOf(InvalidInputError);
      expect(report.failed[0]?.error.code).toBe(FORBIDDEN_ADDRESS_CODE);
      expect(report.failed[0]?.error.retryable).toBe(false);
    });

    it('refuses a name that resolves to loopback, after DNS resolution', async () => {
      const port = (server.address() as AddressInfo).port;
      const report = await guarded().deliver(
        { type: 'webhook', url: `https://localhost:${port}/hook` },
        [sampleResult('a'), sampleResult('b')],
        context,
      );
      expect(report.failed.map((f) => f.customId)).toEqual(['a', 'b']);
      expect(report.failed[0]?.error.code).toBe(FORBIDDEN_ADDRESS_CODE);
      expect(received).toHaveLength(0);
    });

    it('refuses plain http', async () => {
      const report = await guarded().deliver(
        { type: 'webhook', url: `${baseUrl}/hook` },
        [sampleResult('a')],
        context,
      );
      expect(report.failed[0]?.error.code).toBe('webhook_insecure_url');
      expect(received).toHaveLength(0);
    });
  });
});
