import { PHOTO_COLORS, type PhotoColor } from './photo-colors.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { photoLikeJpeg } from './photo-like.ts';

/**
 * A local server of product photos for tests: each photo is one flat colour,
 * so a test can find it in a rendered block by its pixels; `photo-<colour>`
 * is a photo-like shot of a product of that colour (textured, with grain:
 * test/helpers/photo-like.ts), as a JPEG, drawn at its first request. Also
 * serves the failure cases a real shop's CDN produces.
 */
export { PHOTO_COLORS, type PhotoColor } from './photo-colors.ts';

/**
 * The photo server is on 127.0.0.1 at a random port, which the photo fetcher refuses by default
 * (loopback, not port 80/443): tests that render its photos opt in with these settings.
 */
export const PHOTO_SERVER_ENV = { OPENTIME_IMAGE_HOSTS: '127.0.0.1:*', OPENTIME_IMAGE_ALLOW_PRIVATE: '1' } as const;

export interface PhotoServer {
  origin: string;
  url(name: PhotoColor | `photo-${PhotoColor}` | 'missing' | 'html' | 'slow' | 'garbage' | 'webp' | 'huge'): string;
  /** How many times each path was requested. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function startPhotoServer(options: { slowMs?: number } = {}): Promise<PhotoServer> {
  const photos = new Map<string, Buffer>();
  for (const [name, [r, g, b]] of Object.entries(PHOTO_COLORS)) {
    photos.set(
      `/${name}.png`,
      await sharp({ create: { width: 400, height: 400, channels: 3, background: { r, g, b } } })
        .png()
        .toBuffer(),
    );
  }
  const photoLike = new Map<string, Promise<Buffer>>();
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const photo = photos.get(path);
    const likeColor = /^\/photo-([a-z]+)\.png$/.exec(path)?.[1] as PhotoColor | undefined;
    if (likeColor && likeColor in PHOTO_COLORS) {
      const index = Object.keys(PHOTO_COLORS).indexOf(likeColor);
      let shot = photoLike.get(likeColor);
      if (!shot) {
        shot = photoLikeJpeg(index + 1, PHOTO_COLORS[likeColor]);
        photoLike.set(likeColor, shot);
      }
      void shot.then((jpeg) => {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
        res.end(jpeg);
      });
    } else if (photo) {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': photo.length });
      res.end(photo);
    } else if (path === '/html.png') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>not a photo</html>');
    } else if (path === '/garbage.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from('definitely not a png'));
    } else if (path === '/webp.png') {
      // A real format, but not one resvg can embed.
      res.writeHead(200, { 'content-type': 'image/webp' });
      res.end(Buffer.from([0x52, 0x49, 0x46, 0x46, 0x24, 0, 0, 0, 0x57, 0x45, 0x42, 0x50]));
    } else if (path === '/huge.png') {
      // Over the fetcher's byte limit.
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.alloc(5 * 1024 * 1024));
    } else if (path === '/slow.png') {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(photos.get('/red.png'));
      }, options.slowMs ?? 5000);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (name) => `${origin}/${name}.png`,
    hits,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
