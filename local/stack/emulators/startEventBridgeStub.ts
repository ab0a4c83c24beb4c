import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  eventEntrySize,
  MAX_ENTRIES_PER_CALL,
  MAX_EVENT_BYTES,
} from '../../../shared/adapters/aws/eventEntrySize.js';
import { type Delivery, EventBridgeApiError, EventRules } from './eventRules.js';

/** An event as EventBridge delivers it to targets. */
interface EventEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: unknown;
}

/** One accepted event: its envelope, plus the bus it was put on (not part of the envelope). */
type RecordedEvent = EventEnvelope & { readonly 'event-bus-name': string };

/** Options of {@link startEventBridgeStub}. */
interface StartEventBridgeStubOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  readonly region?: string;
  /** Appends each accepted event (a {@link RecordedEvent}) as one JSON line. */
  readonly jsonlPath?: string;
  /** Sends each accepted event's envelope as an SQS message, like a rule with an SQS target. */
  readonly forwardToSqs?: { readonly client: SQSClient; readonly queueUrl: string };
  /** The SQS the targets of rules are on (or later, with `connectSqs`). */
  readonly sqs?: SQSClient;
}

/** A rule's target the local EventBridge could not deliver an event to. */
interface FailedDelivery {
  readonly rule: string;
  readonly targetId: string;
  readonly eventId: string;
  readonly error: string;
}

/** A running PutEvents stub. */
interface EventBridgeStub {
  readonly endpoint: string;
  readonly port: number;
  /** Every accepted event so far, oldest first. */
  events(): RecordedEvent[];
  clear(): void;
  /**
   * Makes the next `count` entries fail with `errorCode` (default `InternalFailure`), as
   * EventBridge does under load, to exercise FailedEntryCount handling.
   */
  failNextEntries(count: number, errorCode?: string): void;
  /** Starts (or redirects) forwarding of accepted events' envelopes to an SQS queue. */
  forwardTo(client: SQSClient, queueUrl: string): void;
  /** Names the SQS that rules' queue targets are on. */
  connectSqs(client: SQSClient): void;
  /** Deliveries to rules' targets that failed (a deleted queue, SQS down), oldest first. */
  failedDeliveries(): FailedDelivery[];
  stop(): Promise<void>;
}

const ACCOUNT = '000000000000';

interface PutEventsEntryInput {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Resources?: unknown;
  Time?: unknown;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
};

const awsError = (res: ServerResponse, status: number, type: string, message: string): void => {
  res.setHeader('x-amzn-errortype', type);
  sendJson(res, status, { __type: type, message });
};

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Epoch seconds (the SDK's JSON timestamp form) or an ISO string, as an ISO string. */
const isoTime = (value: unknown): string => {
  if (typeof value === 'number') return new Date(value * 1000).toISOString();
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) {
    return new Date(value).toISOString();
  }
  return new Date().toISOString();
};

/**
 * A small EventBridge stand-in speaking the JSON 1.1 protocol (`X-Amz-Target: AWSEvents.*`).
 * `PutEvents` validates like EventBridge: 1–10 entries and ≤ 256 KB per request
 * (ValidationException), Source/DetailType/Detail required, Detail a JSON object
 * (`MalformedDetail`), each entry ≤ 256 KB, with `FailedEntryCount` in the answer.
 * Rules work as in an account: `PutRule` (event patterns, see eventPattern.ts),
 * `DescribeRule`, `ListRules`, `EnableRule`, `DisableRule`, `DeleteRule`, `PutTargets`,
 * `RemoveTargets`, `ListTargetsByRule` and `TestEventPattern`; an accepted event goes to the
 * SQS queue targets of every enabled rule on its bus whose pattern it matches (with `Input`,
 * `InputPath` or `InputTransformer` applied). Accepted events are also kept in memory, served
 * at `GET /_events`, and optionally appended to a JSONL file and forwarded to an SQS queue.
 */
