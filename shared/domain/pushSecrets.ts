import { InvalidInputError } from './errors.js';

/** The refusal of a webhook from a provider no endpoint secret is configured for. */
const noPushSecretFor = (provider: string): InvalidInputError =>
  new InvalidInputError(`no webhook secret is configured for ${provider}`, {
    code: 'push_secret_missing',
    details: { provider },
  });

export { noPushSecretFor };
