import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_BLOCK_ID } from '../../src/demo/catalog.ts';
import { startServer, type RunningServer } from '../../src/node.ts';
import { memoryLogger } from '../helpers/app.ts';
import { decode, sameImage } from '../helpers/pixels.ts';

// Opens of /i/ are answered by the Node server's direct listener; the same URL through the Hono app
// (as on Workers) must answer the same image with the same headers.
const logger = memoryLogger();
let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'opentime-direct-'));
  server = await startServer({
    env: {
      PORT: '0',
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_WRITE_KEY: 'direct-write-key-0123',
      OPENTIME_ADMIN_KEY: 'direct-admin-key-0123',
      OPENTIME_SECRET: 'direct-secret-0123456789',
      // What is compared is the two ways in, not the budgets: on a busy machine a first store read or photo may miss the defaults.
      OPENTIME_STORE_TIMEOUT_MS: '1000',
      OPENTIME_PHOTO_TIMEOUT_MS: '5000',
    },
    logger,
  });
});
afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const SAME_HEADERS = ['content-type', 'cache-control', 'pragma', 'expires', 'x-opentime-fallback', 'x-opentime-error', 'x-opentime-rate-limited'];

async function both(path: string, init: RequestInit = {}) {
  const direct = await fetch(server.url + path, init);
  const viaApp = await server.opentime.app.fetch(new Request(`http://localhost${path}`, init));
  return { direct, viaApp, directBytes: new Uint8Array(await direct.arrayBuffer()), appBytes: new Uint8Array(await viaApp.arrayBuffer()) };
}

describe('the direct image listener', () => {
  it.each([
    [`/i/${DEMO_BLOCK_ID}.png?u=direct-1&m=welcome`, 'a known block, a subscriber'],
    [`/i/${DEMO_BLOCK_ID}.png`, 'no subscriber'],
    ['/i/no-such-block.png?u=direct-1', 'an unknown block (the blank fallback)'],
    ['/i/%E0%A4%A.png?u=x', 'a file name that is not valid percent-encoding'],
    [`/i/${DEMO_BLOCK_ID}.png?u=${'x'.repeat(5000)}`, 'an over-long subscriber id'],
    [`/i/${DEMO_BLOCK_ID}.png?u=%ZZ&tz=Mars/Base`, 'broken query encoding and a time zone that does not exist'],
  ])('answers %s (%s) as the app does', async (path) => {
    const { direct, viaApp, directBytes, appBytes } = await both(path);
    expect(direct.status).toBe(200);
    expect(viaApp.status).toBe(200);
    for (const name of SAME_HEADERS) expect(direct.headers.get(name), name).toBe(viaApp.headers.get(name));
    expect(Number(direct.headers.get('content-length'))).toBe(directBytes.byteLength);
    const image = await decode(directBytes);
    expect(image.width).toBeGreaterThan(0);
    expect(await sameImage(directBytes, appBytes)).toBe(true);
  });

  it('answers HEAD with the headers and no body', async () => {
    const path = `/i/${DEMO_BLOCK_ID}.png?u=direct-head&m=welcome`;
    const head = await new Promise<{ status: number; headers: Record<string, unknown>; body: number }>((done, fail) => {
      const req = httpRequest(server.url + path, { method: 'HEAD' }, (res) => {
        let body = 0;
        res.on('data', (chunk: Buffer) => (body += chunk.byteLength));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', fail);
      req.end();
    });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('image/png');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(1000);
    expect(head.body).toBe(0);
  });

  it('keeps the caller’s x-request-id and logs the open without its URL', async () => {
    const response = await fetch(`${server.url}/i/${DEMO_BLOCK_ID}.png?u=anna%40example.com&m=logged`, { headers: { 'x-request-id': 'trace-direct-1' } });
    await response.arrayBuffer();
    expect(response.headers.get('x-request-id')).toBe('trace-direct-1');
    const line = logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.id === 'trace-direct-1');
    expect(line).toMatchObject({ level: 'request', method: 'GET', route: '/i/:file', status: 200, block: DEMO_BLOCK_ID });
    expect(['hit', 'miss', 'coalesced']).toContain(line?.cache);
    expect(logger.lines.join('\n')).not.toContain('anna');
    // Without one, each answer gets its own.
    const a = await fetch(`${server.url}/i/${DEMO_BLOCK_ID}.png`);
    const b = await fetch(`${server.url}/i/${DEMO_BLOCK_ID}.png`);
    await Promise.all([a.arrayBuffer(), b.arrayBuffer()]);
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('leaves every other route, and other methods on /i/, to the app', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    const nested = await fetch(`${server.url}/i/a/b/c.png`);
    expect(nested.status).toBe(404);
    expect((await nested.json()).error.code).toBe('NOT_FOUND');
    // A block's part is answered directly too, an image whatever it names.
    const part = await fetch(`${server.url}/i/no-such-block/0.png`);
    expect(part.status).toBe(200);
    expect(part.headers.get('x-opentime-error')).toBe('BLOCK_NOT_FOUND');
    const post = await fetch(`${server.url}/i/${DEMO_BLOCK_ID}.png`, { method: 'POST' });
    expect(post.status).toBe(404);
  });
});
