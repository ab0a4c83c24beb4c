/**
 * A minimal multipart/form-data parser (RFC 7578) over a complete body. It works on bytes
 * only, so file contents containing CRLFs, dashes or anything resembling a boundary prefix
 * survive intact; only the exact delimiter `CRLF--boundary` ends a part.
 */
interface MultipartPart {
  readonly name: string;
  readonly filename: string | null;
  readonly contentType: string | null;
  readonly data: Buffer;
}

/** Extracts the boundary from a `content-type` header, or null if it is not multipart. */
const multipartBoundary = (contentType: string | undefined): string | null => {
  if (contentType === undefined || !/^multipart\/form-data/i.test(contentType)) return null;
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2] ?? null;
};

const headerParam = (header: string, param: string): string | null => {
  const match = new RegExp(`(?:^|;)\\s*${param}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(header);
  if (match?.[1] !== undefined) return match[1].replace(/\\(.)/g, '$1');
  const bare = new RegExp(`(?:^|;)\\s*${param}=([^;\\s]+)`, 'i').exec(header);
  return bare?.[1] ?? null;
};

/** Parses the body; throws on a malformed one (the caller answers 400). */
const parseMultipart = (body: Buffer, boundary: string): MultipartPart[] => {
  const opening = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const headerEnd = Buffer.from('\r\n\r\n');
  if (!body.subarray(0, opening.length).equals(opening)) {
    // A preamble is allowed before the first delimiter.
    const first = body.indexOf(delimiter);
    if (first < 0) throw new Error('multipart body has no opening boundary');
    return parseFrom(body, first + delimiter.length, delimiter, headerEnd);
  }
  return parseFrom(body, opening.length, delimiter, headerEnd);
};

const parseFrom = (
  body: Buffer,
  start: number,
  delimiter: Buffer,
  headerEnd: Buffer,
): MultipartPart[] => {
  const parts: MultipartPart[] = [];
  let pos = start;
  for (;;) {
    // After a delimiter: `--` closes the body, otherwise CRLF starts the next part.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) {
      throw new Error('malformed multipart delimiter line');
    }
    const headersStart = pos + 2;
    const headersStop = body.indexOf(headerEnd, headersStart);
    if (headersStop < 0) throw new Error('multipart part without header terminator');
    const headers = parseHeaders(body.subarray(headersStart, headersStop).toString('utf8'));
    const dataStart = headersStop + headerEnd.length;
    const dataStop = body.indexOf(delimiter, dataStart);
    if (dataStop < 0) throw new Error('multipart part without closing boundary');
    const disposition = headers.get('content-disposition') ?? '';
    const name = headerParam(disposition, 'name');
    if (name === null) throw new Error('multipart part without a name');
    parts.push({
      name,
      filename: headerParam(disposition, 'filename'),
      contentType: headers.get('content-type') ?? null,
      data: body.subarray(dataStart, dataStop),
    });
    pos = dataStop + delimiter.length;
  }
};

const parseHeaders = (text: string): Map<string, string> => {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
};

export { type MultipartPart, multipartBoundary, parseMultipart };
