import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver } from '../../../src/adapters/image/node-http.ts';
import { sharpImageFetcher, type SharpFetcherOptions } from '../../../src/adapters/image/sharp.ts';
import { ImageFetchError } from '../../../src/core/images/fetch-error.ts';
import { parseHostPatterns, type ImageUrlPolicy } from '../../../src/core/images/url-safety.ts';
import { decode } from '../../helpers/pixels.ts';

/**
 * The Node photo fetcher against a real server on loopback that serves what
 * a hostile or broken photo host serves: redirects into the network, endless
 * redirect chains, 50 MB bodies, decompression bombs, HTML dressed as PNG.
 * DNS is real (`localhost`) except where a name must resolve to an address
 * that cannot be had for real offline: there the resolver is injected.
 */
const RED = { r: 220, g: 30, b: 30 };
const BIG_BYTES = 50 * 1024 * 1024;
const box = { width: 100, height: 100 };

let server: Server;
let origin: string;
let port: number;
const hits = new Map<string, number>();
/** What the server did with the 50 MB body: bytes written before the client went away, and whether it all went. */
const big = { written: 0, finished: false };
let redPng: Buffer;
let animatedGif: Buffer;

function png(res: ServerResponse, bytes: Buffer): void {
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length });
  res.end(bytes);
}

/** A PNG signature and IHDR claiming 30000×30000 pixels (3.6 GB decoded), in 33 bytes. */
function bombPng(): Buffer {
  const bytes = Buffer.alloc(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  bytes.writeUInt32BE(30_000, 16);
  bytes.writeUInt32BE(30_000, 20);
  bytes.set([8, 2, 0, 0, 0], 24);
  return bytes;
}

beforeAll(async () => {
  redPng = await sharp({ create: { width: 400, height: 400, channels: 3, background: RED } })
    .png()
    .toBuffer();
  // Two frames, red then blue: only the first may be drawn.
  const frames = Buffer.alloc(40 * 80 * 3);
  for (let i = 0; i < 40 * 80; i++) frames.set(i < 40 * 40 ? [220, 30, 30] : [30, 70, 220], i * 3);
  animatedGif = await sharp(frames, { raw: { width: 40, height: 80, channels: 3, pageHeight: 40 } })
    .gif({ delay: [100, 100], loop: 0 })
    .toBuffer();

  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const hop = /^\/hop\/(\d+)$/.exec(url.pathname);
    if (url.pathname === '/red.png') png(res, redPng);
    else if (url.pathname === '/animated.gif') {
      res.writeHead(200, { 'content-type': 'image/gif' });
      res.end(animatedGif);
    } else if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
      res.end();
    } else if (hop) {
      const left = Number(hop[1]);
      res.writeHead(302, { location: left === 0 ? '/red.png' : `/hop/${left - 1}` });
      res.end();
    } else if (url.pathname === '/slow-hop') {
      // Each hop is quick enough alone; together they are not.
      setTimeout(() => {
        res.writeHead(302, { location: '/slow-hop' });
        res.end();
      }, 250);
    } else if (url.pathname === '/big.png') {
      // 50 MB with no Content-Length: only counting while reading can stop it.
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      chunk.set(redPng.subarray(0, 33));
      const write = () => {
        while (big.written < BIG_BYTES) {
          big.written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', write);
        }
        res.end(() => (big.finished = true));
      };
      res.on('close', () => res.removeAllListeners('drain'));
      write();
    } else if (url.pathname === '/declared-big.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': BIG_BYTES });
      res.write(redPng);
    } else if (url.pathname === '/bomb.png') png(res, bombPng());
    else if (url.pathname === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>a login page</html>');
    } else if (url.pathname === '/html-as.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end('<!doctype html><html>an error page, labelled as a PNG</html>');
    } else if (url.pathname === '/drawing.svg') {
      res.writeHead(200, { 'content-type': 'image/svg+xml' });
      res.end('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="file:///etc/passwd"/></svg>');
    } else if (url.pathname === '/octets.png') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(redPng);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

/** The loopback server as tests usually allow it: on the host list, private addresses allowed. */
const LOOPBACK: ImageUrlPolicy = { hosts: parseHostPatterns('127.0.0.1:*, localhost:*').patterns, allowPrivate: true };

