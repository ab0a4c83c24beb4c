import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runStatus } from '../../../cli/runStatus.js';
import { type StatusServer, startStatusServer } from '../../../cli/statusServer.js';
import { newBatchRecord } from '../../../shared/domain/newBatchRecord.js';
import type { StatusSnapshot } from '../../../shared/domain/status/summarizeStatus.js';
import { readStatus } from '../../../shared/usecases/readStatus.js';
import { InMemoryStatusReader } from '../../support/fakes/InMemoryStatusReader.js';
import { InMemoryTurnaroundLog } from '../../support/fakes/InMemoryTurnaroundLog.js';

const clock = { now: () => new Date('2026-12-06T12:00:00.000Z') };

/** A reader holding one filling batch, one parked object and two held requests. */
const seededReader = (): InMemoryStatusReader => {
  const reader = new InMemoryStatusReader();
  reader.putBatch({
    ...newBatchRecord({
      batchId: 'bl_fill',
      provider: 'openai',
      endpoint: '/v1/chat/completions',
      models: ['gpt-4o-mini'],
      state: 'filling',
      createdAt: '2026-12-06T11:59:30.000Z',
      nextPollAt: null,
    }),
    requestCount: 5_000,
  });
  reader.putParked('parked/sqs/abcd/bl_old/0.jsonl', 120, '2026-12-06T11:00:00.000Z');
  reader.setIntake({ waiting: 1, delayed: 2, inFlight: 0 });
  return reader;
};

