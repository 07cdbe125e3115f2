import { AppError } from '../errors.ts';

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
  if (text.trim() === '') throw new AppError('VALIDATION_FAILED', 400, `${what} is empty`);
  return text;
}

export async function readJsonBody(request: Request, maxBytes: number, what = 'request body'): Promise<unknown> {
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(await readBytes(request, maxBytes, what));
  if (text.trim() === '') throw new AppError('INVALID_JSON', 400, `${what} is empty; expected JSON`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('INVALID_JSON', 400, `${what} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
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
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, `Content-Encoding ${encoding} is not supported; send gzip or plain JSON`);
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
    throw new AppError('INVALID_JSON', 400, `${what} could not be read (${encoding ?? 'plain'})`, { cause: error });
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
    413,
    `${what} is ${bytes > maxBytes * 4 ? 'more than ' + Math.ceil(bytes / 1024) : Math.ceil(bytes / 1024)} KB; the limit is ${maxBytes / 1024} KB`,
  );
}
