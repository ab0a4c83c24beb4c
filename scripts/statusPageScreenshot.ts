/**
 * Saves a screenshot of the running `batchlane dev`'s status page (docs/status-page.png by
 * default), taken with Debian's Chromium through playwright-core:
 *
 *   npx batchlane dev &   npx batchlane submit examples/requests.jsonl
 *   npx tsx scripts/statusPageScreenshot.ts [OUT.png]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { readDevFile } from '../cli/devFile.js';

const out = process.argv[2] ?? 'docs/status-page.png';
const dev = readDevFile();
if (dev?.status_url === undefined) {
  process.stderr.write('no status page: start `npx batchlane dev` first\n');
  process.exit(2);
}
const userDataDir = mkdtempSync(join(tmpdir(), 'batchlane-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1440, height: 900 },
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(dev.status_url);
  // Polled as text: the project's TypeScript has no DOM types, and the page's content security
  // policy refuses the eval that `waitForFunction` would use for text.
  while ((await page.evaluate('document.body.dataset.generatedAt !== undefined')) !== true) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await page.screenshot({ path: out, fullPage: true });
  process.stdout.write(`saved ${out}\n`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
