/**
 * The AWS SDK's own, documented switch for its warning that releases after January 2027 need
 * Node 22. batchlane's local tooling runs on Node 20 by design (the deployed functions run on
 * 22), so the warning is noise there. Set in `process.env` before any client is made, it also
 * reaches the local stack's worker threads and the tests' workers, which inherit the
 * environment. A value the user set (`false`, to see the warning) is kept.
 */
const AWS_SDK_NODE_WARNING_VARIABLE = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

const quietAwsSdkNodeWarning = (env: NodeJS.ProcessEnv = process.env): void => {
  env[AWS_SDK_NODE_WARNING_VARIABLE] ??= 'true';
};

export { AWS_SDK_NODE_WARNING_VARIABLE, quietAwsSdkNodeWarning };
