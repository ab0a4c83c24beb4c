import { cpus, totalmem } from 'node:os';
import {
  type BillingUnits,
  noUnits,
  PRICES,
  priceUnits,
  type Service,
  type Tally,
} from './awsCounters.js';
import type { Phase, PhaseResult } from './phaseTypes.js';

interface SizeRun {
  readonly size: number;
  readonly results: Partial<Record<Phase, PhaseResult>>;
}

/** How every phase's process was started (see `run.ts`). */
interface PhaseLaunch {
  /** `bundle`: the worker bundled as the functions are for Lambda; `tsx`: the sources. */
  readonly runner: 'bundle' | 'tsx';
  /** The Lambda memory size whose heap flags the phases ran with; null: Node's own sizing. */
  readonly lambdaMemoryMb: number | null;
  readonly nodeFlags: readonly string[];
}

interface ReportInput {
  readonly runs: readonly SizeRun[];
  /** Absent in results saved before the phases were bundled: they ran from the sources. */
  readonly launch?: PhaseLaunch;
  readonly invocationSize: number;
  readonly budgetS: number;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly simulatorHttpRequests: number;
}

const SERVICES: readonly Service[] = ['SQS', 'S3', 'DynamoDB', 'EventBridge'];
const MB = 1e6;

const fixed = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
const int = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';

const perSecond = (r: PhaseResult): number => r.processed / (r.busyMs / 1000);
const mbPerSecond = (r: PhaseResult, bytes = r.bytes): number => bytes / MB / (r.busyMs / 1000);
/** How `res` compares with its anchor in words: "2.0× slower", or "1.5× faster" past it. */
const slowerOrFaster = (res: PhaseResult, anchor: PhaseResult): string => {
  const ratio = perSecond(res) / perSecond(anchor);
  return ratio < 1 ? `${fixed(1 / ratio, 1)}× slower` : `${fixed(ratio, 1)}× faster`;
};

/** Renders rows as a markdown table (also readable as plain text). */
const table = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
};

const addUnits = (a: BillingUnits, b: BillingUnits): BillingUnits => ({
  sqsRequests: a.sqsRequests + b.sqsRequests,
  s3PutTier: a.s3PutTier + b.s3PutTier,
  s3GetTier: a.s3GetTier + b.s3GetTier,
  ddbWriteUnits: a.ddbWriteUnits + b.ddbWriteUnits,
  ddbReadUnits: a.ddbReadUnits + b.ddbReadUnits,
  ebEvents: a.ebEvents + b.ebEvents,
});

const scaleUnits = (u: BillingUnits, factor: number): BillingUnits => ({
  sqsRequests: u.sqsRequests * factor,
  s3PutTier: u.s3PutTier * factor,
  s3GetTier: u.s3GetTier * factor,
  ddbWriteUnits: u.ddbWriteUnits * factor,
  ddbReadUnits: u.ddbReadUnits * factor,
  ebEvents: u.ebEvents * factor,
});

const callsOf = (tally: Tally | null, service: Service): number =>
  tally === null ? 0 : Object.values(tally.calls[service]).reduce((a, b) => a + b, 0);

/**
 * SQS the collector never sees because Lambda does it: the producer's SendMessageBatch (10 per
 * call), the event source mapping's ReceiveMessage (10 per call) and DeleteMessageBatch.
 * 10 messages of ≤ 4 KB stay within one 64 KB billing chunk per call.
 */
const MODELED_INTAKE_SQS_PER_1000 = 100 + 100 + 100;