const startEventBridgeStub = async (
  options: StartEventBridgeStubOptions = {},
): Promise<EventBridgeStub> => {
  const region = options.region ?? 'us-east-1';
  const recorded: RecordedEvent[] = [];
  let failuresLeft = 0;
  let failureCode = 'InternalFailure';
  let forward = options.forwardToSqs ?? null;
  let sqs = options.sqs ?? null;
  const rules = new EventRules({ account: ACCOUNT, region });
  const failed: FailedDelivery[] = [];

  /** Sends an event to one rule target; a failure is recorded, never fails PutEvents. */
  const deliver = async (delivery: Delivery, eventId: string): Promise<void> => {
    const fail = (error: string): void => {
      failed.push({ rule: delivery.rule, targetId: delivery.target.Id, eventId, error });
    };
    if (sqs === null) {
      fail('no SQS connected to the local EventBridge');
      return;
    }
    try {
      const queueName = delivery.target.Arn.slice(delivery.target.Arn.lastIndexOf(':') + 1);
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
      const groupId = delivery.target.SqsParameters?.MessageGroupId;
      await sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: delivery.body,
          ...(groupId === undefined
            ? {}
            : { MessageGroupId: groupId, MessageDeduplicationId: eventId }),
        }),
      );
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
  };

  const accept = async (entry: PutEventsEntryInput, detail: unknown): Promise<EntryResult> => {
    const busName = text(entry.EventBusName) || 'default';
    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': text(entry.DetailType),
      source: text(entry.Source),
      account: ACCOUNT,
      time: isoTime(entry.Time),
      region,
      resources: Array.isArray(entry.Resources) ? entry.Resources.map(text) : [],
      detail,
    };
    const record: RecordedEvent = { ...event, 'event-bus-name': busName };
    if (options.jsonlPath !== undefined) {
      await appendFile(options.jsonlPath, `${JSON.stringify(record)}\n`);
    }
    if (forward !== null) {
      await forward.client.send(
        new SendMessageCommand({
          QueueUrl: forward.queueUrl,
          MessageBody: JSON.stringify(event),
        }),
      );
    }
    for (const delivery of rules.deliveriesFor(busName, event)) await deliver(delivery, event.id);
    recorded.push(record);
    return { EventId: event.id };
  };

  const putEntry = async (entry: PutEventsEntryInput): Promise<EntryResult> => {
    if (failuresLeft > 0) {
      failuresLeft--;
      return { ErrorCode: failureCode, ErrorMessage: 'Injected failure' };
    }
    if (text(entry.Source) === '' || text(entry.DetailType) === '' || text(entry.Detail) === '') {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameters Source, DetailType and Detail are required',
      };
    }
    if (eventEntrySize(entry) > MAX_EVENT_BYTES) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Event size exceeds 256 KB' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(text(entry.Detail));
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    try {
      return await accept(entry, detail);
    } catch (error) {
      // A forwarding or file failure is reported like EventBridge's own internal failures.
      return {
        ErrorCode: 'InternalFailure',
        ErrorMessage: error instanceof Error ? error.message : String(error),
      };
    }
  };

  const putEvents = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let input: { Entries?: unknown };
    try {
      input = JSON.parse(await readBody(req)) as { Entries?: unknown };
    } catch {
      awsError(res, 400, 'SerializationException', 'Request body is not valid JSON');
      return;
    }
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES_PER_CALL) {
      awsError(
        res,
        400,
        'ValidationException',
        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10",
      );
      return;
    }
    const typed = entries as PutEventsEntryInput[];
    if (typed.reduce((sum, e) => sum + eventEntrySize(e), 0) > MAX_EVENT_BYTES) {
      awsError(
        res,
        400,
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
      return;
    }
    const results: EntryResult[] = [];
    for (const entry of typed) results.push(await putEntry(entry));
    sendJson(res, 200, {
      FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
      Entries: results,
    });
  };

  const ruleOperations: Record<string, (input: Record<string, unknown>) => unknown> = {
    PutRule: (input) => rules.putRule(input),
    DescribeRule: (input) => rules.describeRule(input),
    ListRules: (input) => rules.listRules(input),
    EnableRule: (input) => rules.setState(input, 'ENABLED'),
    DisableRule: (input) => rules.setState(input, 'DISABLED'),
    DeleteRule: (input) => rules.deleteRule(input),
    PutTargets: (input) => rules.putTargets(input),
    RemoveTargets: (input) => rules.removeTargets(input),
    ListTargetsByRule: (input) => rules.listTargetsByRule(input),
    TestEventPattern: (input) => rules.testEventPattern(input),
  };

  const server = createServer((req, res) => {
    const handle = async (): Promise<void> => {
      if (req.method === 'GET' && req.url === '/_events') {
        sendJson(res, 200, recorded);
        return;
      }
      if (req.method === 'DELETE' && req.url === '/_events') {
        recorded.length = 0;
        sendJson(res, 200, {});
        return;
      }
      const target = req.headers['x-amz-target'];
      if (req.method === 'POST' && target === 'AWSEvents.PutEvents') {
        await putEvents(req, res);
        return;
      }
      const ruleOperation =
        req.method === 'POST' && typeof target === 'string'
          ? ruleOperations[target.replace(/^AWSEvents\./, '')]
          : undefined;
      if (ruleOperation !== undefined) {
        let input: unknown;
        try {
          input = JSON.parse((await readBody(req)) || '{}');
        } catch {
          awsError(res, 400, 'SerializationException', 'Request body is not valid JSON');
          return;
        }
        try {
          sendJson(res, 200, ruleOperation((input ?? {}) as Record<string, unknown>));
        } catch (error) {
          if (!(error instanceof EventBridgeApiError)) throw error;
          awsError(res, error.status, error.type, error.message);
        }
        return;
      }
      await readBody(req);
      awsError(
        res,
        400,
        'UnknownOperationException',
        `Operation ${String(target)} is not supported`,
      );
    };
    handle().catch((error: unknown) => {
      if (!res.headersSent) {
        awsError(res, 500, 'InternalException', error instanceof Error ? error.message : 'error');
      } else {
        res.destroy(error instanceof Error ? error : undefined);
      }
    });
  });
  await new Promise<void>((done, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    events: () => [...recorded],
    clear: () => {
      recorded.length = 0;
    },
    failNextEntries: (count, errorCode = 'InternalFailure') => {
      failuresLeft = count;
      failureCode = errorCode;
    },
    forwardTo: (client, queueUrl) => {
      forward = { client, queueUrl };
    },
    connectSqs: (client) => {
      sqs = client;
    },
    failedDeliveries: () => [...failed],
    stop: () =>
      new Promise<void>((done, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : done()));
      }),
  };
};

export {
  type EventBridgeStub,
  type EventEnvelope,
  type FailedDelivery,
  type RecordedEvent,
  type StartEventBridgeStubOptions,
  startEventBridgeStub,
};
