import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { translateAwsError } from '../../../shared/adapters/aws/translateAwsError.js';
import {
  AuthError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from '../../../shared/domain/errors.js';

/** An error shaped like the SDK's service exceptions. */
const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'req-1' },
    ...extra,
  });

describe('translateAwsError', () => {
  it.each([
    ['ThrottlingException', 400],
    ['ProvisionedThroughputExceededException', 400],
    ['RequestLimitExceeded', 400],
    ['SlowDown', 503],
    ['TooManyRequestsException', 429],
  ])('maps %s to ThrottledError', (name, status) => {
    const error = translateAwsError(sdkError(name, status));
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error.retryable).toBe(true);
  });

  it('maps an unknown 429 and $retryable.throttling to ThrottledError', () => {
    expect(translateAwsError(sdkError('Whatever', 429))).toBeInstanceOf(ThrottledError);
    expect(
      translateAwsError(sdkError('Custom', 400, { $retryable: { throttling: true } })),
    ).toBeInstanceOf(ThrottledError);
  });

  it.each([
    ['InternalServerError', 500],
    ['ServiceUnavailable', 503],
    ['SomethingNew', 502],
  ])('maps %s (%i) to UnavailableError', (name, status) => {
    expect(translateAwsError(sdkError(name, status))).toBeInstanceOf(UnavailableError);
  });

  it('maps socket errors without an HTTP status to UnavailableError', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(translateAwsError(reset)).toBeInstanceOf(UnavailableError);
    expect(translateAwsError(refused)).toBeInstanceOf(UnavailableError);
    expect(translateAwsError('a string')).toBeInstanceOf(UnavailableError);
  });

  it('maps conditional check failures, conditional transaction cancellations to ConflictError', () => {
    expect(translateAwsError(sdkError('ConditionalCheckFailedException', 400))).toBeInstanceOf(
      ConflictError,
    );
    const cancelled = sdkError('TransactionCanceledException', 400, {
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
    });
    expect(translateAwsError(cancelled)).toBeInstanceOf(ConflictError);
  });

  it('treats a transaction cancelled by a concurrent transaction as retryable', () => {
    const cancelled = sdkError('TransactionCanceledException', 400, {
      CancellationReasons: [{ Code: 'TransactionConflict' }],
    });
    expect(translateAwsError(cancelled)).toBeInstanceOf(UnavailableError);
  });

  it.each([
    ['NoSuchKey', 404],
    ['NotFound', 404],
    ['NoSuchBucket', 404],
    ['ResourceNotFoundException', 400],
    ['QueueDoesNotExist', 400],
    ['AWS.SimpleQueueService.NonExistentQueue', 400],
  ])('maps %s to NotFoundError', (name, status) => {
    expect(translateAwsError(sdkError(name, status))).toBeInstanceOf(NotFoundError);
  });

  it.each([
    ['AccessDenied', 403],
    ['AccessDeniedException', 400],
    ['UnrecognizedClientException', 400],
    ['InvalidAccessKeyId', 403],
    ['ExpiredTokenException', 400],
    ['Unknown403', 403],
  ])('maps %s to AuthError', (name, status) => {
    const error = translateAwsError(sdkError(name, status));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.retryable).toBe(false);
  });

  it.each([
    ['ValidationException', 400],
    ['InvalidParameterValue', 400],
    ['EntityTooLarge', 400],
    ['SerializationException', 400],
  ])('maps %s to InvalidInputError', (name, status) => {
    expect(translateAwsError(sdkError(name, status))).toBeInstanceOf(InvalidInputError);
  });

  it('works on real SDK exception classes and keeps cause and context', () => {
    const original = new DynamoDBServiceException({
      name: 'ConditionalCheckFailedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'abc' },
      message: 'The conditional request failed',
    });
    const error = translateAwsError(original, { operation: 'DynamoDB.PutItem', resource: 't/k' });
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.cause).toBe(original);
    expect(error.message).toBe(
      'DynamoDB.PutItem: ConditionalCheckFailedException: The conditional request failed',
    );
    expect(error.details).toMatchObject({
      awsError: 'ConditionalCheckFailedException',
      httpStatusCode: 400,
      requestId: 'abc',
      operation: 'DynamoDB.PutItem',
      resource: 't/k',
    });
  });

  it('passes batchlane errors through unchanged', () => {
    const error = new NotFoundError('gone', { code: 'not_found' });
    expect(translateAwsError(error)).toBe(error);
  });
});
