import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type { DemoProduct } from '../../src/demo/catalog.ts';
import { productPhotoSvg } from '../../src/demo/photos.ts';
import { parseHexColor } from '../../src/core/render/png.ts';
import { photoLikeJpeg } from '../helpers/photo-like.ts';

/**
 * A shop's photo CDN for the bench: `count` products, each with a
 * photo-like shot of its own (textured, shaded, with grain, in a colour
 * from its number: see test/helpers/photo-like.ts), 600×600 JPEG, drawn
 * once at start. `flat` serves the demo's flat illustrations instead.
 */
const DRAWINGS: readonly DemoProduct['drawing'][] = ['sneaker', 'bag', 'mug', 'sweater', 'headphones', 'plant', 'sunglasses', 'watch'];

function hsl(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return `#${[f(0), f(8), f(4)].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function flatPhoto(n: number, hue: number): Promise<Buffer> {
  const product = {
    id: `p${n}`,
    title: '',
    price: 0,
    category: '',
    tint: hsl(hue, 0.6, 0.93),
    color: hsl(hue, 0.55, 0.45),
    drawing: DRAWINGS[n % DRAWINGS.length],
  } as DemoProduct;
  return sharp(Buffer.from(productPhotoSvg(product)))
    .resize(600, 600)
    .jpeg({ quality: 85 })
    .toBuffer();
}

export interface CatalogPhotos {
  origin: string;
  url(i: number): string;
  close(): Promise<void>;
}

export async function startCatalogPhotos(count: number, style: 'photo-like' | 'flat' = 'photo-like'): Promise<CatalogPhotos> {
  const photos: Buffer[] = [];
  const batch = 16;
  for (let i = 0; i < count; i += batch) {
    const drawn = await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, (_, j) => {
        const n = i + j;
        const hue = (n * 137.5) % 360;
        if (style === 'flat') return flatPhoto(n, hue);
        const rgb = parseHexColor(hsl(hue, 0.55, 0.45));
        return photoLikeJpeg(n, rgb);
      }),
    );
    photos.push(...drawn);
  }
  const server: Server = createServer((req, res) => {
    const n = Number(/^\/p(\d+)\.jpg$/.exec(req.url ?? '')?.[1] ?? NaN);
    const photo = photos[n];
    if (!photo) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length });
    res.end(photo);
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (i) => `${origin}/p${i}.jpg`,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
