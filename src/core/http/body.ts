import { AppError } from '../shared/errors.ts';

/**
 * Reads a JSON request body without ever holding more than `maxBytes`:
 * a declared Content-Length over the limit is refused before reading, and a
 * body that grows past it while streaming (or while being un-gzipped) is cut
 * off. Any content type is accepted, because `navigator.sendBeacon` sends
 * text/plain.
 */
/** Reads a text body (a template) within the same limits. */
export async function readTextBody(request: Request, maxBytes: number, what = 'request body'): Promise<string> {
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(await readBytes(request, maxBytes, what));
  if (text.trim() === '') throw new AppError('VALIDATION_FAILED', `${what} is empty`);
  return text;
}

export async function readJsonBody(request: Request, maxBytes: number, what = 'request body'): Promise<unknown> {
  return parseJsonText(new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(await readBytes(request, maxBytes, what)), what);
}

/**
 * Objects and arrays nested deeper than this are refused before parsing. No
 * Segment payload, block or catalog comes near it, and V8's JSON.stringify
 * and structuredClone recurse: a 32 KB event of `{"a":{"a":…}}` nested a few
 * thousand deep parses fine and then overflows the stack wherever it is
 * copied or stored (a 500 where a 400 belongs).
 */
export const JSON_MAX_DEPTH = 64;

/** JSON text from any source (a body, a URL parameter), with the nesting bound above. */
export function parseJsonText(text: string, what: string): unknown {
  if (text.trim() === '') throw new AppError('INVALID_JSON', `${what} is empty; expected JSON`);
  if (jsonDepth(text) > JSON_MAX_DEPTH) throw new AppError('INVALID_JSON', `${what} is nested more than ${JSON_MAX_DEPTH} levels deep`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('INVALID_JSON', `${what} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** The deepest nesting of `{` and `[` outside strings; one pass, no allocation. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // a backslash escapes the next character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > deepest) deepest = depth;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return deepest;
}

/** The body's exact bytes within the limit (a webhook's signature is computed over exactly these). */
export async function readBytes(request: Request, maxBytes: number, what: string): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes && !request.headers.get('content-encoding')) {
    throw tooLarge(what, declared, maxBytes);
  }
  if (!request.body) return new Uint8Array(0);

  let stream: ReadableStream<Uint8Array> = request.body;
  const encoding = request.headers.get('content-encoding')?.toLowerCase().trim();
  if (encoding === 'gzip' || encoding === 'deflate') {
    stream = stream.pipeThrough(new DecompressionStream(encoding) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  } else if (encoding && encoding !== 'identity') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not supported; send gzip or plain JSON`);
  }

  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(what, size, maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('INVALID_JSON', `${what} could not be read (${encoding ?? 'plain'})`, { cause: error });
  }

  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(what: string, bytes: number, maxBytes: number): AppError {
  return new AppError(
    'PAYLOAD_TOO_LARGE',
    `${what} is ${bytes > maxBytes * 4 ? `more than ${Math.ceil(bytes / 1024)}` : Math.ceil(bytes / 1024)} KB; the limit is ${maxBytes / 1024} KB`,
  );
}
