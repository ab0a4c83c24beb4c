/**
 * Reads a request body's chunks up to `maxBytes`. A body that ends within that is returned
 * whole (`buffered`): the SDK can then send it with a content-length, like any small request.
 * A longer one is returned as a stream (`streamed`) that gives back the chunks already read
 * and then the rest, as it is pulled, so memory stays at about `maxBytes` whatever the size.
 */
const bufferIfSmall = async (
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<
  | { readonly kind: 'buffered'; readonly bytes: Buffer }
  | { readonly kind: 'streamed'; readonly chunks: AsyncIterable<Uint8Array> }
> => {
  const iterator = chunks[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return { kind: 'buffered', bytes: Buffer.concat(held, bytes) };
    held.push(next.value);
    bytes += next.value.byteLength;
    if (bytes > maxBytes) return { kind: 'streamed', chunks: resume(held, iterator) };
  }
};

async function* resume(
  held: Uint8Array[],
  iterator: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  let done = false;
  try {
    // Shifted out, not iterated over, so each chunk is released once it has been sent.
    for (let chunk = held.shift(); chunk !== undefined; chunk = held.shift()) yield chunk;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // An upload cut short must still close the source behind the iterator.
    if (!done) await iterator.return?.();
  }
}

export { bufferIfSmall };
