import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createMeter } from './measure.js';
import type { PhaseInput, PhaseResult } from './phaseTypes.js';
import { intakeMessages, memberId } from './workload.js';

/**
 * The raw anchors: the same bytes through the same SDK and emulator, with no batchlane logic
 * (no validation, no state, no provider call). They import nothing from batchlane, so their
 * RSS is the SDK's plus the work's.
 */

const MIB = 1024 * 1024;

/** The emulators take any key; the environment's, when set, are used as the SDK would. */
const credentialsFrom = (env: NodeJS.ProcessEnv) => ({
  accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'test',
  secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'test',
});

const s3From = (env: NodeJS.ProcessEnv): S3Client =>
  new S3Client({
    region: 'us-east-1',
    endpoint: env.AWS_ENDPOINT_URL_S3 ?? '',
    forcePathStyle: true,
    credentials: credentialsFrom(env),
  });

/** One JSONL object through lib-storage, as batchlane writes its own. */
const uploadJsonl = async (
  s3: S3Client,
  target: { readonly bucket: string; readonly key: string; readonly queueSize: number },
  body: Buffer,
): Promise<void> => {
  await new Upload({
    client: s3,
    params: {
      Bucket: target.bucket,
      Key: target.key,
      Body: body,
      ContentType: 'application/x-ndjson',
    },
    partSize: 8 * MIB,
    queueSize: target.queueSize,
  }).done();
};

type Measured = ReturnType<ReturnType<typeof createMeter>['finish']>;

/** An anchor's result: what it processed, its measurements, and no batchlane tally. */
const anchorResult = (
  phase: PhaseResult['phase'],
  input: PhaseInput,
  counts: Pick<PhaseResult, 'processed' | 'bytes' | 'batchId' | 'batches' | 'notes'>,
  measured: Measured,
): PhaseResult => ({ phase, size: input.size, ...counts, ...measured, tally: null });

interface PackedGroup {
  readonly requests: readonly { custom_id: string; body: unknown }[];
  /** Index of the group's first message in the workload. */
  readonly from: number;
  /** The group's number, from 0. */
  readonly file: number;
}

/**
 * Per invocation-sized group, parses each message, writes its provider line
 * (`{"custom_id","params"}`) and uploads the group's file with lib-storage, as one object;
 * `alsoPerGroup` runs in the same timed section. The bytes read and the files written.
 */
const packGroups = async (
  input: PhaseInput,
  s3: S3Client,
  names: { readonly runId: string; readonly file: string },
  alsoPerGroup: (group: PackedGroup) => Promise<void>,
): Promise<{ bytes: number; files: number; measured: Measured }> => {
  const workload = { runId: names.runId, resultsBucket: input.resultsBucket };
  const meter = createMeter();
  let bytes = 0;
  let files = 0;
  for (let from = 0; from < input.size; from += input.invocationSize) {
    const messages = intakeMessages(
      workload,
      from,
      Math.min(input.size, from + input.invocationSize),
    );
    for (const m of messages) bytes += Buffer.byteLength(m.body);
    const file = files;
    await meter.time(async () => {
      const requests = messages.map(
        (m) => JSON.parse(m.body) as { custom_id: string; body: unknown },
      );
      const lines = requests.map(
        (request, index) =>
          `${JSON.stringify({ custom_id: memberId(index), params: request.body })}\n`,
      );
      await uploadJsonl(
        s3,
        {
          bucket: input.artifactsBucket,
          key: `bench-anchor/${input.runId}/${names.file}-${file}.jsonl`,
          queueSize: 4,
        },
        Buffer.from(lines.join(''), 'utf8'),
      );
      await alsoPerGroup({ requests, from, file });
    });
    files += 1;
  }
  return { bytes, files, measured: meter.finish() };
};

/** Pack anchor: the groups packed and uploaded, nothing else. */
const packAnchor = async (input: PhaseInput): Promise<PhaseResult> => {
  const s3 = s3From(process.env);
  const packed = await packGroups(
    input,
    s3,
    { runId: `${input.runId}a`, file: 'input' },
    async () => undefined,
  );
  s3.destroy();
  return anchorResult(
    'pack-anchor',
    input,
    { processed: input.size, bytes: packed.bytes, batchId: null, batches: packed.files, notes: [] },
    packed.measured,
  );
};

/** Conditional puts in flight in the ledger anchor, as the collector's claims run. */
const LEDGER_CONCURRENCY = 16;

/**
 * Ledger anchor: the pack anchor plus what the state model cannot do without, one conditional
 * PutItem per request (`attribute_not_exists`, an item the size of a ledger entry) to the
 * same DynamoDB Local, 16 in flight.
 */
