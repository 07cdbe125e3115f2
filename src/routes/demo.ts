import { Hono } from 'hono';
import { blockSchema } from '../core/blocks/schema.ts';
import type { Esp } from '../core/links/snippets.ts';
import { DEMO_BLOCK_ID, DEMO_PRODUCTS, demoBlock } from '../demo/catalog.ts';
import { DEMO_QUERY, demoPage, demoShopPage } from '../demo/page.ts';
import { productPhotoSvg } from '../demo/photos.ts';
import type { AppContext, AppEnv } from './context.ts';

/**
 * The origin for snippets: the configured public URL, else where the browser reached us when
 * that is a plain host name or address. The Host header is the client's to write, and a URL
 * parser lets through quotes and braces in a host name.
 */
const PLAIN_ORIGIN = /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;
const PLACEHOLDER_ORIGIN = 'https://live.example.com';
/** The ESPs whose snippets the page shows; `opentime links --esp` prints the others. */
const DEMO_SNIPPET_ESPS: readonly Esp[] = ['klaviyo', 'mailchimp', 'braze'];

export function publicOrigin(c: AppContext): string {
  const configured = c.get('services').deps.config.publicUrl;
  if (configured !== undefined) return configured;
  const origin = new URL(c.req.url).origin;
  return PLAIN_ORIGIN.test(origin) ? origin : PLACEHOLDER_ORIGIN;
}

export function demoRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const photos = new Map<string, Promise<Uint8Array>>();

  routes.get('/', async (c) => {
    const { embeds, lookups, deps } = c.get('services');
    const origin = publicOrigin(c);
    // The stored demo block (as the seed wrote it), else the one the seed would write.
    const block = (await lookups.block(DEMO_BLOCK_ID).catch(() => undefined))?.config ?? blockSchema.parse(demoBlock(origin));
    const email = await embeds.embed(block, { esp: 'klaviyo', origin: '', query: DEMO_QUERY });
    const snippets = await Promise.all(DEMO_SNIPPET_ESPS.map((esp) => embeds.embed(block, { esp, origin })));
    return c.html(demoPage(origin, deps.config.demoWriteKey, email, snippets));
  });

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

  routes.get('/demo/shop', (c) => c.html(demoShopPage(undefined)));
  routes.get('/demo/shop/:id', (c) => c.html(demoShopPage(c.req.param('id'))));
  return routes;
}
