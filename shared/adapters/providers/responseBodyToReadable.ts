import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

/**
 * The body of a fetch `Response` as a Node `Readable` of the raw bytes, unparsed, so result
 * files are streamed through without being decoded and re-serialised.
 */
const responseBodyToReadable = (response: Response): Readable => {
  const body = response.body;
  if (body === null) return Readable.from([]);
  // The SDKs' fetch is Node's own (undici); its web stream is Node's `stream/web` stream.
  return Readable.fromWeb(body as unknown as NodeReadableStream<Uint8Array>);
};

export { responseBodyToReadable };