/** A fetcher whose counts the test can read. */
function fetcher(options: Partial<SharpFetcherOptions> = {}) {
  const counts = new Map<string, number>();
  const images = sharpImageFetcher({ timeoutMs: 3000, failureTtlMs: 1, policy: LOOPBACK, count: (name) => counts.set(name, (counts.get(name) ?? 0) + 1), ...options });
  return { images, counts: () => Object.fromEntries(counts) };
}

/** The refusal or failure a fetch ends with. */
async function failed(promise: Promise<unknown>): Promise<ImageFetchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ImageFetchError)) throw new Error(`expected an ImageFetchError, got ${String(error)}`);
  return error;
}

describe('the Node photo fetcher', () => {
  it('fetches and scales a photo from an allowed host, and counts it', async () => {
    const { images, counts } = fetcher();
    const image = await images.fetchImage(`${origin}/red.png`, box);
    const pixels = await decode(Buffer.from(image.dataUri.split(',')[1] as string, 'base64'));
    expect([pixels.width, pixels.height]).toEqual([100, 100]);
    expect(pixels.share([RED.r, RED.g, RED.b])).toBeGreaterThan(0.95);
    expect(counts()).toEqual({ 'images.fetched': 1 });
  });

  it('draws only the first frame of an animated GIF', async () => {
    const { images } = fetcher();
    const image = await images.fetchImage(`${origin}/animated.gif`, box);
    const pixels = await decode(Buffer.from(image.dataUri.split(',')[1] as string, 'base64'));
    expect([pixels.width, pixels.height]).toEqual([100, 100]);
    expect(pixels.share([220, 30, 30])).toBeGreaterThan(0.95);
  });

  it('refuses a host that is not on the allow-list without connecting to it', async () => {
    const { images, counts } = fetcher({ policy: { hosts: parseHostPatterns('cdn.shop.example').patterns, allowPrivate: true } });
    const before = hits.get('/red.png') ?? 0;
    const error = await failed(images.fetchImage(`${origin}/red.png`, box));
    expect([error.refused, error.reason]).toEqual([true, 'host']);
    expect(error.message).toBe('[opentime] [images] 127.0.0.1 is not on OPENTIME_IMAGE_HOSTS');
    expect(hits.get('/red.png') ?? 0).toBe(before);
    expect(counts()).toEqual({ 'images.failed': 1, 'images.refused.host': 1 });
  });

  it('refuses loopback by default, even under a name that resolves to it for real', async () => {
    const { images, counts } = fetcher({ policy: { hosts: parseHostPatterns('*:*').patterns } });
    expect((await failed(images.fetchImage(`${origin}/red.png`, box))).reason).toBe('address');
    expect((await failed(images.fetchImage(`http://localhost:${port}/red.png`, box))).reason).toBe('address');
    expect(counts()).toEqual({ 'images.failed': 2, 'images.refused.address': 2 });
  });

  it('resolves names with the system resolver and fetches from loopback when allowed', async () => {
    const { images } = fetcher();
    const image = await images.fetchImage(`http://localhost:${port}/red.png`, box);
    expect(image.width).toBe(100);
  });

  describe('redirects', () => {
    /** The loopback server stands in for an allowed public host: trusted itself, so every hop after it is checked as any URL is. */
    const publicHost: ImageUrlPolicy = { hosts: parseHostPatterns('*').patterns, trusted: (url) => url.origin === origin };

    it('refuses a redirect from an allowed host to 127.0.0.1, to the metadata address and to a name inside the network', async () => {
      const internal: Resolver = async () => [{ address: '10.0.0.7', family: 4 }];
      const { images, counts } = fetcher({ policy: publicHost, resolve: internal });
      const to = (target: string) => `${origin}/redirect?to=${encodeURIComponent(target)}`;
      const loopback = await failed(images.fetchImage(to('http://127.0.0.1/admin.png'), box));
      expect(loopback.message).toBe('[opentime] [images] 127.0.0.1 is a loopback address; photos are fetched from public addresses only (OPENTIME_IMAGE_ALLOW_PRIVATE)');
      const metadata = await failed(images.fetchImage(to('http://169.254.169.254/latest/meta-data/iam/security-credentials/'), box));
      expect(metadata.message).toBe('[opentime] [images] 169.254.169.254 is a metadata address; photos are fetched from public addresses only');
      const mapped = await failed(images.fetchImage(to('http://[::ffff:169.254.169.254]/latest/'), box));
      const named = await failed(images.fetchImage(to('http://photos.internal-cdn.example/a.png'), box));
      expect(named.message).toBe('[opentime] [images] photos.internal-cdn.example resolves to 10.0.0.7, a private address; photos are fetched from public addresses only');
      expect([loopback, metadata, mapped, named].map((e) => e.reason)).toEqual(['address', 'address', 'address', 'address']);
      // Back to the trusted server on another path is fine: each hop is judged on its own.
      expect((await images.fetchImage(to(`${origin}/red.png`), box)).width).toBe(100);
      expect(counts()).toEqual({ 'images.failed': 4, 'images.refused.address': 4, 'images.fetched': 1 });
    });

    it('refuses the metadata address after a redirect even when private addresses are allowed', async () => {
      const { images } = fetcher({ policy: { hosts: parseHostPatterns('*:*').patterns, allowPrivate: true } });
      const error = await failed(images.fetchImage(`${origin}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`, box));
      expect(error.reason).toBe('address');
    });

    it('follows up to the limit and refuses a longer chain', async () => {
      const { images, counts } = fetcher({ maxRedirects: 3 });
      expect((await images.fetchImage(`${origin}/hop/2`, box)).width).toBe(100); // 3 redirects
      const before = hits.get('/red.png') ?? 0;
      const error = await failed(images.fetchImage(`${origin}/hop/3`, box)); // 4 redirects
      expect(error.reason).toBe('redirects');
      expect(error.message).toBe(`[opentime] [images] ${origin}/hop/3 redirects more than 3 times`);
      expect(hits.get('/red.png') ?? 0).toBe(before);
      expect(counts()).toEqual({ 'images.fetched': 1, 'images.failed': 1, 'images.refused.redirects': 1 });
    });

    it('holds the whole chain to one time limit', async () => {
      const { images, counts } = fetcher({ timeoutMs: 600, maxRedirects: 10 });
      const started = Date.now();
      const error = await failed(images.fetchImage(`${origin}/slow-hop`, box));
      expect([error.refused, error.reason]).toEqual([false, 'timeout']);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(counts()).toEqual({ 'images.failed': 1, 'images.failed.timeout': 1 });
    });
  });

  describe('DNS', () => {
    it('refuses a name that resolves to a private address, before connecting', async () => {
      const calls: string[] = [];
      const resolve: Resolver = async (hostname) => {
        calls.push(hostname);
        return [{ address: '127.0.0.1', family: 4 }];
      };
      const { images } = fetcher({ policy: { hosts: parseHostPatterns('photos.example:*').patterns }, resolve });
      const before = hits.get('/red.png') ?? 0;
      const error = await failed(images.fetchImage(`http://photos.example:${port}/red.png`, box));
      expect(error.message).toBe('[opentime] [images] photos.example resolves to 127.0.0.1, a loopback address; photos are fetched from public addresses only');
      expect(calls).toEqual(['photos.example']);
      expect(hits.get('/red.png') ?? 0).toBe(before);
    });

    it('refuses a name with any private address among public ones', async () => {
      const resolve: Resolver = async () => [
        { address: '2606:4700::6810:84e5', family: 6 },
        { address: '93.184.216.34', family: 4 },
        { address: '::ffff:192.168.1.20', family: 6 },
      ];
      const { images } = fetcher({ policy: {}, resolve });
      expect((await failed(images.fetchImage('https://cdn.shop.example/a.png', box))).reason).toBe('address');
    });

    it('connects to the address it checked, resolving once (no DNS rebinding between check and connect)', async () => {
      // A name that exists only in this resolver: the fetch can reach the server only through the checked answer.
      const calls: string[] = [];
      const resolve: Resolver = async (hostname) => {
        calls.push(hostname);
        return [{ address: '127.0.0.1', family: 4 }];
      };
      const { images } = fetcher({ policy: { hosts: parseHostPatterns('photos.example:*').patterns, allowPrivate: true }, resolve });
      expect((await images.fetchImage(`http://photos.example:${port}/red.png`, box)).width).toBe(100);
      expect(calls).toEqual(['photos.example']);
    });

    it('never asks DNS a second time for a connection whose first answer was public', async () => {
      // A rebinding resolver: public for the check, loopback for whoever asks again.
      let calls = 0;
      const resolve: Resolver = async () => (calls++ === 0 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
      const { images } = fetcher({ policy: { hosts: parseHostPatterns('rebind.example:*').patterns }, resolve, timeoutMs: 500 });
      const before = hits.get('/red.png') ?? 0;
      await expect(images.fetchImage(`http://rebind.example:${port}/red.png`, box)).rejects.toThrow();
      expect(calls).toBe(1);
      expect(hits.get('/red.png') ?? 0).toBe(before);
    });
  });

  describe('limits', () => {
    it('cuts off a 50 MB body at the byte limit instead of downloading it', async () => {
      const { images, counts } = fetcher({ maxBytes: 1024 * 1024 });
      big.written = 0;
      big.finished = false;
      const error = await failed(images.fetchImage(`${origin}/big.png`, box));
      expect(error.message).toBe(`[opentime] [images] ${origin}/big.png is larger than 1048576 bytes`);
      await new Promise((done) => setTimeout(done, 200));
      expect(big.finished).toBe(false);
      // What the server managed to write into socket buffers before the connection closed, far from 50 MB.
      expect(big.written).toBeLessThan(BIG_BYTES / 4);
      expect(counts()).toEqual({ 'images.failed': 1, 'images.refused.size': 1 });
    });

    it('refuses a declared Content-Length over the limit before reading', async () => {
      const { images } = fetcher({ maxBytes: 1024 * 1024 });
      const error = await failed(images.fetchImage(`${origin}/declared-big.png`, box));
      expect(error.message).toBe(`[opentime] [images] ${origin}/declared-big.png is ${BIG_BYTES} bytes; the limit is 1048576`);
    });

    it('refuses a PNG whose header claims 30000×30000 pixels before decoding it', async () => {
      const { images, counts } = fetcher();
      const error = await failed(images.fetchImage(`${origin}/bomb.png`, box));
      expect(error.message).toBe(`[opentime] [images] ${origin}/bomb.png is 30000×30000 pixels; the limit is 40000000`);
      expect(counts()).toEqual({ 'images.failed': 1, 'images.refused.pixels': 1 });
    });

    it('refuses text/html, HTML labelled image/png, SVG and unlabelled downloads', async () => {
      const { images, counts } = fetcher();
      const html = await failed(images.fetchImage(`${origin}/page.html`, box));
      expect(html.message).toBe(`[opentime] [images] ${origin}/page.html is text/html, not an image (expected an image/* Content-Type)`);
      const disguised = await failed(images.fetchImage(`${origin}/html-as.png`, box));
      expect(disguised.message).toBe(`[opentime] [images] ${origin}/html-as.png is not a PNG, JPEG, GIF or WebP by its first bytes`);
      const svg = await failed(images.fetchImage(`${origin}/drawing.svg`, box));
      const octets = await failed(images.fetchImage(`${origin}/octets.png`, box));
      expect([html, disguised, svg, octets].map((e) => e.reason)).toEqual(['type', 'type', 'type', 'type']);
      expect(counts()).toEqual({ 'images.failed': 4, 'images.refused.type': 4 });
    });

    it('counts a missing photo as failed, not refused, and asks again only after the failure expires', async () => {
      const { images, counts } = fetcher({ failureTtlMs: 60_000 });
      const error = await failed(images.fetchImage(`${origin}/gone.png`, box));
      expect([error.refused, error.reason, error.message]).toEqual([false, 'status', `[opentime] [images] ${origin}/gone.png answered 404`]);
      await failed(images.fetchImage(`${origin}/gone.png`, box));
      expect(hits.get('/gone.png')).toBe(1);
      expect(counts()).toEqual({ 'images.failed': 1, 'images.failed.status': 1 });
    });
  });
});
