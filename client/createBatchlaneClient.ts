import { S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import type { ProviderName } from '../shared/contract/providers.js';
import type { RejectionCode } from '../shared/contract/rejections.js';
import type { RequestV1Input } from '../shared/contract/request.js';
import type { BackoffPolicy } from '../shared/domain/backoff.js';
import { claimCheckPrefix } from '../shared/domain/claimCheckLocation.js';
import { parseQueueUrl } from '../shared/domain/destinationPolicy.js';
import { errorMessage } from '../shared/domain/errors.js';
import { mapWithConcurrency } from '../shared/domain/mapWithConcurrency.js';
import { SQS_MAX_MESSAGE_BYTES } from './packMessages.js';
import {
  type ClientRejection,
  type DeploymentFacts,
  normalizeClaimCheckPrefix,
  type PreparedRequest,
  prepareRequest,
} from './prepareRequest.js';
import { isRetryableCallError, type MessageOutcome, sendMessages } from './sendMessages.js';

/** How to reach a batchlane deployment, and what the client may assume about it. */
interface BatchlaneClientOptions {
  /** The intake queue (stack output `IntakeQueueUrl`). */
  readonly queueUrl: string;
  /** The SQS client to send with; default: one for the queue's region. */
  readonly sqs?: SQSClient;
  /** The S3 client to upload claim checks with; default: one for the queue's region. */
  readonly s3?: S3Client;
  /**
   * The deployment's artifacts bucket (stack output `ArtifactsBucketName`): bodies too large
   * for a message are put there and sent as `body_s3_uri`. Without it they are refused.
   */
  readonly claimCheckBucket?: string;
  /**
   * Where in that bucket. Default: the producer's own prefix, `claims/<producer>/` (the
   * shared `claims/` for the default producer ''), when `producer` is given; else `claims/`.
   */
  readonly claimCheckPrefix?: string;
  /**
   * Who the deployment sees sending: the namespace its `producerNamespaces` maps this client's
   * role to, else the role's principal id (`AROA…`, the `UserId` of `aws sts
   * get-caller-identity` before its `:`). The collector reads a producer's claim checks only
   * under `claims/<producer>/`, so the client puts them there.
   */
  readonly producer?: string;
  /** The deployment's region; default: the queue URL's. */
  readonly region?: string;
  /** The providers the deployment enabled (stack output `EnabledProviders`); default: any. */
  readonly enabledProviders?: readonly ProviderName[];
  /** Its allow-list (stack output `DestinationAllowList`); default: destinations not checked. */
  readonly destinationAllowList?: string;
  /** Whether it has a default destination; default: unknown (a request may omit one). */
  readonly hasDefaultDestination?: boolean;
  /** Whether it accepts webhooks to private addresses (the local stack does). */
  readonly allowPrivateWebhooks?: boolean;
  /** The intake queue's `MaximumMessageSize`; default: read from the queue once (1 MiB if unreadable). */
  readonly maxMessageBytes?: number;
  /** Retries of entries SQS failed on its side (default 5), spaced by `backoff`. */
  readonly retries?: number;
  readonly backoff?: BackoffPolicy;
  /** SendMessageBatch calls in flight at once (default 8). */
  readonly concurrency?: number;
}

/** What became of one request. */
type SendOutcome =
  | {
      readonly status: 'sent';
      /** Its position in what `sendMany` was given (0 for `send`). */
      readonly index: number;
      readonly custom_id: string;
      /** SQS's id of the message: a `Request Rejected` event names it as `message_id`. */
      readonly message_id: string;
      /** `s3://…` of the uploaded body, when the body went by claim check. */
      readonly claim_check: string | null;
      /** The earlier request of the same call this one repeats exactly: not sent twice. */
      readonly duplicate_of: number | null;
    }
  | {
      /** Not sent: the collector would refuse it with this code. */
      readonly status: 'refused';
      readonly index: number;
      readonly custom_id: string | null;
      readonly code: RejectionCode;
      readonly message: string;
      readonly issues: readonly { readonly path: string; readonly message: string }[];
    }
  | {
      /** Not sent: SQS or S3 would not take it (after retries, when retrying could help). */
      readonly status: 'failed';
      readonly index: number;
      readonly custom_id: string;
      readonly code: string;
      readonly message: string;
      /** Whether sending it again later may succeed. */
      readonly retryable: boolean;
    };

type SentOutcome = Extract<SendOutcome, { status: 'sent' }>;

/** What `sendMany` did: one outcome per request, in order, and the counts. */
interface SendManyReport {
  readonly outcomes: readonly SendOutcome[];
  readonly sent: number;
  readonly refused: number;
  readonly failed: number;
}

interface BatchlaneClient {
  /** Validates one request and sends it (its body by claim check when too large). */
  send(request: RequestV1Input): Promise<SendOutcome>;
  /**
   * Validates and sends many requests, ten to a SendMessageBatch call. Taken in windows of
   * `WINDOW` requests, so an iterable of any length is never held whole.
   */
  sendMany(
    requests: Iterable<RequestV1Input> | AsyncIterable<RequestV1Input>,
    options?: { readonly onProgress?: (done: number) => void },
  ): Promise<SendManyReport>;
  /** Closes the clients it made itself. */
  destroy(): void;
}

/** Requests judged, uploaded and sent together. */
const WINDOW = 1000;
/** Claim-check uploads in flight at once (each may be tens of MB). */
const UPLOAD_CONCURRENCY = 4;

const regionOfQueue = (queueUrl: string): string | undefined =>
  parseQueueUrl(queueUrl)?.region ?? undefined;

/**
 * The intake queue's `MaximumMessageSize` (producers are granted GetQueueAttributes with
 * SendMessage); SQS's own maximum when it cannot be read.
 */
const readMaxMessageBytes = async (sqs: SQSClient, queueUrl: string): Promise<number> => {
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['MaximumMessageSize'],
      }),
    );
    const size = Number(Attributes?.['MaximumMessageSize']);
    return Number.isInteger(size) && size > 0
      ? Math.min(size, SQS_MAX_MESSAGE_BYTES)
      : SQS_MAX_MESSAGE_BYTES;
  } catch {
    return SQS_MAX_MESSAGE_BYTES;
  }
};

