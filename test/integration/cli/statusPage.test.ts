import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDevFile } from '../../../cli/devFile.js';
import { runStatus } from '../../../cli/runStatus.js';
import { sendRequests } from '../../../cli/sendRequests.js';
import { type StatusServer, startStatusServer } from '../../../cli/statusServer.js';
import {
  type OpenStatusReader,
  openStatusReader,
  statusSettingsOf,
} from '../../../cli/statusSource.js';
import { ResultCollector } from '../../../local/stack/ResultCollector.js';
import { startLocalStack } from '../../../local/stack/startLocalStack.js';
import { createAwsClients } from '../../../shared/adapters/aws/createAwsClients.js';
import { systemClock } from '../../../shared/adapters/system/systemClock.js';
import { BATCH_STATES } from '../../../shared/domain/records.js';
import type { StatusSnapshot } from '../../../shared/domain/status/summarizeStatus.js';
import { readStatus } from '../../../shared/usecases/readStatus.js';

/** Debian's Chromium; `scripts/setup.sh` installs it where it is missing. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

type ApiBody = StatusSnapshot & { label: string; refresh_ms: number };

/** Every `[data-field]` the page shows, with the snapshot it rendered (`generated_at`). */
interface Rendered {
  readonly generatedAt: string | undefined;
  readonly fields: { path: string; text: string; format: string | null; batchId: string | null }[];
  readonly activeTile: string;
}

// Browser-side code is passed as text: the project's TypeScript has no DOM types.
const RENDERED_FIELDS = `(() => ({
  generatedAt: document.body.dataset.generatedAt,
  fields: [...document.querySelectorAll('[data-field]')].map((element) => ({
    path: element.dataset.field ?? '',
    text: (element.textContent ?? '').trim(),
    format: element.dataset.format ?? null,
    batchId: element.closest('tr[data-batch-id]')?.dataset.batchId ?? null,
  })),
  activeTile: document.getElementById('tile-active')?.textContent ?? '',
}))()`;

const renderedFields = (page: Page): Promise<Rendered> =>
  page.evaluate(RENDERED_FIELDS) as Promise<Rendered>;

const BATCH_ROWS = `[...document.querySelectorAll('#batches-body tr[data-batch-id]')].map((tr) => ({
  id: tr.dataset.batchId ?? '',
  state: tr.querySelector('[data-field="state"]')?.textContent ?? '',
}))`;

/** The data each chart draws, per dataset (y values). */
const CHART_DATA = `(() => {
  const chartOf = (id) =>
    Chart.getChart(id)?.data.datasets.map((d) => d.data.map((v) => (typeof v === 'number' ? v : v.y)));
  return { cost: chartOf('cost-chart'), turnaround: chartOf('turnaround-chart') };
})()`;

const RENDERED = 'document.body.dataset.generatedAt !== undefined';

/**
 * Polls a browser-side expression until it is true. (`page.waitForFunction` would evaluate text
 * with `eval`, which the page's content security policy rightly refuses.)
 */
const waitUntil = async (page: Page, expression: string, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while ((await page.evaluate(expression)) !== true) {
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs} ms: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

const valueAt = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | null)?.[key], value);

const anthropicRequest = (id: string, queueUrl: string) =>
  JSON.stringify({
    custom_id: id,
    provider: 'anthropic',
    body: {
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: `status page ${id}` }],
    },
    destination: { type: 'sqs', queue_url: queueUrl },
  });

