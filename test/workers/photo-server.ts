import { PHOTO_COLORS, type PhotoColor } from '../helpers/photo-colors.ts';
import { solidPng } from '../../src/core/render/png.ts';

/**
 * Product photos for the Workers tests, served from the test process as the
 * Worker's outbound network (miniflare's `outboundService`): every fetch the
 * Worker makes lands here, nothing reaches the internet. Each photo is one
 * flat colour, so a test finds it in a rendered block by its pixels; the
 * failure cases are the ones a shop's CDN produces.
 */
export const PHOTO_ORIGIN = 'http://photos.test';

export { PHOTO_COLORS, type PhotoColor } from '../helpers/photo-colors.ts';

/** How long /slow.png takes (longer than the tests' photo budget). */
export const SLOW_PHOTO_MS = 4000;

const hex = (rgb: readonly number[]) => `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;

export function photoService(): (request: Request) => Promise<Response> {
  const photos = new Map<string, Promise<Uint8Array>>();
  const hits = new Map<string, number>();
  const photo = (name: PhotoColor) => {
    let png = photos.get(name);
    if (!png) {
      png = solidPng(400, 400, hex(PHOTO_COLORS[name]));
      photos.set(name, png);
    }
    return png;
  };
  const png = (bytes: Uint8Array) => new Response(bytes as BodyInit, { headers: { 'content-type': 'image/png', 'content-length': String(bytes.byteLength) } });

  return async (request) => {
    const url = new URL(request.url);
    if (url.origin !== PHOTO_ORIGIN) return new Response(`no network in tests: ${url.origin}`, { status: 502 });
    if (url.pathname === '/__hits') return Response.json(hits.get(url.searchParams.get('path') ?? '') ?? 0);
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const name = url.pathname.slice(1).replace(/\.png$/, '');
    if (name in PHOTO_COLORS) return png(await photo(name as PhotoColor));
    // Photo-like shots (textured, with grain: what a shop's photography costs in bytes), 600×600 JPEG.
    const photoLike = /^photo-like-(\w+)\.jpg$/.exec(name);
    if (photoLike?.[1] && photoLike[1] in PHOTO_COLORS) {
      const color = photoLike[1] as PhotoColor;
      // Loaded here, in the test process: the Worker's tests import this file's constants, and sharp cannot run in workerd.
      const { photoLikeJpeg } = await import('../helpers/photo-like.ts');
      const jpeg = await photoLikeJpeg(Object.keys(PHOTO_COLORS).indexOf(color) + 1, PHOTO_COLORS[color]);
      return new Response(new Uint8Array(jpeg), { headers: { 'content-type': 'image/jpeg', 'content-length': String(jpeg.byteLength) } });
    }
    // Redirects, for the fetcher's checks of every hop: /redirect?to=<url>, and chains /hop-3 → /hop-2 → … → /red.png.
    const hop = /^hop-(\d+)$/.exec(name);
    if (hop) return new Response(null, { status: 302, headers: { location: hop[1] === '0' ? '/red.png' : `/hop-${Number(hop[1]) - 1}` } });
    if (name === 'redirect') return new Response(null, { status: 302, headers: { location: url.searchParams.get('to') ?? '/' } });
    switch (name) {
      case 'html':
        return new Response('<html>not a photo</html>', { headers: { 'content-type': 'text/html' } });
      case 'garbage':
        return new Response('definitely not a png', { headers: { 'content-type': 'image/png' } });
      case 'webp':
        // A real format, but not one resvg can embed.
        return new Response(new Uint8Array([0x52, 0x49, 0x46, 0x46, 0x24, 0, 0, 0, 0x57, 0x45, 0x42, 0x50]), { headers: { 'content-type': 'image/webp' } });
      case 'giant': {
        // A PNG header that claims 9000×9000 pixels: refused before anything is decoded.
        const header = new Uint8Array(33);
        header.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
        new DataView(header.buffer).setUint32(16, 9000);
        new DataView(header.buffer).setUint32(20, 9000);
        header.set([8, 2, 0, 0, 0], 24);
        return png(header);
      }
      case 'huge':
        return new Response(new Uint8Array(5 * 1024 * 1024), { headers: { 'content-type': 'image/png' } });
      case 'slow':
        await new Promise((done) => setTimeout(done, SLOW_PHOTO_MS));
        return png(await photo('red'));
      default:
        return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
    }
  };
}