/**
 * Within one call, a request repeating an earlier one's `custom_id` is sent once when it is
 * identical (the collector would fold it) and refused as `conflicting_resend` when it differs
 * (the collector would refuse it).
 */
const foldRepeats = (
  prepared: readonly PreparedRequest[],
  firstOf: Map<string, { index: number; hash: string }>,
  offset: number,
): (number | null)[] =>
  prepared.map((p, i) => {
    if (!p.ok) return null;
    const first = firstOf.get(p.customId);
    if (first === undefined) {
      firstOf.set(p.customId, { index: offset + i, hash: p.requestHash });
      return null;
    }
    return first.hash === p.requestHash ? first.index : -1;
  });

/** A request judged sendable, at its position in its window. */
interface Ready {
  readonly position: number;
  readonly prepared: Extract<PreparedRequest, { ok: true }>;
}

/** The refusal of a request repeating an earlier `custom_id` of the call with another request. */
const CONFLICT: ClientRejection = {
  code: 'conflicting_resend',
  message: 'custom_id was used earlier in this call for a different request',
  issues: [{ path: 'custom_id', message: 'used earlier in this call for a different request' }],
};

const refused = (
  index: number,
  customId: string | null,
  rejection: ClientRejection,
): SendOutcome => ({ status: 'refused', index, custom_id: customId, ...rejection });

const uploadFailed = (index: number, customId: string, reason: unknown): SendOutcome => ({
  status: 'failed',
  index,
  custom_id: customId,
  code: reason instanceof Error ? reason.name : 'UploadFailed',
  message: `claim check not uploaded: ${errorMessage(reason)}`,
  retryable: isRetryableCallError(reason),
});

/** What sending a request's message came to. */
const outcomeOfMessage = (
  index: number,
  prepared: Ready['prepared'],
  message: MessageOutcome,
): SendOutcome =>
  message.sent
    ? {
        status: 'sent',
        index,
        custom_id: prepared.customId,
        message_id: message.messageId,
        claim_check:
          prepared.claimCheck === null
            ? null
            : `s3://${prepared.claimCheck.bucket}/${prepared.claimCheck.key}`,
        duplicate_of: null,
      }
    : {
        status: 'failed',
        index,
        custom_id: prepared.customId,
        code: message.code,
        message: message.message,
        retryable: message.retryable,
      };

/** The claim-check prefix of `producer`, when the client knows it. */
const producerPrefixOf = (producer: string | undefined): string | undefined => {
  if (producer === undefined) return undefined;
  const prefix = claimCheckPrefix(producer);
  if (prefix === null) {
    throw new RangeError(`producer must be a namespace or principal id, got ${producer}`);
  }
  return prefix;
};

