import { Hono } from 'hono';
import { DEMO_PRODUCTS } from '../demo/catalog.ts';
import { demoPage, demoShopPage } from '../demo/page.ts';
import { productPhotoSvg } from '../demo/photos.ts';
import type { AppContext, AppEnv } from './context.ts';

/** The page origin for snippets: the configured public URL, else where the browser reached us. */
export function publicOrigin(c: AppContext): string {
  return c.get('services').deps.config.publicUrl ?? new URL(c.req.url).origin;
}

export function demoRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const photos = new Map<string, Promise<Uint8Array>>();

  routes.get('/', (c) => c.html(demoPage(publicOrigin(c), c.get('services').deps.config.writeKeys[0] ?? '')));

  routes.get('/demo/products/:file', async (c) => {
    const id = c.req.param('file').replace(/\.png$/, '');
    const product = DEMO_PRODUCTS.find((p) => p.id === id);
    if (!product) return c.json({ error: { code: 'NOT_FOUND', message: `no demo product ${JSON.stringify(id)}` } }, 404);
    let png = photos.get(id);
    if (!png) {
      png = c.get('services').deps.rasterizer.rasterize(productPhotoSvg(product), 1);
      photos.set(id, png);
      png.catch(() => photos.delete(id));
    }
    const bytes = await png;
    return new Response(bytes as BodyInit, {
      headers: { 'Content-Type': 'image/png', 'Cache-Control': 'public, max-age=86400', 'Content-Length': String(bytes.byteLength) },
    });
  });

  routes.get('/demo/shop', (c) => c.html(demoShopPage(publicOrigin(c), undefined)));
  routes.get('/demo/shop/:id', (c) => c.html(demoShopPage(publicOrigin(c), c.req.param('id'))));
  return routes;
}