const throughputSection = (run: SizeRun): string[] => {
  const r = run.results;
  const rows: string[][] = [];
  const row = (
    label: string,
    res: PhaseResult | undefined,
    unit: string,
    bytes?: number,
    anchor?: PhaseResult,
  ): void => {
    if (res === undefined) return;
    const ratio =
      anchor === undefined
        ? '—'
        : `${fixed(perSecond(res) / perSecond(anchor), 3)}× (${slowerOrFaster(res, anchor)})`;
    rows.push([
      label,
      int(res.processed),
      fixed(res.busyMs / 1000, 2),
      `${int(perSecond(res))} ${unit}/s`,
      fixed(mbPerSecond(res, bytes ?? res.bytes), 1),
      fixed(res.cpuMs / 1000, 1),
      int(res.rss.peakMb),
      ratio,
    ]);
  };
  const fileBytes = r['read-anchor']?.bytes ?? 0;
  row('collector (batchlane)', r.collector, 'req', undefined, r['pack-anchor']);
  const seal = r.collector?.seal;
  if (seal != null && r.collector !== undefined) {
    const sealed = (r.collector.submitted ?? []).reduce((sum, b) => sum + b.requestCount, 0);
    const inputBytes = (r.collector.submitted ?? []).reduce((sum, b) => sum + b.inputBytes, 0);
    const s = seal.ms / 1000;
    rows.push([
      '  of which seal + assemble + submit',
      int(sealed),
      fixed(s, 2),
      `${int(sealed / s)} req/s`,
      fixed(inputBytes / MB / s, 1),
      fixed(seal.cpuMs / 1000, 1),
      seal.peakRssMb == null ? '—' : int(seal.peakRssMb),
      `${fixed((100 * seal.ms) / r.collector.busyMs, 1)} % of the collector's time`,
    ]);
  }
  row('  raw anchor: parse + provider line + lib-storage', r['pack-anchor'], 'req');
  row('  ledger anchor: raw anchor + 1 conditional PutItem per request', r['ledger-anchor'], 'req');
  row(
    'completion (batchlane)',
    r.completion,
    'res',
    fileBytes * ((r.completion?.processed ?? 0) / Math.max(1, run.size)),
    r['read-anchor'],
  );
  row('  raw anchor: stream + split + JSON.parse', r['read-anchor'], 'res');
  row('  2nd anchor: + result records → S3 objects of 500', r['deliver-anchor'], 'res');
  const lines = [
    `### N = ${int(run.size)}`,
    '',
    table(
      [
        'phase',
        'items',
        'time s',
        'throughput',
        'MB/s',
        'CPU s (bench proc)',
        'peak RSS MB',
        'ratio to raw anchor',
      ],
      rows,
    ),
  ];
  const completion = r.completion;
  const deliver = r['deliver-anchor'];
  if (completion !== undefined && deliver !== undefined) {
    lines.push(
      '',
      `Completion vs the 2nd anchor (same file, same S3 writes, no state store): ${fixed(perSecond(completion) / perSecond(deliver), 3)}× (${slowerOrFaster(completion, deliver)}).`,
    );
  }
  const collector = r.collector;
  const ledger = r['ledger-anchor'];
  if (collector !== undefined && ledger !== undefined) {
    lines.push(
      '',
      `Collector vs the ledger anchor (same messages, same S3 and DynamoDB Local, one conditional write per request): ${fixed(perSecond(collector) / perSecond(ledger), 3)}× (${slowerOrFaster(collector, ledger)}).`,
    );
  }
  const notes = [...(r.collector?.notes ?? []), ...(r.completion?.notes ?? [])];
  if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${n}`));
  return lines;
};

/** How the phases' processes ran: the code Lambda runs, under which heap sizing. */
const launchLine = (launch: PhaseLaunch | undefined): string => {
  const code =
    launch?.runner === 'bundle'
      ? "each phase runs from one esbuild bundle made with the functions' Lambda bundling options (minified ESM, names kept, with its source map and `--enable-source-maps`, their `NODE_OPTIONS`)"
      : 'each phase runs from the TypeScript sources through tsx';
  const heap =
    launch?.lambdaMemoryMb == null
      ? "with Node's own heap sizing"
      : `with the heap flags Lambda's Node.js runtime gives a ${int(launch.lambdaMemoryMb)} MB function`;
  const flags =
    launch === undefined || launch.nodeFlags.length === 0
      ? ''
      : ` (\`${launch.nodeFlags.join(' ')}\`)`;
  return `Phases: ${code}, ${heap}${flags}.`;
};

