import { Readable } from 'node:stream';
import type { BlobBody } from '../../../shared/ports/BlobStore.js';

/** Every byte of a blob body, in one buffer; a body that fails rejects with its error. */
const readAll = async (body: BlobBody): Promise<Buffer> => {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  const source = body instanceof Readable ? body : Readable.from(body);
  for await (const chunk of source) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
};

export { readAll };