describe('the status page, in headless Chromium, against a local stack', () => {
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  let status: OpenStatusReader;
  let server: StatusServer;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const consoleErrors: string[] = [];
  /** Every API body the page read, by the time it was read. */
  const apiBodies = new Map<string, ApiBody>();

  beforeAll(async () => {
    stack = await startLocalStack({
      processingMs: 2_000,
      pollIntervalMs: 250,
      collectorBatchingWindowMs: 300,
      visibilityTimeoutSeconds: 5,
      // Long enough for the page to see the batch filling.
      batchMaxAgeSeconds: 6,
      maxRequestsPerBatch: 50,
      realProvidersFromEnv: false,
    });
    const settings = statusSettingsOf(stack.env);
    status = openStatusReader({
      label: 'local stack under test',
      tableName: stack.tableName,
      bucket: stack.artifactsBucket,
      intakeQueueUrl: stack.intakeQueueUrl,
      env: stack.env,
      settings,
    });
    server = await startStatusServer({
      read: () => readStatus({ reader: status.reader, clock: systemClock, settings }),
      label: 'local stack under test',
      refreshMs: 300,
      cacheMs: 100,
    });
    userDataDir = mkdtempSync(join(tmpdir(), 'batchlane-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 1600 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        consoleErrors.push(`${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) =>
      consoleErrors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
    );
    page.on('response', async (response) => {
      if (!response.url().endsWith('/api/status') || response.status() !== 200) return;
      try {
        const body = (await response.json()) as ApiBody;
        apiBodies.set(body.generated_at, body);
      } catch {
        // The page navigated away; nothing to keep.
      }
    });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    status?.close();
    await stack?.stop();
    if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('loads with Chart.js from the CLI, no console errors, and an empty stack', async () => {
    await page.goto(server.url);
    await waitUntil(page, RENDERED, 30_000);
    expect(await page.title()).toBe('batchlane status · local stack under test');
    expect(await page.evaluate('typeof Chart')).toBe('function');
    expect(await page.locator('#batches-empty').isVisible()).toBe(true);
    expect(await page.locator('#cost-chart-text').textContent()).toBe('No cost recorded yet.');
    expect(consoleErrors).toEqual([]);
  });

  it('follows a batch from filling to delivered, and its numbers match the API it read', async () => {
    const aws = createAwsClients(stack.env);
    const collector = ResultCollector.ofStack(stack, aws);
    try {
      const ids = Array.from({ length: 6 }, (_, n) => `status-page-${n}`);
      await sendRequests(
        aws.sqs,
        stack.intakeQueueUrl,
        ids.map((id) => anthropicRequest(id, stack.resultsQueueUrl)),
      );

      // Watch the page's batch table, as a user would, until the batch is completed.
      const seen: string[] = [];
      let batchId: string | null = null;
      // Generous: on a loaded machine a batch can take minutes from filling to delivered.
      const deadline = Date.now() + 240_000;
      while (Date.now() < deadline) {
        const rows = (await page.evaluate(BATCH_ROWS)) as { id: string; state: string }[];
        const row: { id: string; state: string } | undefined =
          batchId === null ? rows[0] : rows.find((r) => r.id === batchId);
        if (row !== undefined) {
          batchId = row.id;
          if (seen.at(-1) !== row.state) seen.push(row.state);
          if (row.state === 'completed') break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(batchId).not.toBeNull();
      expect(seen[0]).toBe('filling');
      expect(seen.at(-1)).toBe('completed');
      // In the pipeline's order, never back.
      const order = seen.map((s) => BATCH_STATES.indexOf(s as (typeof BATCH_STATES)[number]));
      expect(order.every((o, i) => o >= 0 && (i === 0 || o > (order[i - 1] ?? -1)))).toBe(true);

      // Delivered: every request has exactly one result at its destination.
      const until = Date.now() + 30_000;
      while (ids.some((id) => collector.byId.get(id) === undefined) && Date.now() < until) {
        await collector.collect();
      }
      for (const id of ids) expect(collector.byId.get(id)?.length).toBe(1);

      // The page settles on the delivered batch: all six succeeded, costed, turnaround charted.
      await waitUntil(
        page,
        `document.querySelector('[data-field="results.by_status.succeeded"]')?.textContent === '6' &&
         document.querySelector('[data-field="results.by_lane.batch"]')?.textContent === '6'`,
        30_000,
      );
      const rendered = await renderedFields(page);
      const api = apiBodies.get(rendered.generatedAt ?? '');
      expect(api, 'the page shows a status the API returned').toBeDefined();
      if (api === undefined) return;
      expect(rendered.fields.length).toBeGreaterThan(20);
      for (const field of rendered.fields) {
        const expected =
          field.batchId === null
            ? valueAt(api, field.path)
            : valueAt(
                api.batches.find((b) => b.batch_id === field.batchId),
                field.path,
              );
        if (field.format === 'usd') {
          const shown = Number(field.text.replace('$', ''));
          expect(Math.abs(shown - Number(expected)), field.path).toBeLessThanOrEqual(
            Math.max(5e-10, Math.abs(Number(expected)) * 0.01),
          );
        } else {
          expect(field.text, `${field.batchId ?? ''} ${field.path}`).toBe(String(expected));
        }
      }
      expect(rendered.activeTile).toBe(
        String(api.batches.filter((b) => b.state !== 'completed').length),
      );
      const followed = api.batches.find((b) => b.batch_id === batchId);
      expect(followed).toMatchObject({ state: 'completed', requests: 6, capacity: 50 });
      expect(api.costs.cost_usd).toBeGreaterThan(0);
      expect(api.costs.saved_usd).toBeGreaterThan(0);

      // The charts draw the API's series.
      const charts = (await page.evaluate(CHART_DATA)) as {
        cost: number[][] | undefined;
        turnaround: number[][] | undefined;
      };
      const shownApi = apiBodies.get((await renderedFields(page)).generatedAt ?? '') ?? api;
      expect(charts.cost?.[0]).toEqual(shownApi.costs.series.map((p) => p.cost_usd));
      expect(charts.cost?.[2]).toEqual(shownApi.costs.series.map((p) => p.saved_usd));
      expect(charts.turnaround?.[0]).toEqual(
        shownApi.turnaround.providers.map((t) => t.median_seconds),
      );
      expect(shownApi.turnaround.providers.map((t) => t.provider)).toEqual(['anthropic']);
      expect(consoleErrors).toEqual([]);

      // `batchlane status` reads the same facts: as JSON and as a table.
      const dir = mkdtempSync(join(tmpdir(), 'batchlane-status-'));
      try {
        const devFilePath = join(dir, 'dev.json');
        writeDevFile(
          {
            intake_queue_url: stack.intakeQueueUrl,
            results_queue_url: stack.resultsQueueUrl,
            results_bucket: stack.resultsBucket,
            results_event_bus: stack.resultsEventBusName,
            artifacts_bucket: stack.artifactsBucket,
            table_name: stack.tableName,
            event_bus_name: stack.eventBusName,
            events_queue_url: stack.eventsQueueUrl,
            env: stack.env,
            providers: stack.providers,
            batch_settings: { max_requests_per_batch: 50, batch_max_age_seconds: 6 },
            pid: process.pid,
            started_at: new Date().toISOString(),
          },
          devFilePath,
        );
        const json: string[] = [];
        expect(await runStatus(['--json'], (l) => json.push(l), { devFilePath })).toBe(0);
        const cli = JSON.parse(json.join('\n')) as StatusSnapshot;
        expect(cli.results).toEqual(shownApi.results);
        expect(cli.costs.cost_usd).toBe(shownApi.costs.cost_usd);
        expect(cli.batches_by_state).toEqual(shownApi.batches_by_state);
        const table: string[] = [];
        expect(await runStatus([], (l) => table.push(l), { devFilePath })).toBe(0);
        const text = table.join('\n');
        expect(text).toMatch(
          new RegExp(`${batchId}\\s+anthropic\\s+claude-sonnet-4-6\\s+completed\\s+6/50\\s+12%`),
        );
        expect(text).toContain('results by status:  succeeded 6');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      aws.destroy();
    }
  }, 300_000);
});