const rssSection = (runs: readonly SizeRun[]): string[] => {
  const phases: Phase[] = [
    'pack-anchor',
    'ledger-anchor',
    'collector',
    'completion',
    'read-anchor',
    'deliver-anchor',
  ];
  const header = [
    'phase',
    ...runs.map((run) => `N=${int(run.size)} peak (RSS at start; heap, external at peak; live)`),
    ...(runs.length === 2 ? [`${int(runs[1]?.size ?? 0)} ÷ ${int(runs[0]?.size ?? 0)}`] : []),
  ];
  const rows = phases.map((phase) => {
    const cells = runs.map((run) => {
      const res = run.results[phase];
      if (res === undefined) return 'n/a';
      const parts = res.rss.atPeak;
      const live = res.rss.liveMb == null ? '' : `; ${int(res.rss.liveMb)}`;
      const split =
        parts === undefined ? '' : `; ${int(parts.heapMb)}, ${int(parts.externalMb)}${live}`;
      return `${int(res.rss.peakMb)} MB (${int(res.rss.startMb)}${split})`;
    });
    const [a, b] = runs.map((run) => run.results[phase]?.rss.peakMb ?? Number.NaN);
    return [
      phase,
      ...cells,
      ...(runs.length === 2 ? [`${fixed((b ?? Number.NaN) / (a ?? Number.NaN), 2)}×`] : []),
    ];
  });
  // The collector's peak split: while sealing (assemble + submit) vs the whole phase.
  const sealPeaks = runs.map((run) => run.results.collector?.seal?.peakRssMb ?? Number.NaN);
  if (sealPeaks.some(Number.isFinite)) {
    const [a, b] = sealPeaks;
    rows.splice(2, 0, [
      '  collector while sealing',
      ...sealPeaks.map((peak) => (Number.isFinite(peak) ? `${int(peak)} MB` : 'n/a')),
      ...(runs.length === 2 ? [`${fixed((b ?? Number.NaN) / (a ?? Number.NaN), 2)}×`] : []),
    ]);
  }
  return [table(header, rows)];
};

