import type { RejectionCode } from '../../../shared/contract/rejections.js';

/**
 * The bad-input corpus: messages a careless or hostile producer may send, each with the
 * rejection code intake must answer and whether a `rejected` result can be delivered (only
 * when the message's `custom_id` and destination can be read and trusted). The pipeline test
 * (`badInput.test.ts`) mixes every case into SQS batches of good requests and checks that each
 * gets its code, that every good neighbour is delivered once, and that no dead-letter queue
 * receives anything. Add a case by adding an entry: ids must be unique across the corpus.
 */

/** What a case may refer to: the test's destinations, claim-check objects and caps. */
interface CorpusEnv {
  readonly destinations: {
    readonly sqs: object;
    readonly s3: object;
    readonly eventbridge: object;
    readonly webhook: object;
  };
  /**
   * `s3://<claims bucket>/…` of an object in {@link CLAIM_OBJECTS}, or of none: `claims/x` is
   * `x` under the sending producer's own prefix.
   */
  readonly claimUri: (key: string) => string;
  /** `s3://<claims bucket>/<key>`, the key as it is (see {@link OTHER_PRODUCERS_OBJECTS}). */
  readonly bucketUri: (key: string) => string;
  /**
   * `s3://<a bucket of the producer's choosing>/<key>`: the stack's credentials could read it,
   * and it holds a good body at `claims/good.json`, yet no claim check is read from it.
   */
  readonly foreignUri: (key: string) => string;
  /** The deployment's per-batch byte cap in this test (a body over it is too large). */
  readonly maxBytesPerBatch: number;
}

interface BadInputCase {
  /** What the case is about. */
  readonly name: string;
  /** The `custom_id` the `Request Rejected` event names (null: none could be read). */
  readonly customId: string | null;
  readonly code: RejectionCode;
  /** Whether a `rejected` result is delivered to the message's destination. */
  readonly delivered: boolean;
  /** The SQS message body: a string as is, anything else as its JSON. */
  readonly message: (env: CorpusEnv) => string | object;
}

const anthropicBody = (overrides: Record<string, unknown> = {}) => ({
  model: 'claude-haiku-4-5',
  max_tokens: 32,
  messages: [{ role: 'user', content: 'hello' }],
  ...overrides,
});

/** A well-formed Anthropic request to the test's SQS destination, with `overrides` on top. */
const request = (env: CorpusEnv, id: string, overrides: Record<string, unknown> = {}) => ({
  custom_id: id,
  provider: 'anthropic',
  body: anthropicBody(),
  destination: env.destinations.sqs,
  ...overrides,
});

/** The same for OpenAI chat completions. */
const openaiRequest = (env: CorpusEnv, id: string, body: Record<string, unknown>) => ({
  custom_id: id,
  provider: 'openai',
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body },
  destination: env.destinations.sqs,
});

/** A request message with `fragment` spliced in as a raw JSON field: for values too deep to build. */
const withRawField = (env: CorpusEnv, id: string, field: string, fragment: string): string =>
  `${JSON.stringify(request(env, id)).slice(0, -1)},${JSON.stringify(field)}:${fragment}}`;

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObject = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Objects the claim-check cases read, by key under the claims bucket. */
const CLAIM_OBJECTS: Record<string, (env: CorpusEnv) => string> = {
  'claims/not-json.txt': () => 'this is not { JSON',
  'claims/too-big.json': (env) =>
    JSON.stringify(
      anthropicBody({
        messages: [{ role: 'user', content: 'x'.repeat(env.maxBytesPerBatch + 1024) }],
      }),
    ),
  'claims/too-deep.json': () =>
    `{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":${nested(10_000)}}]}`,
  'claims/big-model.json': () =>
    JSON.stringify(anthropicBody({ model: `claude-${'x'.repeat(2000)}` })),
  // A good body in batchlane's bucket, but outside the claim-check prefix: never read.
  'outside/good.json': () => JSON.stringify(anthropicBody()),
};

/** Good bodies in the claims bucket outside the sending producer's prefix: never read for it. */
const OTHER_PRODUCERS_OBJECTS = ['claims/good.json', 'claims/AROAOTHERTEAM/good.json'] as const;