const ledgerAnchor = async (input: PhaseInput): Promise<PhaseResult> => {
  const s3 = s3From(process.env);
  const dynamodb = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '',
    credentials: credentialsFrom(process.env),
  });
  const runId = `${input.runId}l`;
  const packed = await packGroups(input, s3, { runId, file: 'ledger' }, async (group) => {
    const batchId = `anchor-${input.runId}-${group.file}`;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < group.requests.length) {
        const index = next++;
        const request = group.requests[index];
        if (request === undefined) continue;
        await dynamodb.send(
          new PutItemCommand({
            TableName: input.tableName,
            Item: {
              pk: { S: `REQ#anchor#${runId}#${request.custom_id}` },
              sk: { S: 'REQ' },
              state: { S: 'claimed' },
              request_hash: { S: '0'.repeat(64) },
              batch_id: { S: batchId },
              member_id: { S: memberId(group.from + index) },
              accepted_at: { S: new Date().toISOString() },
              expires_at: { N: String(Math.floor(Date.now() / 1000) + 86_400) },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: LEDGER_CONCURRENCY }, worker));
  });
  s3.destroy();
  dynamodb.destroy();
  return anchorResult(
    'ledger-anchor',
    input,
    { processed: input.size, bytes: packed.bytes, batchId: null, batches: packed.files, notes: [] },
    packed.measured,
  );
};

/** Calls `onLine` for each line of a byte stream: Buffer#indexOf splitting, per-line decode. */
const forEachLine = async (
  source: AsyncIterable<Uint8Array>,
  onLine: (line: string) => void | Promise<void>,
): Promise<number> => {
  let carry: Buffer | null = null;
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.byteLength;
    const incoming = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buffer: Buffer = carry === null ? incoming : Buffer.concat([carry, incoming]);
    let start = 0;
    let newline = buffer.indexOf(10, start);
    while (newline !== -1) {
      if (newline > start) await onLine(buffer.toString('utf8', start, newline));
      start = newline + 1;
      newline = buffer.indexOf(10, start);
    }
    carry = start < buffer.length ? Buffer.from(buffer.subarray(start)) : null;
  }
  if (carry !== null && carry.length > 0) await onLine(carry.toString('utf8'));
  return bytes;
};

const openResults = async (s3: S3Client, input: PhaseInput): Promise<AsyncIterable<Uint8Array>> => {
  const response = await s3.send(
    new GetObjectCommand({
      Bucket: input.artifactsBucket,
      Key: `batches/${input.batchId ?? ''}/results-0.jsonl`,
    }),
  );
  return response.Body as AsyncIterable<Uint8Array>;
};

/** Read anchor: the archived results file streamed from S3 and `JSON.parse`d line by line. */
const readAnchor = async (input: PhaseInput): Promise<PhaseResult> => {
  const s3 = s3From(process.env);
  const meter = createMeter();
  let lines = 0;
  let idChars = 0;
  const bytes = await meter.time(async () =>
    forEachLine(await openResults(s3, input), (line) => {
      const value = JSON.parse(line) as { custom_id?: string };
      // Used, so the parse cannot be optimised away.
      idChars += value.custom_id?.length ?? 0;
      lines += 1;
    }),
  );
  const measured = meter.finish();
  s3.destroy();
  return anchorResult(
    'read-anchor',
    input,
    {
      processed: lines,
      bytes,
      batchId: input.batchId,
      batches: 0,
      notes: [`${idChars} id chars read`],
    },
    measured,
  );
};

/**
 * Deliver anchor: read + parse as above, then wrap each result in a result record and write
 * the records as JSONL objects of 500 lines with lib-storage (what the S3 destination
 * receives), still with no state store. It prices the delivery itself.
 */
const deliverAnchor = async (input: PhaseInput): Promise<PhaseResult> => {
  const s3 = s3From(process.env);
  const meter = createMeter();
  let lines = 0;
  let objects = 0;
  let group: string[] = [];
  const flush = async (): Promise<void> => {
    if (group.length === 0) return;
    const body = Buffer.from(`${group.join('\n')}\n`, 'utf8');
    group = [];
    await uploadJsonl(
      s3,
      {
        bucket: input.resultsBucket,
        key: `bench-anchor/${input.runId}/${objects}.jsonl`,
        queueSize: 2,
      },
      body,
    );
    objects += 1;
  };
  const deliveredAt = new Date().toISOString();
  const bytes = await meter.time(async () => {
    const total = await forEachLine(await openResults(s3, input), async (line) => {
      const value = JSON.parse(line) as {
        custom_id: string;
        result: { type: string; message?: unknown; error?: unknown };
      };
      group.push(
        JSON.stringify({
          schema: 'batchlane.result.v1',
          custom_id: value.custom_id,
          status: value.result.type,
          response: value.result.message ?? null,
          error: value.result.error ?? null,
          delivered_at: deliveredAt,
        }),
      );
      lines += 1;
      if (group.length >= 500) await flush();
    });
    await flush();
    return total;
  });
  const measured = meter.finish();
  s3.destroy();
  return anchorResult(
    'deliver-anchor',
    input,
    { processed: lines, bytes, batchId: input.batchId, batches: objects, notes: [] },
    measured,
  );
};

export { deliverAnchor, forEachLine, ledgerAnchor, packAnchor, readAnchor };