const costSection = (run: SizeRun): string[] => {
  const collector = run.results.collector;
  const completion = run.results.completion;
  const per1000 = (tally: Tally | null, processed: number, service: Service): number =>
    processed === 0 ? 0 : (callsOf(tally, service) / processed) * 1000;
  const ops = new Set<string>();
  for (const res of [collector, completion]) {
    for (const service of SERVICES) {
      for (const op of Object.keys(res?.tally?.calls[service] ?? {})) ops.add(`${service}:${op}`);
    }
  }
  const opRows = [...ops].sort().map((key) => {
    const [service, op] = key.split(':') as [Service, string];
    const c = collector?.tally?.calls[service][op] ?? 0;
    const sealCalls = collector?.seal?.tally.calls[service][op] ?? 0;
    const d = completion?.tally?.calls[service][op] ?? 0;
    const cPer = collector === undefined ? 0 : (c / collector.processed) * 1000;
    const sPer = collector === undefined ? 0 : (sealCalls / collector.processed) * 1000;
    const dPer = completion === undefined ? 0 : (d / completion.processed) * 1000;
    const latency = (res: PhaseResult | undefined, calls: number): string =>
      calls === 0 ? '—' : fixed((res?.tally?.ms?.[service]?.[op] ?? 0) / calls, 1);
    return [
      service,
      op,
      fixed(cPer, 1),
      sealCalls === 0 ? '—' : `${fixed(sPer, 2)} (${int(sealCalls)})`,
      fixed(dPer, 1),
      fixed(cPer + dPer, 1),
      latency(collector, c),
      latency(completion, d),
    ];
  });
  const serviceRows = SERVICES.map((service) => {
    const cPer = per1000(collector?.tally ?? null, collector?.processed ?? 0, service);
    const dPer = per1000(completion?.tally ?? null, completion?.processed ?? 0, service);
    return [service, fixed(cPer, 1), fixed(dPer, 1), fixed(cPer + dPer, 1)];
  });
  const zero = noUnits();
  const perMillion = (res: PhaseResult | undefined): BillingUnits =>
    res?.tally == null || res.processed === 0
      ? zero
      : scaleUnits(res.tally.units, 1e6 / res.processed);
  const measured = addUnits(perMillion(collector), perMillion(completion));
  const intake: BillingUnits = { ...zero, sqsRequests: MODELED_INTAKE_SQS_PER_1000 * 1000 };
  const priced = priceUnits(measured);
  const pricedIntake = priceUnits(intake);
  const unitText = (service: Service, u: BillingUnits): string => {
    switch (service) {
      case 'SQS':
        return `${int(u.sqsRequests)} requests`;
      case 'S3':
        return `${int(u.s3PutTier)} PUT-tier + ${int(u.s3GetTier)} GET-tier`;
      case 'DynamoDB':
        return `${int(u.ddbWriteUnits)} WRU + ${int(u.ddbReadUnits)} RRU`;
      case 'EventBridge':
        return `${int(u.ebEvents)} events`;
    }
  };
  const costRows = SERVICES.map((service) => [
    service,
    unitText(service, measured),
    `$${fixed(priced[service], 3)}`,
  ]);
  costRows.push([
    'SQS intake (modeled, not counted)',
    unitText('SQS', intake),
    `$${fixed(pricedIntake.SQS, 3)}`,
  ]);
  const total = SERVICES.reduce((sum, s) => sum + priced[s], 0) + pricedIntake.SQS;
  costRows.push(['total', '', `$${fixed(total, 2)}`]);
  return [
    `#### AWS requests per 1,000 batchlane requests (N = ${int(run.size)}; HTTP attempts counted by an SDK middleware)`,
    '',
    table(['service', 'collector', 'completion (S3 destination)', 'total'], serviceRows),
    '',
    table(
      [
        'service',
        'operation',
        'collector',
        'of which sealing (calls)',
        'completion',
        'total',
        'collector mean ms/call',
        'completion mean ms/call',
      ],
      opRows,
    ),
    '',
    `#### Cost per million batchlane requests at list prices (N = ${int(run.size)})`,
    '',
    table(['service', 'billed units per 1M requests', 'USD per 1M requests'], costRows),
  ];
};

const latencySection = (runs: readonly SizeRun[]): string[] => [
  table(
    ['N', 'batch ended → last delivery (completion call to return)', 'per 1,000 results'],
    runs.map((run) => {
      const c = run.results.completion;
      return c === undefined
        ? [int(run.size), 'n/a', 'n/a']
        : [
            int(run.size),
            `${fixed(c.busyMs / 1000, 1)} s`,
            `${fixed(c.busyMs / c.processed, 2)} s`,
          ];
    }),
  ),
];