/** A producer's client of one batchlane deployment. */
const createBatchlaneClient = (options: BatchlaneClientOptions): BatchlaneClient => {
  const region = options.region ?? regionOfQueue(options.queueUrl);
  const ownSqs = options.sqs === undefined;
  const ownS3 = options.s3 === undefined;
  const sqs = options.sqs ?? new SQSClient(region === undefined ? {} : { region });
  let s3: S3Client | undefined = options.s3;
  const s3Client = (): S3Client => {
    s3 ??= new S3Client(region === undefined ? {} : { region });
    return s3;
  };
  const claimCheckPrefix = normalizeClaimCheckPrefix(
    options.claimCheckPrefix ?? producerPrefixOf(options.producer),
  );
  let facts: Promise<DeploymentFacts> | undefined;
  const deploymentFacts = (): Promise<DeploymentFacts> => {
    facts ??= (async () => ({
      region: region ?? null,
      enabledProviders: options.enabledProviders ?? null,
      destinationAllowList: options.destinationAllowList ?? null,
      hasDefaultDestination: options.hasDefaultDestination ?? null,
      allowPrivateWebhooks: options.allowPrivateWebhooks ?? false,
      claimCheckBucket: options.claimCheckBucket ?? null,
      claimCheckPrefix,
      producer: options.producer ?? null,
      maxMessageBytes: Math.min(
        options.maxMessageBytes ?? (await readMaxMessageBytes(sqs, options.queueUrl)),
        SQS_MAX_MESSAGE_BYTES,
      ),
    }))();
    return facts;
  };

  const upload = async (claim: { bucket: string; key: string; body: string }): Promise<void> => {
    await new Upload({
      client: s3Client(),
      params: {
        Bucket: claim.bucket,
        Key: claim.key,
        Body: claim.body,
        ContentType: 'application/json',
      },
    }).done();
  };

  /** Judges, uploads and sends one window of requests; outcomes in order. */
  const sendWindow = async (
    requests: readonly unknown[],
    offset: number,
    firstOf: Map<string, { index: number; hash: string }>,
    sentByIndex: Map<number, SentOutcome>,
  ): Promise<SendOutcome[]> => {
    const known = await deploymentFacts();
    const now = new Date();
    const prepared = requests.map((request) => prepareRequest(request, known, now));
    const repeats = foldRepeats(prepared, firstOf, offset);
    const outcomes: (SendOutcome | undefined)[] = new Array(requests.length);
    const toSend: Ready[] = [];
    prepared.forEach((p, i) => {
      if (!p.ok) outcomes[i] = refused(offset + i, p.customId, p.rejection);
      else if (repeats[i] === -1) outcomes[i] = refused(offset + i, p.customId, CONFLICT);
      else if (repeats[i] === null) toSend.push({ position: i, prepared: p });
    });

    // A claim check is uploaded before its message is sent: the collector reads it at once.
    const uploads = await mapWithConcurrency(
      toSend,
      UPLOAD_CONCURRENCY,
      async ({ prepared: p }) => {
        if (p.claimCheck !== null) await upload(p.claimCheck);
      },
    );
    const ready = toSend.filter(({ position, prepared: p }, n) => {
      const upload = uploads[n];
      if (upload?.status !== 'rejected') return true;
      outcomes[position] = uploadFailed(offset + position, p.customId, upload.reason);
      return false;
    });

    const sent = await sendMessages(
      ready.map(({ prepared: p }) => p.message),
      {
        sqs,
        queueUrl: options.queueUrl,
        maxMessageBytes: known.maxMessageBytes,
        ...(options.retries === undefined ? {} : { retries: options.retries }),
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      },
    );
    sent.forEach((message, n) => {
      const { position, prepared: p } = ready[n] as Ready;
      const outcome = outcomeOfMessage(offset + position, p, message);
      if (outcome.status === 'sent') sentByIndex.set(outcome.index, outcome);
      outcomes[position] = outcome;
    });

    // Exact repeats take the outcome of the request they repeat.
    return prepared.map((p, i) => {
      const own = outcomes[i];
      if (own !== undefined) return own;
      const first = repeats[i] as number;
      const sentFirst = sentByIndex.get(first);
      return sentFirst === undefined
        ? {
            status: 'failed',
            index: offset + i,
            custom_id: p.ok ? p.customId : '',
            code: 'RepeatNotSent',
            message: `the identical request at ${first} was not sent`,
            retryable: true,
          }
        : { ...sentFirst, index: offset + i, duplicate_of: first };
    });
  };

  const sendMany: BatchlaneClient['sendMany'] = async (requests, sendOptions = {}) => {
    const outcomes: SendOutcome[] = [];
    const firstOf = new Map<string, { index: number; hash: string }>();
    const sentByIndex = new Map<number, SentOutcome>();
    let window: unknown[] = [];
    const flush = async (): Promise<void> => {
      outcomes.push(...(await sendWindow(window, outcomes.length, firstOf, sentByIndex)));
      window = [];
      sendOptions.onProgress?.(outcomes.length);
    };
    for await (const request of requests) {
      window.push(request);
      if (window.length === WINDOW) await flush();
    }
    if (window.length > 0) await flush();
    const count = (status: SendOutcome['status']) =>
      outcomes.filter((o) => o.status === status).length;
    return { outcomes, sent: count('sent'), refused: count('refused'), failed: count('failed') };
  };

  return {
    send: async (request) => {
      const [outcome] = await sendWindow([request], 0, new Map(), new Map());
      return outcome as SendOutcome;
    },
    sendMany,
    destroy: () => {
      if (ownSqs) sqs.destroy();
      if (ownS3) s3?.destroy();
    },
  };
};

export {
  type BatchlaneClient,
  type BatchlaneClientOptions,
  createBatchlaneClient,
  type SendManyReport,
  type SendOutcome,
};