const BAD_INPUT_CORPUS: readonly BadInputCase[] = [
  // Not a request at all.
  {
    name: 'truncated JSON',
    customId: null,
    code: 'malformed_json',
    delivered: false,
    message: () => '{"custom_id": "trunc-1", "provider": ',
  },
  {
    name: 'empty body',
    customId: null,
    code: 'malformed_json',
    delivered: false,
    message: () => ' ',
  },
  {
    name: 'a JSON array',
    customId: null,
    code: 'not_an_object',
    delivered: false,
    message: () => '[{"custom_id": "array-1"}]',
  },
  {
    name: 'JSON null',
    customId: null,
    code: 'not_an_object',
    delivered: false,
    message: () => 'null',
  },
  {
    name: 'a JSON number',
    customId: null,
    code: 'not_an_object',
    delivered: false,
    message: () => '42',
  },

  // The id.
  {
    name: 'numeric custom_id',
    customId: null,
    code: 'invalid_custom_id',
    delivered: false,
    message: (env) => request(env, 'x', { custom_id: 42 }),
  },
  {
    name: 'custom_id over 64 characters',
    customId: null,
    code: 'invalid_custom_id',
    delivered: false,
    message: (env) => request(env, 'y'.repeat(65)),
  },
  {
    name: 'custom_id with a space',
    customId: null,
    code: 'invalid_custom_id',
    delivered: false,
    message: (env) => request(env, 'has space'),
  },
  {
    name: 'custom_id with a newline (log injection)',
    customId: null,
    code: 'invalid_custom_id',
    delivered: false,
    message: (env) => request(env, 'id\n{"level":"ERROR"}'),
  },
  {
    name: 'custom_id of 100,000 characters',
    customId: null,
    code: 'invalid_custom_id',
    delivered: false,
    message: (env) => request(env, 'z'.repeat(100_000)),
  },

  // Provider and endpoint.
  {
    name: 'numeric provider',
    customId: 'prov-num',
    code: 'unknown_provider',
    delivered: true,
    message: (env) => request(env, 'prov-num', { provider: 7 }),
  },
  {
    name: 'unknown provider',
    customId: 'prov-name',
    code: 'unknown_provider',
    delivered: true,
    message: (env) => request(env, 'prov-name', { provider: 'acme-ai' }),
  },
  {
    // Not a provider id at all (PROVIDER_ID_PATTERN): a path, capitals, a control character.
    name: 'malformed provider id',
    customId: 'prov-malformed',
    code: 'unknown_provider',
    delivered: true,
    message: (env) => request(env, 'prov-malformed', { provider: '../Anthropic\n' }),
  },
  {
    name: 'unknown endpoint',
    customId: 'ep-unknown',
    code: 'unsupported_endpoint',
    delivered: true,
    message: (env) => request(env, 'ep-unknown', { endpoint: '/v1/images' }),
  },
  {
    name: "another provider's endpoint",
    customId: 'ep-other',
    code: 'unsupported_endpoint',
    delivered: true,
    message: (env) => request(env, 'ep-other', { endpoint: '/v1/embeddings' }),
  },

  // The body.
  {
    name: 'body is a string',
    customId: 'body-str',
    code: 'invalid_body',
    delivered: true,
    message: (env) => request(env, 'body-str', { body: 'hello' }),
  },
  {
    name: 'max_tokens as a string',
    customId: 'body-maxtok',
    code: 'invalid_body',
    delivered: true,
    message: (env) => request(env, 'body-maxtok', { body: anthropicBody({ max_tokens: '32' }) }),
  },
  {
    name: 'messages as a string',
    customId: 'body-msgs',
    code: 'invalid_body',
    delivered: true,
    message: (env) => request(env, 'body-msgs', { body: anthropicBody({ messages: 'hi' }) }),
  },
  {
    name: 'body without model',
    customId: 'body-nomodel',
    code: 'invalid_body',
    delivered: true,
    message: (env) => request(env, 'body-nomodel', { body: anthropicBody({ model: undefined }) }),
  },
  {
    name: 'stream: true',
    customId: 'stream-1',
    code: 'stream_not_supported',
    delivered: true,
    message: (env) => request(env, 'stream-1', { body: anthropicBody({ stream: true }) }),
  },
  {
    name: 'body nested 10,000 levels deep',
    customId: 'body-deep',
    code: 'body_too_deep',
    delivered: true,
    message: (env) =>
      withRawField(
        env,
        'body-deep',
        'body',
        `{"model":"claude-haiku-4-5","max_tokens":5,"messages":${nested(10_000)}}`,
      ),
  },
  {
    name: 'inline body over the per-batch cap',
    customId: 'body-big',
    code: 'request_too_large',
    delivered: true,
    message: (env) =>
      request(env, 'body-big', {
        body: anthropicBody({
          messages: [{ role: 'user', content: 'x'.repeat(env.maxBytesPerBatch + 10) }],
        }),
      }),
  },

  // The model: part of keys, names and log lines; then what the provider would refuse.
  {
    name: 'model of 2,000 characters',
    customId: 'model-long',
    code: 'invalid_model',
    delivered: true,
    message: (env) =>
      request(env, 'model-long', { body: anthropicBody({ model: `claude-${'x'.repeat(2000)}` }) }),
  },
  {
    name: 'model with a newline',
    customId: 'model-newline',
    code: 'invalid_model',
    delivered: true,
    message: (env) =>
      request(env, 'model-newline', {
        body: anthropicBody({ model: 'claude-haiku-4-5\nINFO forged' }),
      }),
  },
  {
    name: 'model with a space',
    customId: 'model-space',
    code: 'invalid_model',
    delivered: true,
    message: (env) =>
      request(env, 'model-space', { body: anthropicBody({ model: 'claude haiku' }) }),
  },
  {
    name: 'model __proto__',
    customId: 'model-proto',
    code: 'invalid_model',
    delivered: true,
    message: (env) => request(env, 'model-proto', { body: anthropicBody({ model: '__proto__' }) }),
  },
  {
    name: 'model as a number',
    customId: 'model-num',
    code: 'invalid_body',
    delivered: true,
    message: (env) => request(env, 'model-num', { body: anthropicBody({ model: 4 }) }),
  },
  {
    name: 'an OpenAI model sent to Anthropic',
    customId: 'model-cross-a',
    code: 'unknown_model',
    delivered: true,
    message: (env) =>
      request(env, 'model-cross-a', { body: anthropicBody({ model: 'gpt-4o-mini' }) }),
  },
  {
    name: 'an Anthropic model sent to OpenAI',
    customId: 'model-cross-o',
    code: 'unknown_model',
    delivered: true,
    message: (env) => openaiRequest(env, 'model-cross-o', { model: 'claude-haiku-4-5' }),
  },
  {
    name: 'model "constructor" (an Object.prototype name)',
    customId: 'model-ctor',
    code: 'unknown_model',
    delivered: true,
    message: (env) => openaiRequest(env, 'model-ctor', { model: 'constructor' }),
  },
  {
    name: 'max_tokens above the model maximum',
    customId: 'maxtok-a',
    code: 'max_tokens_too_large',
    delivered: true,
    message: (env) => request(env, 'maxtok-a', { body: anthropicBody({ max_tokens: 1_000_000 }) }),
  },
  {
    name: 'max_tokens of 1e308',
    customId: 'maxtok-huge',
    code: 'max_tokens_too_large',
    delivered: true,
    message: (env) => request(env, 'maxtok-huge', { body: anthropicBody({ max_tokens: 1e308 }) }),
  },
  {
    name: 'max_completion_tokens above the model maximum',
    customId: 'maxtok-o',
    code: 'max_tokens_too_large',
    delivered: true,
    message: (env) => openaiRequest(env, 'maxtok-o', { max_completion_tokens: 100_000 }),
  },
  {
    name: 'max_output_tokens above the model maximum (Responses)',
    customId: 'maxtok-r',
    code: 'max_tokens_too_large',
    delivered: true,
    message: (env) => ({
      custom_id: 'maxtok-r',
      provider: 'openai',
      endpoint: '/v1/responses',
      body: { model: 'gpt-4.1-mini', input: 'hi', max_output_tokens: 1_000_000 },
      destination: env.destinations.sqs,
    }),
  },

  // Metadata: stored on every member item and echoed on every result.
  {
    name: 'metadata nested 5,000 levels deep',
    customId: 'meta-deep',
    code: 'metadata_too_deep',
    delivered: true,
    message: (env) => withRawField(env, 'meta-deep', 'metadata', nested(5_000)),
  },
  {
    name: 'metadata nested 40,000 levels deep',
    customId: 'meta-deeper',
    code: 'metadata_too_deep',
    delivered: true,
    message: (env) => withRawField(env, 'meta-deeper', 'metadata', nestedObject(40_000)),
  },
  {
    name: 'metadata nested 17 levels deep',
    customId: 'meta-17',
    code: 'metadata_too_deep',
    delivered: true,
    message: (env) => withRawField(env, 'meta-17', 'metadata', nestedObject(17)),
  },
  {
    name: 'metadata of 20 KiB',
    customId: 'meta-big',
    code: 'metadata_too_large',
    delivered: true,
    message: (env) => request(env, 'meta-big', { metadata: { note: 'm'.repeat(20 * 1024) } }),
  },
  {
    name: 'metadata as 20,000 small objects',
    customId: 'meta-many',
    code: 'metadata_too_large',
    delivered: true,
    message: (env) =>
      request(env, 'meta-many', { metadata: Array.from({ length: 20_000 }, () => ({})) }),
  },
  {
    name: 'metadata as one string of 17 KiB',
    customId: 'meta-string',
    code: 'metadata_too_large',
    delivered: true,
    message: (env) => request(env, 'meta-string', { metadata: 's'.repeat(17 * 1024) }),
  },

  // Lane and deadline.
  {
    name: 'numeric tier',
    customId: 'tier-num',
    code: 'unsupported_tier',
    delivered: true,
    message: (env) => request(env, 'tier-num', { tier: 42 }),
  },
  {
    name: 'flex for Anthropic',
    customId: 'tier-flex-a',
    code: 'unsupported_tier',
    delivered: true,
    message: (env) => request(env, 'tier-flex-a', { tier: 'flex' }),
  },
  {
    name: 'auto without a deadline',
    customId: 'tier-auto',
    code: 'unsupported_tier',
    delivered: true,
    message: (env) => request(env, 'tier-auto', { tier: 'auto' }),
  },
  {
    name: 'deadline not a date',
    customId: 'deadline-bad',
    code: 'invalid_deadline',
    delivered: true,
    message: (env) => request(env, 'deadline-bad', { deadline: 'tomorrow' }),
  },
  {
    name: 'deadline passed',
    customId: 'deadline-past',
    code: 'deadline_passed',
    delivered: true,
    message: (env) => request(env, 'deadline-past', { deadline: '2020-01-01T00:00:00Z' }),
  },

  // Fields the contract does not define.
  {
    name: 'a typo',
    customId: 'typo-1',
    code: 'unknown_field',
    delivered: true,
    message: (env) => request(env, 'typo-1', { prompt: 'hi' }),
  },
  {
    name: '10,000 unknown fields',
    customId: 'typo-many',
    code: 'unknown_field',
    delivered: true,
    message: (env) => ({
      ...request(env, 'typo-many'),
      ...Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`field_${i}`, i])),
    }),
  },
  {
    name: 'an unknown field nested 50,000 levels deep',
    customId: 'typo-deep',
    code: 'unknown_field',
    delivered: true,
    message: (env) => withRawField(env, 'typo-deep', 'extra', nested(50_000)),
  },

  // Destinations: refused ones are never delivered to.
  {
    name: 'sqs without queue_url',
    customId: 'dest-sqs',
    code: 'invalid_destination',
    delivered: false,
    message: (env) => request(env, 'dest-sqs', { destination: { type: 'sqs' } }),
  },
  {
    name: 'invalid bucket name',
    customId: 'dest-s3',
    code: 'invalid_destination',
    delivered: false,
    message: (env) =>
      request(env, 'dest-s3', { destination: { type: 's3', bucket: 'Bad_Bucket' } }),
  },
  {
    name: 'empty bus name',
    customId: 'dest-eb',
    code: 'invalid_destination',
    delivered: false,
    message: (env) =>
      request(env, 'dest-eb', { destination: { type: 'eventbridge', event_bus_name: '' } }),
  },
  {
    name: 'file: webhook',
    customId: 'dest-file',
    code: 'invalid_destination',
    delivered: false,
    message: (env) =>
      request(env, 'dest-file', { destination: { type: 'webhook', url: 'file:///etc/passwd' } }),
  },
  {
    name: 'ftp: webhook',
    customId: 'dest-ftp',
    code: 'invalid_destination',
    delivered: false,
    message: (env) =>
      request(env, 'dest-ftp', {
        destination: { type: 'webhook', url: 'ftp://files.example.com/' },
      }),
  },
  {
    name: 'unknown destination type',
    customId: 'dest-type',
    code: 'invalid_destination',
    delivered: false,
    message: (env) =>
      request(env, 'dest-type', { destination: { type: 'email', to: 'a@example.com' } }),
  },
  {
    name: 'queue_url of 3,000 characters',
    customId: 'dest-long',
    code: 'invalid_destination',
    delivered: false,
    message: (env) =>
      request(env, 'dest-long', {
        destination: {
          type: 'sqs',
          queue_url: `https://sqs.eu-west-1.amazonaws.com/123456789012/${'q'.repeat(3000)}`,
        },
      }),
  },
  {
    name: 'no destination and no default',
    customId: 'no-dest',
    code: 'missing_destination',
    delivered: false,
    message: (env) => request(env, 'no-dest', { destination: undefined }),
  },

  // Body sources and claim checks.
  {
    name: 'both body and body_s3_uri',
    customId: 'both-1',
    code: 'ambiguous_body',
    delivered: true,
    message: (env) => request(env, 'both-1', { body_s3_uri: env.claimUri('claims/good.json') }),
  },
  {
    name: 'neither body nor body_s3_uri',
    customId: 'neither-1',
    code: 'missing_body',
    delivered: true,
    message: (env) => request(env, 'neither-1', { body: undefined }),
  },
  {
    name: 'claim check names no object',
    customId: 'cc-missing',
    code: 'claim_check_missing',
    delivered: true,
    message: (env) =>
      request(env, 'cc-missing', {
        body: undefined,
        body_s3_uri: env.claimUri('claims/nothing-here'),
      }),
  },
  {
    name: 'claim check names no bucket',
    customId: 'cc-no-bucket',
    code: 'claim_check_missing',
    delivered: true,
    message: (env) =>
      request(env, 'cc-no-bucket', {
        body: undefined,
        body_s3_uri: 's3://no-such-bucket-for-claims/k.json',
      }),
  },
  {
    name: "claim check in a bucket of the producer's choosing",
    customId: 'cc-not-yours',
    code: 'claim_check_missing',
    delivered: true,
    message: (env) =>
      request(env, 'cc-not-yours', {
        body: undefined,
        body_s3_uri: env.foreignUri('claims/good.json'),
      }),
  },
  {
    name: "claim check outside the claims/ prefix of batchlane's bucket",
    customId: 'cc-outside',
    code: 'claim_check_missing',
    delivered: true,
    message: (env) =>
      request(env, 'cc-outside', {
        body: undefined,
        body_s3_uri: env.claimUri('outside/good.json'),
      }),
  },
  {
    name: "claim check in the shared claims/, not the producer's own prefix",
    customId: 'cc-shared-prefix',
    code: 'claim_check_missing',
    delivered: true,
    message: (env) =>
      request(env, 'cc-shared-prefix', {
        body: undefined,
        body_s3_uri: env.bucketUri('claims/good.json'),
      }),
  },
  {
    name: "claim check under another producer's prefix",
    customId: 'cc-other-producer',
    code: 'claim_check_missing',
    delivered: true,
    message: (env) =>
      request(env, 'cc-other-producer', {
        body: undefined,
        body_s3_uri: env.bucketUri('claims/AROAOTHERTEAM/good.json'),
      }),
  },
  {
    name: 'claim check not JSON',
    customId: 'cc-not-json',
    code: 'claim_check_invalid',
    delivered: true,
    message: (env) =>
      request(env, 'cc-not-json', {
        body: undefined,
        body_s3_uri: env.claimUri('claims/not-json.txt'),
      }),
  },
  {
    name: 'claim check not an s3:// URI',
    customId: 'cc-bad-uri',
    code: 'claim_check_invalid',
    delivered: true,
    message: (env) =>
      request(env, 'cc-bad-uri', { body: undefined, body_s3_uri: 'https://example.com/body.json' }),
  },
  {
    name: 'claim check over the cap',
    customId: 'cc-too-big',
    code: 'request_too_large',
    delivered: true,
    message: (env) =>
      request(env, 'cc-too-big', {
        body: undefined,
        body_s3_uri: env.claimUri('claims/too-big.json'),
      }),
  },
  {
    name: 'claim-checked body nested 10,000 levels deep',
    customId: 'cc-too-deep',
    code: 'body_too_deep',
    delivered: true,
    message: (env) =>
      request(env, 'cc-too-deep', {
        body: undefined,
        body_s3_uri: env.claimUri('claims/too-deep.json'),
      }),
  },
  {
    name: 'claim-checked body with a 2,000-character model',
    customId: 'cc-big-model',
    code: 'invalid_model',
    delivered: true,
    message: (env) =>
      request(env, 'cc-big-model', {
        body: undefined,
        body_s3_uri: env.claimUri('claims/big-model.json'),
      }),
  },
];

export {
  anthropicBody,
  BAD_INPUT_CORPUS,
  type BadInputCase,
  CLAIM_OBJECTS,
  type CorpusEnv,
  OTHER_PRODUCERS_OBJECTS,
  request,
};