const machine = (): string => {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${fixed(totalmem() / 1024 ** 3, 1)} GiB memory, Node ${process.version}, ${process.platform}/${process.arch}`;
};

const mean = (res: PhaseResult | undefined, service: Service, op: string): number => {
  const calls = res?.tally?.calls[service][op] ?? 0;
  return calls === 0 ? Number.NaN : (res?.tally?.ms[service][op] ?? 0) / calls;
};

const per1000 = (res: PhaseResult | undefined, service: Service, op: string): number =>
  res === undefined || res.processed === 0
    ? Number.NaN
    : ((res.tally?.calls[service][op] ?? 0) / res.processed) * 1000;

/** Calls of an operation in the sealing alone (the whole phase's, not per 1,000). */
const sealCalls = (res: PhaseResult | undefined, service: Service, op: string): number =>
  res?.seal?.tally.calls[service][op] ?? 0;

/** Write units per request (or result) as billed: DynamoDB Local's, transactions recomputed. */
const wruPer = (res: PhaseResult | undefined): number =>
  res?.tally == null || res.processed === 0
    ? Number.NaN
    : res.tally.units.ddbWriteUnits / res.processed;

/**
 * What the figures mean and where the gap to the raw anchors goes, with this run's numbers
 * (from the largest size whose collector ran in full, and the largest completion).
 */
const notes = (input: ReportInput): string[] => {
  const full = [...input.runs]
    .reverse()
    .find(
      (run) => run.results.collector !== undefined && run.results.collector.processed === run.size,
    );
  const last = input.runs.at(-1);
  const col = (full ?? last)?.results.collector;
  const comp = last?.results.completion;
  const read = last?.results['read-anchor'];
  const deliver = last?.results['deliver-anchor'];
  const colCpuPerReq = col === undefined ? Number.NaN : col.cpuMs / col.processed;
  const colWallPerReq = col === undefined ? Number.NaN : col.busyMs / col.processed;
  const compWallPerRes = comp === undefined ? Number.NaN : comp.busyMs / comp.processed;
  const compCpuPerRes = comp === undefined ? Number.NaN : comp.cpuMs / comp.processed;
  const seal = col?.seal ?? null;
  const sealedBatch = col?.submitted?.[0];
  const sealS3 = (op: string): number => sealCalls(col, 'S3', op);
  return [
    '# batchlane bench',
    '',
    '## What the figures are',
    '',
    "- **Collector packing throughput**: `createCollector(deps)` called directly with invocations of intake messages (the SQS event the Lambda would get), one invocation at a time, with the real adapters on the emulators (DynamoDB Local, fauxqs for S3, the provider simulator). Each invocation adds its requests as one *part* to the group's `filling` batch: the room is reserved on the batch record (UpdateItem ADD), the part's lines and its sidecar of members (what completion routes each result by) are written to S3 (`batches/<id>/parts/<n>.jsonl` and `<n>.members.jsonl`), the part is recorded (PutItem) and checked open (GetItem), its members are claimed, 16 at a time, each with one plain conditional write (its ledger entry PutItem, written `claimed` by the batch and member at once), and the claimed count and the indexes that hold no member are recorded (UpdateItem). All requests are Anthropic `/v1/messages`, one group, so every invocation adds to the same batch. Sealing stops the filling (UpdateItem), seals every part (one UpdateItem each), streams the parts into `batches/<id>/input.jsonl` (lib-storage multipart upload), submits it to the simulator (Anthropic Message Batches API through the official SDK, the create body streamed from S3) and publishes `Batch Submitted`. A batch that reaches the provider's 100,000 requests is stopped by the invocation that filled it, which hands the rest to the completion function (`sealing`, plus a message on the completion queue); the phase then runs that rest itself (`finishSealing`, what the completion function does with the message) right after the last invocation. A batch still filling after the last invocation (N < 100,000) is sealed and submitted with `sealBatch(deps, id, 'full')`. Sealing is timed apart (**seal + assemble + submit**: from the `stopFilling` call to the submission's return) and counted in the collector's time, CPU and AWS calls. The batch records are then read back (untimed): the run fails unless exactly one batch of N requests is `submitted`. Requests/s and MB/s of SQS body bytes, over the time spent inside the collector calls and the sealing only (generating the messages is not timed). **Raw anchor**: the same bytes, parsed, serialized to the provider line format and uploaded with lib-storage to the same fauxqs, one object per invocation, no batchlane logic. **Ledger anchor**: the raw anchor plus one conditional PutItem per request (a ledger-sized item, `attribute_not_exists`, 16 in flight) to the same DynamoDB Local: the least any state model that folds resends must write.",
    "- **Completion throughput**: an ended batch of N members is seeded as sealing leaves one (the record through `DynamoDbStateStore.createBatch`, and per 1,000 members a sidecar object and a sealed part record written with the store's own codec, untimed), and an Anthropic results file of N lines (~2.5 KB each, non-ASCII text, 1 % `invalid_request_error`, shuffled like providers return them) is put where the completion archives it, so `archive()` skips the download. Then `createCompletion(deps)(batchId)` is timed from call to return: results/s and MB/s of the results file, all delivered to an S3 destination (JSONL objects). **Raw anchor**: the same file streamed from S3 and `JSON.parse`d line by line with Buffer splitting. **2nd anchor**: the same plus a result record per line written as JSONL objects of 500 lines with lib-storage, i.e. the delivery itself without any state: the gap between it and the completion is the state store.",
    "- **Ratio**: batchlane throughput ÷ anchor throughput on the same data in the same run (the machine is shared; ratios are steadier than absolute figures). Before the measured sizes, a warm-up run (collector, seed and completion of a small size, not reported) lets DynamoDB Local's JIT settle, so the first size is not measured on a cold JVM.",
    "- **Peak RSS**: every phase runs in a fresh Node process, started as Lambda starts a function (the line *Phases* under Run says how: by default from a bundle made with the functions' own bundling options and `NODE_OPTIONS`, with the heap flags Lambda's Node.js runtime gives a 256 MB function, `--max-semi-space-size=12 --max-old-space-size=231`, so the peak is what the function needs in a 256 MB Lambda, not what V8 takes when the machine has 24 GB to spare; the anchors run the same way). `process.memoryUsage().rss` is sampled every 50 ms during the timed work (the peak, and in brackets the RSS at start, the modules and clients, then at the peak sample the V8 heap, `heapTotal`, and the memory outside it, `external`: buffers and typed arrays; last, *live*: the most the process held right after a full garbage collection during the phase, heap in use plus external, from `v8.GCProfiler`: what the code keeps alive, without the room V8 leaves itself between collections). The kernel's `ru_maxrss` is not used: a spawned child inherits its parent's high-water mark, and the parent holds fauxqs's objects. DynamoDB Local (JVM) and fauxqs are not in these figures.",
    "- **AWS requests per 1,000 requests**: every HTTP attempt the SDK clients make (every AWS-backed adapter is rebuilt on instrumented clients: state store, blob store, claim checks, cost ledger, deliverers, events, queues), counted by a middleware on each client (`client.middlewareStack.add`), divided by the requests processed. TransactWriteItems calls (none left on these paths) would be listed by the actions they hold. DynamoDB capacity units are the ones DynamoDB Local reports (`ReturnConsumedCapacity: TOTAL` is added by the middleware), except for TransactWriteItems: DynamoDB Local reports a whole transaction as if it wrote one item (4 units for 1, 10 or 100 small puts alike), so those are computed as DynamoDB bills transactional writes, 2 WRU per action per KB of item (a Put's size estimated from its item; Update and ConditionCheck actions counted as items under 1 KB). The collector never calls SQS itself: the producer's SendMessageBatch and the Lambda event source's ReceiveMessage/DeleteMessageBatch are shown as a modeled line (3 calls per 10 messages). Polling (one provider call per batch per poll, one DynamoDB query per poll run) does not scale with requests and is left out.",
    "- **Batch ended → last delivery**: the completion call, start to return. In a deployment add the poller's interval (it notices the end) and the completion queue's delivery.",
    '',
    '## Where the gap to the raw limit goes',
    '',
    `- **Collector: one single-item write per request.** Per 1,000 requests the collector makes ${fixed(per1000(col, 'DynamoDB', 'PutItem'), 1)} PutItem (${fixed(mean(col, 'DynamoDB', 'PutItem'), 1)} ms each on average, 16 in flight: the ledger entry per request, plus the part records), ${fixed(per1000(col, 'DynamoDB', 'GetItem'), 1)} GetItem and ${fixed(per1000(col, 'DynamoDB', 'UpdateItem'), 1)} UpdateItem (reservations, part commits and sealing): ${fixed(callsOf(col?.tally ?? null, 'DynamoDB') / (col?.processed ?? Number.NaN), 3)} DynamoDB calls per request, and ${fixed(per1000(col, 'S3', 'PutObject'), 1)} PutObject (a part's lines and its sidecar). That is ${fixed(colWallPerReq, 2)} ms of wall per request, of which ${fixed(colCpuPerReq, 2)} ms is CPU in the bench process; the rest is DynamoDB Local's JVM applying the items. The ledger anchor makes the same write per request and nothing else.`,
    `- **Collector: sealing is a small share.** Sealing the batch of ${int(sealedBatch?.requestCount ?? Number.NaN)} requests (${fixed((sealedBatch?.inputBytes ?? Number.NaN) / MB, 1)} MB from ${int(sealedBatch?.parts ?? Number.NaN)} parts) took ${fixed((seal?.ms ?? Number.NaN) / 1000, 1)} s and ${fixed((seal?.cpuMs ?? Number.NaN) / 1000, 1)} s of CPU, ${fixed(seal === null || col === undefined ? Number.NaN : (100 * seal.ms) / col.busyMs, 1)} % of the collector phase's time (in a deployment all of it but the stop runs in the completion function): ${int(sealCalls(col, 'DynamoDB', 'UpdateItem'))} UpdateItem (stop filling, one per part), ${int(sealS3('GetObject'))} GetObject, a multipart upload of ${int(sealS3('UploadPart'))} parts, ${int(sealS3('DeleteObject'))} DeleteObject, ${int(sealCalls(col, 'DynamoDB', 'GetItem'))} GetItem + ${int(sealCalls(col, 'DynamoDB', 'PutItem'))} PutItem (the versioned batch record) and one PutEvents. Every part was committed by its collector, so no index had to be settled against the ledger.`,
    `- **Completion: no write per result.** The members are loaded once from the parts' sidecars (${fixed(per1000(comp, 'S3', 'GetObject'), 1)} GetObject per 1,000 results, the results file included) and the batch's few exception items with a Query (${fixed(per1000(comp, 'DynamoDB', 'Query'), 1)} Query per 1,000, with the part records; the exceptions are read back by key at the end, with BatchGetItem), and each chunk of 500 results moves the checkpoint on the batch record with the chunk's counts and costs, a write that runs while the next chunks are read and delivered (${fixed(per1000(comp, 'DynamoDB', 'PutItem'), 1)} PutItem and ${fixed(per1000(comp, 'DynamoDB', 'GetItem'), 1)} GetItem per 1,000: the versioned batch write). Members to send again get an item each (${fixed(per1000(comp, 'DynamoDB', 'UpdateItem'), 1)} UpdateItem per 1,000 in this run: the workload's errors are not retryable). That is ${fixed(compWallPerRes, 2)} ms of wall and ${fixed(compCpuPerRes, 2)} ms of CPU per result, where the 2nd anchor (the same parsing and S3 delivery without state) needs ${fixed(deliver === undefined ? Number.NaN : deliver.busyMs / deliver.processed, 3)} ms and the read anchor ${fixed(read === undefined ? Number.NaN : read.busyMs / read.processed, 3)} ms.`,
    `- **Write units.** No write on these paths is transactional, so none is billed twice: the collector costs ${fixed(wruPer(col), 2)} WRU per request (1 for the ledger entry, the rest for parts, reservations and sealing) and the completion ${fixed(wruPer(comp), 2)} WRU per result (the checkpoints, one per chunk of 500, and the batch's closing writes).`,
    "- **Memory**: what the code holds is bounded by the invocation (1,000 messages) and the chunk (500 results), plus, in the completion, the batch's members: a part is written from one invocation's lines, sealing streams one part object at a time into the multipart upload (the blob store's lib-storage upload holds at most 4 parts of 8 MB) and the submission streams the file, so neither the filling nor the sealing holds a batch in memory; the completion holds each member packed (a short line in byte slabs outside the V8 heap, about 200 bytes here, decoded when its result comes) and the members answered as one bit each. Most of each process's RSS is the modules and clients loaded at start (the bracketed figure) and the room V8 leaves its heap between full collections (compare the heap at the peak with what the process held after a full collection, *live*). That room grows with the memory V8 is given: with Node's own heap sizing on this 24 GB machine (`BENCH_LAMBDA_MEMORY_MB=0`) V8 lets its old generation grow to several times what survives, and the same code peaks about 100 MB higher at 100,000.",
    '- **Emulator speed.** DynamoDB Local on this 2-core machine is far slower per item than DynamoDB, so absolute throughput here is a floor; the call counts, the write units and the ratios to the anchors are what carry over.',
    '',
  ];
};

