/**
 * Why a request was refused at intake: the `reason.code` of a `Request Rejected` event and the
 * `error.type` of a `rejected` result. Each code is documented in the README ("Rejection
 * reasons"); the message that comes with it says what to change.
 */
const REJECTION_CODES = [
  'malformed_json',
  'not_an_object',
  'invalid_custom_id',
  'missing_body',
  'ambiguous_body',
  'claim_check_missing',
  'claim_check_invalid',
  'unknown_provider',
  'provider_not_enabled',
  'no_realtime_lane',
  'unsupported_endpoint',
  'invalid_body',
  'body_too_deep',
  'invalid_model',
  'unknown_model',
  'max_tokens_too_large',
  'stream_not_supported',
  'invalid_destination',
  'destination_forbidden',
  'missing_destination',
  'invalid_metadata',
  'metadata_too_deep',
  'metadata_too_large',
  'unsupported_tier',
  'invalid_deadline',
  'deadline_passed',
  'unknown_field',
  'request_too_large',
  'conflicting_resend',
  'unprocessable_message',
  'unpriced_model',
] as const;
type RejectionCode = (typeof REJECTION_CODES)[number];

/**
 * Bounds on everything in a message that becomes part of a key, a name, a stored item or a log
 * line, so no single message can break a DynamoDB key, an item, an event or a log.
 */
const INTAKE_BOUNDS = {
  /**
   * `body.model`: what every provider's model ids are made of (letters, digits, `.`, `_`,
   * `:`, `/`, `@`, `-`: dated snapshots, `ft:` fine-tunes, Bedrock ids and ARNs, Gemini
   * `models/…` names), at most 256 characters. It becomes part of DynamoDB keys and attribute
   * names, metric dimensions and log lines.
   */
  modelPattern: /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,255}$/,
  /** Levels of nesting in `metadata`, which is echoed inside results and events. */
  metadataMaxDepth: 16,
  /** Bytes of `metadata` as JSON: it is stored on every member item and echoed on every result. */
  metadataMaxBytes: 16 * 1024,
  /** Levels of nesting in `body` and in any other field (tool schemas rarely pass 20). */
  maxDepth: 64,
  /** Characters of a URL in a destination (queue URL, webhook). */
  urlMaxLength: 2048,
  /** Issues listed on one rejection, and characters of each issue's path and message. */
  maxIssues: 10,
  maxIssueChars: 300,
  /** Characters of a rejection's message. */
  maxMessageChars: 1000,
} as const;

export { INTAKE_BOUNDS, REJECTION_CODES, type RejectionCode };
