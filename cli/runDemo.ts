import { readFileSync } from 'node:fs';
import { ResultCollector } from '../local/stack/ResultCollector.js';
import { startLocalStack } from '../local/stack/startLocalStack.js';
import { createAwsClients } from '../shared/adapters/aws/createAwsClients.js';
import { ENV } from '../shared/config/BatchlaneConfig.js';
import type { ResultStatus, ResultV1 } from '../shared/contract/result.js';
import { formatUsd } from '../shared/domain/costs/formatCostReport.js';
import { defaultPriceTable } from '../shared/domain/pricing/defaultPriceTable.js';
import { offPeakWindowAt } from '../shared/domain/pricing/offPeakCalendar.js';
import { deadlinePlaceholders, fillPlaceholders, sendRequests } from './sendRequests.js';
import { batchTurnarounds, formatTurnarounds } from './timeToFirstResult.js';

interface DemoOptions {
  readonly requestsFile: string;
  readonly badRequestsFile: string;
  readonly timeoutMs: number;
  readonly out: (line: string) => void;
}

const customIdOf = (line: string): string | null => {
  try {
    const id = (JSON.parse(line) as { custom_id?: unknown }).custom_id;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
};

/**
 * How long after the stack starts DeepSeek's off-peak window opens on the demo's clock: room
 * for the stack to start and the requests to be sent on a loaded machine, so they arrive in
 * peak hours and are held, yet a wait short enough for the demo's time limit.
 */
const WINDOW_LEAD_MS = 75_000;

/**
 * The next DeepSeek off-peak window that opens after a stretch of peak hours, from the price
 * table's calendar (the one the functions hold requests by). The demo's functions and
 * simulator share a clock set `WINDOW_LEAD_MS` before it, so held requests wait that long at
 * most, whatever the real hour. Null when the calendar has none in the coming fortnight.
 */
const nextWindowAfterPeak = (now: number): number | null => {
  const calendar = defaultPriceTable.off_peak['deepseek'];
  for (let hour = 1; hour < 14 * 24; hour += 1) {
    const at = new Date(now + hour * 3_600_000);
    const window = offPeakWindowAt(calendar, at);
    if (window !== null && window.opens.getTime() > at.getTime()) return window.opens.getTime();
  }
  return null;
};

/** The lines for DeepSeek first, the others after them, each in file order. */
const sendDeepSeekFirst = (lines: readonly string[]): string[] => {
  const isDeepSeek = (line: string): boolean => {
    try {
      return (JSON.parse(line) as { provider?: unknown }).provider === 'deepseek';
    } catch {
      return false;
    }
  };
  return [...lines.filter(isDeepSeek), ...lines.filter((line) => !isDeepSeek(line))];
};

/** What happened to the DeepSeek requests on the off-peak lane. */
interface OffPeakTally {
  held: number;
  servedInWindow: number;
  billedOffPeak: number;
  atPeak: number;
  peakReason: string | null;
}

/**
 * The local demo behind `npm start`: starts the local stack, sends the sample requests (and
 * a few bad ones, and some resends), waits until every request has its one result, prints a
 * summary and returns the process exit code (0 when every request got exactly one result).
 */
const runDemo = async (options: DemoOptions): Promise<number> => {
  const { out } = options;
  const started = Date.now();
  out(
    'batchlane demo: starting the local stack (AWS-API emulators, provider simulator, handlers)…',
  );
  // Long enough that a batch ended by a push visibly beats one found by the poller.
  const pollIntervalMs = 3000;
  const opens = nextWindowAfterPeak(Date.now());
  // Whole seconds, as the functions read the offset from their environment.
  const clockOffsetMs =
    opens === null
      ? 0
      : Math.max(0, Math.round((opens - WINDOW_LEAD_MS - Date.now()) / 1000) * 1000);
  const stack = await startLocalStack({
    // The functions and the simulator share a clock set just before a DeepSeek window.
    clockOffsetMs,
    processingMs: 1500,
    pollIntervalMs,
    maxRequestsPerBatch: 60,
    // A Bedrock group below the job minimum waits 5 s here (24 h by default) before the
    // realtime lane serves it, so the demo shows that path too.
    environment: { [ENV.belowMinimumWaitSeconds]: '5' },
    log: (line) => out(`  ${line}`),
  });
  try {
    const aws = createAwsClients(stack.env);
    const placeholders = {
      ...deadlinePlaceholders(new Date(Date.now() + clockOffsetMs)),
      // Five minutes into the window: too soon to wait for it, so served at once at peak.
      deadline_before_off_peak: new Date((opens ?? Date.now()) + 5 * 60_000).toISOString(),
      results_queue_url: stack.resultsQueueUrl,
      results_bucket: stack.resultsBucket,
      results_event_bus: stack.resultsEventBusName,
    };
    const read = (file: string): string[] =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => fillPlaceholders(l, placeholders));
    // DeepSeek's requests go first, so the collector's first invocations take them well before
    // the window opens, however long a loaded machine takes over the hundreds behind them.
    const good = sendDeepSeekFirst(read(options.requestsFile));
    const bad = read(options.badRequestsFile);
    // SQS delivers at least once: resend a slice to show identical resends fold.
    const resends = good.slice(0, 15);
    out(
      `stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s; providers: ${Object.entries(
        stack.providers,
      )
        .map(([name, url]) => `${name} → ${url}`)
        .join(', ')}`,
    );

    const sendStart = Date.now();
    const sent = await sendRequests(aws.sqs, stack.intakeQueueUrl, [...good, ...bad, ...resends]);
    out(
      `sent ${sent} messages (${good.length} requests, ${bad.length} bad, ${resends.length} resends) to ${stack.intakeQueueUrl}`,
    );

    const expected = new Set(good.map(customIdOf).filter((id): id is string => id !== null));
    // Bad requests with a readable custom_id get a `rejected` result; the others only an event.
    const expectedRejected = new Set(bad.map(customIdOf).filter((id): id is string => id !== null));
    const collector = ResultCollector.ofStack(stack, aws);
    const all = new Set([...expected, ...expectedRejected]);
    let lastReport = 0;
    while (Date.now() - sendStart < options.timeoutMs) {
      await collector.collect();
      const missing = collector.missing(all);
      if (missing.length === 0) break;
      if (Date.now() - lastReport > 5000) {
        out(`  waiting: ${all.size - missing.length} of ${all.size} results delivered`);
        lastReport = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // A little longer, so a duplicate delivery would have time to show up.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await collector.collect();
    const elapsed = (Date.now() - sendStart) / 1000;

    const byStatus = new Map<ResultStatus, number>();
    const byVia = new Map<string, number>();
    const byLane = new Map<string, number>();
    const byProvider = new Map<string, { count: number; nano: number; realtimeNano: number }>();
    const offPeak: OffPeakTally = {
      held: 0,
      servedInWindow: 0,
      billedOffPeak: 0,
      atPeak: 0,
      peakReason: null,
    };
    // Summed in nano-dollars, as the ledger does, so rounding cannot drift.
    let nanoUsd = 0;
    let realtimeNanoUsd = 0;
    for (const list of collector.byId.values()) {
      for (const { via, result } of list) {
        byStatus.set(result.status, (byStatus.get(result.status) ?? 0) + 1);
        byVia.set(via, (byVia.get(via) ?? 0) + 1);
        const lane = result.lane.served_by ?? 'none';
        byLane.set(lane, (byLane.get(lane) ?? 0) + 1);
        if (result.provider === 'deepseek' && result.status === 'succeeded') {
          tallyOffPeak(offPeak, result, opens);
        }
        nanoUsd += Math.round(result.cost.usd * 1e9);
        realtimeNanoUsd += Math.round(result.cost.realtime_usd * 1e9);
        if (result.provider !== null && result.status !== 'rejected') {
          const sums = byProvider.get(result.provider) ?? { count: 0, nano: 0, realtimeNano: 0 };
          sums.count += 1;
          sums.nano += Math.round(result.cost.usd * 1e9);
          sums.realtimeNano += Math.round(result.cost.realtime_usd * 1e9);
          byProvider.set(result.provider, sums);
        }
      }
    }
    const events = stack.emulators.eventBridge.events();
    const countEvents = (type: string): number =>
      events.filter((e) => e['detail-type'] === type).length;
    const missing = collector.missing(all);
    const duplicates = collector.duplicates();
    const deliveredGood = [...expected].filter((id) => collector.byId.has(id)).length;

    out('');
    out('batchlane demo summary');
    out(
      `  requests accepted:   ${deliveredGood} of ${expected.size} delivered (${resends.length} resends folded)`,
    );
    out(
      `  requests rejected:   ${[...expectedRejected].filter((id) => collector.byId.has(id)).length} of ${expectedRejected.size} delivered as rejected; ${countEvents('Request Rejected')} Request Rejected events`,
    );
    out(`  results by status:   ${[...byStatus].map(([s, n]) => `${s} ${n}`).join(', ')}`);
    out(`  results by route:    ${[...byVia].map(([v, n]) => `${v} ${n}`).join(', ')}`);
    out(`    sqs:         ${stack.resultsQueueUrl}`);
    out(`    s3:          s3://${stack.resultsBucket}/demo/batchlane/`);
    out(`    eventbridge: bus ${stack.resultsEventBusName} (detail-type "Request Result")`);
    out(
      `  batches:             ${countEvents('Batch Submitted')} submitted, ${countEvents('Batch Ended')} ended`,
    );
    out(`  results by lane:     ${[...byLane].map(([l, n]) => `${l} ${n}`).join(', ')}`);
    // How soon an ended batch's first result is out: at once when the provider pushes its
    // end, at the next poll otherwise.
    const turnarounds = batchTurnarounds(
      events,
      [...collector.byId.values()].flatMap((list) => list.map(({ result }) => result)),
      stack.receiver !== null,
    );
    const webhooks = stack.simulator?.webhookStats().delivered;
    out(
      `  end → first result:  from the provider's end to the batch's first delivery (poll every ${(pollIntervalMs / 1000).toFixed(0)} s)${webhooks === undefined ? '' : `; webhooks received: openai ${webhooks.openai}, gemini ${webhooks.gemini}`}`,
    );
    for (const line of formatTurnarounds(turnarounds)) out(`    ${line}`);
    if (opens !== null) {
      out(
        `  off-peak (deepseek): window opens ${new Date(opens).toISOString()} on the simulated clock; ${offPeak.held} held until it, ${offPeak.servedInWindow} served inside it, ${offPeak.billedOffPeak} billed at its rate; ${offPeak.atPeak} at once at peak${offPeak.peakReason === null ? '' : ` ("${offPeak.peakReason}")`}`,
      );
    }
    out('  results by provider: delivered, cost, saved against standard prices');
    for (const [provider, sums] of [...byProvider].sort(([a], [b]) => a.localeCompare(b))) {
      const saved = sums.realtimeNano - sums.nano;
      const share = sums.realtimeNano === 0 ? 0 : (saved / sums.realtimeNano) * 100;
      out(
        `    ${provider.padEnd(12)} ${String(sums.count).padStart(4)}  ${formatUsd(sums.nano)} USD, saved ${formatUsd(saved)} USD (${share.toFixed(1)} %)`,
      );
    }
    out(`  duplicate deliveries: ${duplicates.length}`);
    out(`  elapsed:             ${elapsed.toFixed(1)} s from first send to last delivery`);
    if (missing.length > 0 || duplicates.length > 0) {
      out(
        `FAILED: ${missing.length} without a result${missing.length > 0 ? ` (e.g. ${missing.slice(0, 5).join(', ')})` : ''}, ${duplicates.length} delivered more than once`,
      );
      return 1;
    }
    out(`  cost:                ${formatUsd(nanoUsd)} USD (batch, flex and off-peak prices)`);
    out(
      `  realtime equivalent: ${formatUsd(realtimeNanoUsd)} USD (the same usage at standard prices)`,
    );
    out(
      `  saved:               ${formatUsd(realtimeNanoUsd - nanoUsd)} USD (${realtimeNanoUsd === 0 ? 0 : (((realtimeNanoUsd - nanoUsd) / realtimeNanoUsd) * 100).toFixed(1)} %)`,
    );
    out(`OK: ${all.size} of ${all.size} requests have exactly one result`);
    return 0;
  } finally {
    await stack.stop();
  }
};

/**
 * Counts one delivered DeepSeek result: held for the window (its lane says so), served inside
 * it (the provider's `created` time), billed at its rate, or served at once at peak.
 */
const tallyOffPeak = (tally: OffPeakTally, result: ResultV1, opens: number | null): void => {
  if (result.lane.served_by !== 'off_peak') {
    tally.atPeak += 1;
    tally.peakReason ??= result.lane.reason;
    return;
  }
  if (result.lane.reason.includes('held')) tally.held += 1;
  if (result.cost.billed_as === 'off_peak') tally.billedOffPeak += 1;
  const created = (result.response as { created?: unknown } | null)?.created;
  if (opens !== null && typeof created === 'number' && created * 1000 >= opens) {
    tally.servedInWindow += 1;
  }
};

export { runDemo };