/** The report as plain text for the console and as RESULTS.md. */
const renderReport = (input: ReportInput): { text: string; markdown: string } => {
  const body: string[] = [];
  body.push('## Throughput and ratios to the raw anchors', '');
  for (const run of input.runs) body.push(...throughputSection(run), '');
  body.push(
    '## Peak RSS per phase (each phase in a fresh process)',
    '',
    ...rssSection(input.runs),
    '',
  );
  body.push(
    '## Time from the provider batch ending to the last delivery',
    '',
    ...latencySection(input.runs),
    '',
  );
  body.push('## AWS requests and cost', '');
  for (const run of input.runs) body.push(...costSection(run), '');
  body.push(
    `Prices (us-east-1 list prices, taken as assumptions as of ${input.startedAt.toISOString().slice(0, 10)}; from aws.amazon.com/sqs/pricing, /s3/pricing, /dynamodb/pricing/on-demand, /eventbridge/pricing): ` +
      `SQS $${PRICES.sqsPerMillionRequests} per million requests (each 64 KB chunk of a payload is one request); ` +
      `S3 Standard PUT/COPY/POST/LIST $${PRICES.s3PutPerThousand} per 1,000, GET and others $${PRICES.s3GetPerThousand} per 1,000; ` +
      `DynamoDB on-demand $${PRICES.ddbPerMillionWriteUnits} per million write request units, $${PRICES.ddbPerMillionReadUnits} per million read request units; ` +
      `EventBridge custom events $${PRICES.ebPerMillionEvents} per million (64 KB chunks). Free tiers, storage, data transfer, Lambda and provider costs are left out.`,
    '',
  );
  const header = [
    `Run: \`npm run bench\` on ${input.startedAt.toISOString()} (finished ${input.finishedAt.toISOString()}, ${fixed((input.finishedAt.getTime() - input.startedAt.getTime()) / 1000, 0)} s).`,
    launchLine(input.launch),
    `Machine: ${machine()}. Everything on loopback: fauxqs (SQS + S3) and the provider simulator in the parent process, DynamoDB Local as a Java child, each phase in its own Node child.`,
    `Workload: Anthropic \`/v1/messages\` requests, 1–4 KB SQS bodies with non-ASCII text, S3 destination; collector invocations of ${int(input.invocationSize)} messages, one at a time, \`maxRequestsPerBatch\` unset (provider limits: 100,000 requests, 256 MB), so the N requests of a size fill one batch, sealed and submitted after the last invocation (at 100,000 the last invocation stops it and hands it off, and the phase assembles and submits it as the completion function would); collector time budget ${input.budgetS} s per size. Provider simulator HTTP requests in the run: ${int(input.simulatorHttpRequests)}.`,
  ];
  const text = [...header, '', ...body].join('\n');
  return { text, markdown: [...notes(input), '## Run', '', ...header, '', ...body].join('\n') };
};

export { type ReportInput, renderReport, type SizeRun };