describe('the status server', () => {
  let server: StatusServer | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  const snapshot = () =>
    readStatus({
      reader: seededReader(),
      clock,
      settings: { maxRequestsPerBatch: null, batchMaxAgeSeconds: null },
    });

  it('serves the page, its script and style, and Chart.js from the installed package, locked down', async () => {
    server = await startStatusServer({ read: snapshot, label: 'test' });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script src="/vendor/chart.umd.min.js" defer></script>');
    expect(html).not.toMatch(/https?:\/\//);
    const chart = await fetch(new URL('/vendor/chart.umd.min.js', server.url));
    expect(chart.status).toBe(200);
    expect(await chart.text()).toContain('Chart.js v4.6.2');
    for (const path of ['/status.js', '/status.css']) {
      expect((await fetch(new URL(path, server.url))).status).toBe(200);
    }
  });

  it('refuses other paths and methods', async () => {
    server = await startStatusServer({ read: snapshot, label: 'test' });
    expect((await fetch(new URL('/package.json', server.url))).status).toBe(404);
    expect((await fetch(new URL('/statusPage/../../package.json', server.url))).status).toBe(404);
    const post = await fetch(new URL('/api/status', server.url), { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers the API with the status, shares a read between close requests, and retries a failed one', async () => {
    let reads = 0;
    let fail = true;
    let now = 0;
    server = await startStatusServer({
      read: async () => {
        reads++;
        if (fail) throw new Error('table not found');
        return snapshot();
      },
      label: 'test stack',
      refreshMs: 1500,
      cacheMs: 1000,
      now: () => now,
    });
    const api = new URL('/api/status', server.url);
    const failed = await fetch(api);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ error: 'status not read: table not found' });
    fail = false;
    const body = (await (await fetch(api)).json()) as StatusSnapshot & {
      label: string;
      refresh_ms: number;
    };
    expect(reads).toBe(2);
    expect(body).toMatchObject({
      label: 'test stack',
      refresh_ms: 1500,
      intake: { waiting: 1, held: 2, in_flight: 0 },
      parked: { objects: 1, bytes: 120 },
    });
    expect(body.batches[0]).toMatchObject({ batch_id: 'bl_fill', fill: 0.1, age_seconds: 30 });
    await fetch(api);
    expect(reads).toBe(2);
    now = 1001;
    await fetch(api);
    expect(reads).toBe(3);
  });
});

describe('batchlane status', () => {
  it('prints the table: batches, held requests, parked results', async () => {
    const lines: string[] = [];
    expect(await runStatus([], (l) => lines.push(l), { reader: seededReader(), clock })).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/^ {2}openai\s+1\s+0\s+0\s+0\s+0\s+0\s+0$/m);
    expect(text).toMatch(/bl_fill\s+openai\s+gpt-4o-mini\s+filling\s+5000\/50000\s+10%\s+30s\s+-/);
    expect(text).toContain('intake queue: 1 waiting, 2 held by admission, 0 being collected');
    expect(text).toContain('parked/sqs/abcd/  1 objects, 120 B, oldest 11:00:00Z');
  });

  it("shows each open batch's expected end from the turnaround log, table and --json", async () => {
    const reader = seededReader();
    reader.putBatch({
      ...newBatchRecord({
        batchId: 'bl_run',
        provider: 'anthropic',
        endpoint: '/v1/messages',
        models: ['claude-haiku-4-5'],
        state: 'submitted',
        createdAt: '2026-12-06T11:00:00.000Z',
        nextPollAt: null,
      }),
      requestCount: 40,
      submittedAt: '2026-12-06T11:30:00.000Z',
      providerExpiresAt: '2026-12-07T11:30:00.000Z',
    });
    const turnarounds = new InMemoryTurnaroundLog();
    // Four batches of 20, 40, 60 and 80 minutes: p50 40 min.
    for (const minutes of [20, 40, 60, 80]) {
      await turnarounds.record({
        batchId: `bl_done_${minutes}`,
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        requestCount: 10,
        submittedAt: '2026-12-05T10:00:00.000Z',
        inProgressAt: null,
        endedAt: new Date(Date.parse('2026-12-05T10:00:00.000Z') + minutes * 60_000).toISOString(),
        firstDeliveredAt: null,
        lastDeliveredAt: '2026-12-05T12:00:00.000Z',
      });
    }
    const json: string[] = [];
    expect(await runStatus(['--json'], (l) => json.push(l), { reader, turnarounds, clock })).toBe(
      0,
    );
    const rows = (JSON.parse(json[0] ?? '{}') as StatusSnapshot).batches;
    expect(rows.find((b) => b.batch_id === 'bl_run')).toMatchObject({
      expected_end: '2026-12-06T12:10:00.000Z',
      expected_end_basis: 'p50 turnaround of 4 anthropic claude-haiku-4-5 batches (turnaround log)',
    });
    // A model without history: the provider's deadline, not the batch records' guess.
    expect(rows.find((b) => b.batch_id === 'bl_fill')?.expected_end_basis).toBeNull();

    const table: string[] = [];
    await runStatus([], (l) => table.push(l), { reader, turnarounds, clock });
    expect(table.join('\n')).toMatch(
      /bl_run\s+anthropic.*12:10:00Z \(p50 turnaround of 4 anthropic claude-haiku-4-5 batches \(turnaround log\)\)/,
    );
  });

  it('prints JSON, one line per read with --watch, until stopped', async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const code = await runStatus(
      ['--json', '--watch', '--interval', '0.01'],
      (line) => {
        lines.push(line);
        if (lines.length === 3) controller.abort();
      },
      { reader: seededReader(), clock, signal: controller.signal },
    );
    expect(code).toBe(0);
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect((JSON.parse(line) as StatusSnapshot).batches[0]?.batch_id).toBe('bl_fill');
    }
  });

  it('serves the page with --serve until stopped', async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const running = runStatus(['--serve'], (l) => lines.push(l), {
      reader: seededReader(),
      clock,
      signal: controller.signal,
    });
    while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const url = /is at (\S+)/.exec(lines[0] ?? '')?.[1] ?? '';
    const body = (await (await fetch(new URL('/api/status', url))).json()) as StatusSnapshot;
    expect(body.intake?.held).toBe(2);
    controller.abort();
    expect(await running).toBe(0);
  });

  it('fails with the reason when the state cannot be read', async () => {
    const reader = seededReader();
    reader.failReadsWith(
      new Error('AccessDeniedException: not authorized to perform dynamodb:Query'),
    );
    await expect(runStatus(['--json'], () => undefined, { reader, clock })).rejects.toThrow(
      /not authorized to perform dynamodb:Query/,
    );
  });

  it('refuses what it cannot do with a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchlane-status-'));
    try {
      const run = (args: string[]) =>
        runStatus(args, () => undefined, { devFilePath: join(dir, 'none.json') });
      await expect(run([])).rejects.toThrow(/nothing to read: start `batchlane dev`/);
      await expect(run(['--days', '0'])).rejects.toThrow('--days must be at least 1');
      await expect(run(['--interval', 'soon'])).rejects.toThrow(
        "--interval must be a number, not 'soon'",
      );
      await expect(run(['--serve', '--json'])).rejects.toThrow(/--serve shows the page/);
      await expect(run(['--outputs-file', join(dir, 'outputs.json')])).rejects.toThrow(
        /no outputs file .*outputs\.json: deploy with/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
