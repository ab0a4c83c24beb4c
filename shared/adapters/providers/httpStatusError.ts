import {
  AuthError,
  type BatchlaneError,
  type BatchlaneErrorOptions,
  InvalidInputError,
  NotFoundError,
  UnavailableError,
} from '../../domain/errors.js';

/**
 * The batchlane error every provider's HTTP status maps to alike, once a provider's own
 * readings (its 409, 429, 529, a reason in the body) have had their say.
 */
const errorOfHttpStatus = (
  status: number,
  message: string,
  options: BatchlaneErrorOptions,
): BatchlaneError => {
  if (status === 401) return new AuthError(message, { ...options, code: 'unauthorized' });
  if (status === 403) return new AuthError(message, { ...options, code: 'forbidden' });
  if (status === 404) return new NotFoundError(message, { ...options, code: 'not_found' });
  if (status === 408) return new UnavailableError(message, { ...options, code: 'timeout' });
  if (status >= 500) return new UnavailableError(message, { ...options, code: 'unavailable' });
  if (status === 413) return new InvalidInputError(message, { ...options, code: 'too_large' });
  return new InvalidInputError(message, { ...options, code: 'invalid_request' });
};

export { errorOfHttpStatus };
