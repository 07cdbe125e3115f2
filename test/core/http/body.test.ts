import { gzipSync, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/shared/errors.ts';
import { JSON_MAX_DEPTH, jsonDepth, parseJsonText, readJsonBody } from '../../../src/core/http/body.ts';

const LIMIT = 1024;

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request('https://live.example.com/v1/track', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

/** A body that arrives in chunks, with no Content-Length (chunked transfer). */
function chunked(chunks: readonly string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(encoder.encode(chunk));
    },
  });
}

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError, but the body was read');
}

describe('readJsonBody', () => {
  it('parses a JSON body of any content type (sendBeacon sends text/plain)', async () => {
    expect(await readJsonBody(post('{"event":"Product Viewed"}', { 'content-type': 'text/plain' }), LIMIT)).toEqual({ event: 'Product Viewed' });
  });

  it('refuses a declared Content-Length over the limit before reading anything', async () => {
    // A body that never ends: reading it would hang the test.
    const request = post(new ReadableStream(), { 'content-length': String(LIMIT + 1) });
    const error = await errorOf(readJsonBody(request, LIMIT));
    expect(error.status).toBe(413);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.message).toBe('request body is 2 KB; the limit is 1 KB');
    expect(request.bodyUsed).toBe(false);
  });

  it('cuts off a body that grows past the limit while streaming', async () => {
    const error = await errorOf(readJsonBody(post(chunked(['["', 'x'.repeat(600), 'x'.repeat(600), '"]'])), LIMIT, 'batch'));
    expect(error.status).toBe(413);
    expect(error.message).toBe('batch is 2 KB; the limit is 1 KB');
  });

  it('accepts a body of exactly the limit', async () => {
    const body = JSON.stringify('x'.repeat(LIMIT - 2));
    expect(await readJsonBody(post(chunked([body.slice(0, 100), body.slice(100)])), LIMIT)).toHaveLength(LIMIT - 2);
  });

  it('reads gzip and deflate bodies', async () => {
    const json = JSON.stringify({ batch: [{ type: 'track', event: 'Order Completed' }] });
    expect(await readJsonBody(post(gzipSync(json), { 'content-encoding': 'gzip' }), LIMIT)).toEqual(JSON.parse(json));
    expect(await readJsonBody(post(deflateSync(json), { 'content-encoding': ' Deflate ' }), LIMIT)).toEqual(JSON.parse(json));
  });

  it('applies the limit to the un-gzipped size, so a small gzip bomb is cut off', async () => {
    const bomb = gzipSync(JSON.stringify({ pad: 'x'.repeat(1_000_000) }));
    expect(bomb.byteLength).toBeLessThan(LIMIT * 2);
    const error = await errorOf(readJsonBody(post(bomb, { 'content-encoding': 'gzip', 'content-length': String(bomb.byteLength) }), LIMIT));
    expect(error.status).toBe(413);
  });

  it('answers 400 for a body that is not really gzip', async () => {
    const error = await errorOf(readJsonBody(post('{"a":1}', { 'content-encoding': 'gzip' }), LIMIT));
    expect(error.status).toBe(400);
    expect(error.code).toBe('INVALID_JSON');
    expect(error.message).toBe('request body could not be read (gzip)');
  });

  it('answers 415 for a content encoding it cannot read', async () => {
    const error = await errorOf(readJsonBody(post('{}', { 'content-encoding': 'br' }), LIMIT));
    expect(error.status).toBe(415);
    expect(error.message).toBe('Content-Encoding br is not supported; send gzip or plain JSON');
  });

  it('reads a body marked identity as plain JSON', async () => {
    expect(await readJsonBody(post('[1]', { 'content-encoding': 'identity' }), LIMIT)).toEqual([1]);
  });

  it('answers 400 for invalid JSON, with the parser message', async () => {
    const error = await errorOf(readJsonBody(post('{"event": '), LIMIT, 'event'));
    expect(error.status).toBe(400);
    expect(error.code).toBe('INVALID_JSON');
    expect(error.message).toMatch(/^event is not valid JSON: \S/);
  });

  it('answers 400 for an empty or blank body', async () => {
    for (const body of [null, '', '  \n ']) {
      const error = await errorOf(readJsonBody(post(body), LIMIT));
      expect(error.status).toBe(400);
      expect(error.message).toBe('request body is empty; expected JSON');
    }
  });
});

describe('JSON nesting', () => {
  it('measures the deepest nesting outside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(jsonDepth('["\\"]", [[]]]')).toBe(3);
    expect(jsonDepth('{"a":"\\\\"}')).toBe(1);
  });

  it('answers 400 for a body nested deeper than the limit, before parsing it', async () => {
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    expect(await readJsonBody(post(deep(JSON_MAX_DEPTH)), 64 * 1024)).toBeTypeOf('object');
    // A few thousand levels parse, then overflow the stack wherever the value is copied: refused up front.
    const error = await errorOf(readJsonBody(post(deep(6000)), 64 * 1024, 'event'));
    expect(error.status).toBe(400);
    expect(error.code).toBe('INVALID_JSON');
    expect(error.message).toBe(`event is nested more than ${JSON_MAX_DEPTH} levels deep`);
    expect(() => parseJsonText('['.repeat(JSON_MAX_DEPTH + 1), 'data')).toThrow(/nested more than/);
  });
});
