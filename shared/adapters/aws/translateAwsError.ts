import {
  AuthError,
  BatchlaneError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from '../../domain/errors.js';

/** Where the failing call came from, for the message and the logged details. */
interface AwsErrorContext {
  /** e.g. `DynamoDB.PutItem`, `S3.GetObject`. */
  readonly operation?: string;
  /** Table, bucket/key, queue URL... never content. */
  readonly resource?: string;
}

const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'LimitExceededException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'KMSThrottlingException',
  'KMS.KMSThrottlingException',
]);

const CONFLICT_NAMES: ReadonlySet<string> = new Set([
  'ConditionalCheckFailedException',
  'ResourceInUseException',
  'BucketAlreadyOwnedByYou',
  'BucketAlreadyExists',
  'QueueAlreadyExists',
  'QueueNameExists',
  'AWS.SimpleQueueService.QueueNameExists',
  'PreconditionFailed',
]);

const NOT_FOUND_NAMES: ReadonlySet<string> = new Set([
  'NoSuchKey',
  'NotFound',
  'NoSuchBucket',
  'NoSuchUpload',
  'ResourceNotFoundException',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'TableNotFoundException',
]);

const AUTH_NAMES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AllAccessDisabled',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
  'MissingAuthenticationToken',
  'IncompleteSignature',
  'InvalidSecurity',
  'KMS.AccessDeniedException',
  'CredentialsProviderError',
]);

const UNAVAILABLE_NAMES: ReadonlySet<string> = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'TransactionInProgressException',
  'TransactionConflictException',
  'KMS.KMSInternalException',
]);

/** Node/undici socket error codes that mean "the network, not the request". */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

interface AwsErrorShape {
  readonly name: string;
  readonly message: string;
  readonly code: string | null;
  readonly status: number | null;
  readonly requestId: string | null;
  readonly fault: string | null;
  readonly throttling: boolean;
}

const readString = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

const readShape = (error: unknown): AwsErrorShape => {
  if (typeof error !== 'object' || error === null) {
    return {
      name: 'UnknownError',
      message: String(error),
      code: null,
      status: null,
      requestId: null,
      fault: null,
      throttling: false,
    };
  }
  const record = error as Record<string, unknown>;
  const metadata = (
    typeof record.$metadata === 'object' && record.$metadata !== null ? record.$metadata : {}
  ) as Record<string, unknown>;
  const retryable = (
    typeof record.$retryable === 'object' && record.$retryable !== null ? record.$retryable : {}
  ) as Record<string, unknown>;
  // Some services (S3 XML, SQS query compatibility) put the AWS code in `Code`/`code`.
  const name = readString(record.name) ?? readString(record.Code) ?? 'Error';
  return {
    name,
    message: readString(record.message) ?? name,
    code: readString(record.code) ?? readString(record.Code),
    status: typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : null,
    requestId: readString(metadata.requestId),
    fault: readString(record.$fault),
    throttling: retryable.throttling === true,
  };
};

/** DynamoDB transactions only conflict when a condition inside them failed. */
const isConditionalCancellation = (error: unknown): boolean => {
  const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
  return (
    Array.isArray(reasons) &&
    reasons.some((r) => (r as { Code?: unknown } | null)?.Code === 'ConditionalCheckFailed')
  );
};

type ErrorClass = 'throttled' | 'conflict' | 'not_found' | 'auth' | 'unavailable' | 'invalid';

const classify = (shape: AwsErrorShape, error: unknown): ErrorClass => {
  const { name, code, status } = shape;
  if (THROTTLING_NAMES.has(name) || shape.throttling || status === 429) return 'throttled';
  if (name === 'TransactionCanceledException') {
    return isConditionalCancellation(error) ? 'conflict' : 'unavailable';
  }
  if (CONFLICT_NAMES.has(name)) return 'conflict';
  if (NOT_FOUND_NAMES.has(name)) return 'not_found';
  if (AUTH_NAMES.has(name)) return 'auth';
  if (UNAVAILABLE_NAMES.has(name)) return 'unavailable';
  if (code !== null && NETWORK_CODES.has(code)) return 'unavailable';
  if (name === 'AbortError') return 'unavailable';
  if (status !== null) {
    if (status >= 500) return 'unavailable';
    if (status === 401 || status === 403) return 'auth';
    if (status === 404) return 'not_found';
    if (status === 409 || status === 412) return 'conflict';
    if (status >= 400) return 'invalid';
  }
  if (shape.fault === 'server') return 'unavailable';
  if (shape.fault === 'client') return 'invalid';
  // Anything else (no HTTP status at all) is a transport or SDK-level failure: retrying is safe.
  return 'unavailable';
};

/**
 * Maps an AWS SDK v3 error (or a socket error under it) to batchlane's error hierarchy:
 * throttling → {@link ThrottledError}, 5xx/network → {@link UnavailableError},
 * conditional check failures → {@link ConflictError}, missing things → {@link NotFoundError},
 * denied credentials → {@link AuthError}, other 4xx → {@link InvalidInputError}.
 * batchlane errors pass through unchanged. The original error is kept as `cause`.
 */
const translateAwsError = (error: unknown, context: AwsErrorContext = {}): BatchlaneError => {
  if (error instanceof BatchlaneError) return error;
  const shape = readShape(error);
  const prefix = context.operation === undefined ? '' : `${context.operation}: `;
  const message = `${prefix}${shape.name}: ${shape.message}`;
  const details: Record<string, unknown> = {
    awsError: shape.name,
    ...(shape.status === null ? {} : { httpStatusCode: shape.status }),
    ...(shape.requestId === null ? {} : { requestId: shape.requestId }),
    ...(shape.code === null ? {} : { errorCode: shape.code }),
    ...(context.operation === undefined ? {} : { operation: context.operation }),
    ...(context.resource === undefined ? {} : { resource: context.resource }),
  };
  const options = { cause: error, details };
  switch (classify(shape, error)) {
    case 'throttled':
      return new ThrottledError(message, { ...options, code: 'throttled' });
    case 'conflict':
      return new ConflictError(message, { ...options, code: 'conflict' });
    case 'not_found':
      return new NotFoundError(message, { ...options, code: 'not_found' });
    case 'auth':
      return new AuthError(message, { ...options, code: 'auth' });
    case 'invalid':
      return new InvalidInputError(message, { ...options, code: 'invalid_input' });
    case 'unavailable':
      return new UnavailableError(message, { ...options, code: 'unavailable' });
  }
};

export { type AwsErrorContext, translateAwsError };
