/**
 * Whether an AWS SDK error is one of the named exceptions. The SDK sets `name` to the service's
 * error code (`ConditionalCheckFailedException`, `NoSuchKey`, …), which is what callers decide on.
 */
const isAwsErrorNamed = (error: unknown, ...names: string[]): boolean =>
  error instanceof Error && names.includes(error.name);

export { isAwsErrorNamed };
