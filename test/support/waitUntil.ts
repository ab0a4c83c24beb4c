/**
 * Waits until `condition` holds, looking again every 200 ms, and fails naming `what` once
 * `timeoutMs` has passed: a bound on a wait for something that is bound to happen, never a
 * measure of how long it took.
 */
const waitUntil = async (
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

export { waitUntil };
