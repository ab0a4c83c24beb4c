/** Room left in a batch. */
interface BatchRoom {
  readonly requests: number;
  readonly bytes: number;
}

/**
 * How many of `requests`, taken in order, fit in `room`: oldest first, and never one that
 * would push the batch over either limit (the rest wait for the next batch).
 */
const takeWhatFits = (
  requests: readonly { readonly lineBytes: number }[],
  room: BatchRoom,
): number => {
  let bytes = 0;
  let count = 0;
  for (const request of requests) {
    if (count >= room.requests || bytes + request.lineBytes > room.bytes) break;
    bytes += request.lineBytes;
    count += 1;
  }
  return count;
};

export { type BatchRoom, takeWhatFits };
