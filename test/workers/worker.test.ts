import { SELF } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { bindingAssets } from '../../src/adapters/workers/assets.ts';
import { DEMO_BLOCK_ID } from '../../src/demo/catalog.ts';
import { WRITE_KEY, workerApp } from './helpers/app.ts';

/** The Worker entry itself: configuration from bindings, what it refuses, what it serves. */
describe('the Worker entry', () => {
  it('answers through its default export with the bindings of wrangler.toml', async () => {
    const health = await SELF.fetch('https://live.example.com/healthz');
    expect(health.status).toBe(200);
    const image = await SELF.fetch('https://live.example.com/i/nothing-here.png?u=someone');
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    await image.arrayBuffer();
  });

  it('refuses to start without its secrets, naming each and how to set it', async () => {
    const app = workerApp({ OPENTIME_ADMIN_KEY: undefined, OPENTIME_SECRET: undefined });
    const response = await app.request('/healthz');
    expect(response.status).toBe(500);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('WORKER_INIT_FAILED');
    expect(error.message).toContain('OPENTIME_ADMIN_KEY, OPENTIME_SECRET');
    expect(error.message).toContain('wrangler secret put');
    expect(error.message).not.toContain('OPENTIME_WRITE_KEY');
  });

  it('reports every invalid setting at once, and starts once they are fixed', async () => {
    const broken = workerApp({ OPENTIME_STORE_TIMEOUT_MS: 'soon', OPENTIME_IMAGE_RESIZING: 'sharp' });
    const response = await broken.request('/healthz');
    expect(response.status).toBe(500);
    const { message } = ((await response.json()) as { error: { message: string } }).error;
    expect(message).toContain('OPENTIME_STORE_TIMEOUT_MS');
    expect(message).toContain('OPENTIME_IMAGE_RESIZING');
  });

  it('does not serve the files under templates/ to the public', async () => {
    for (const path of ['/product-grid.html', '/cart-reminder.json']) {
      const response = await SELF.fetch(`https://live.example.com${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain('{%');
    }
  });

  it('reads templates/ through the assets binding, and nothing outside it', async () => {
    const assets = bindingAssets(env.TEMPLATES);
    expect(new TextDecoder().decode(await assets.read('product-grid.html'))).toContain('{%- for product in products %}');
    expect(await assets.read('no-such-template.html')).toBeUndefined();
    for (const path of ['../wrangler.toml', '/product-grid.html', 'fallback/../../package.json', '']) expect(await assets.read(path), path).toBeUndefined();
  });

  it('serves no demo unless OPENTIME_DEMO=1', async () => {
    const app = workerApp({ OPENTIME_DEMO: undefined });
    expect((await app.request('/')).status).toBe(404);
    expect((await app.request('/demo/shop')).status).toBe(404);
  });

  it('seeds the demo on its first request and draws the demo photos in-process', async () => {
    const app = workerApp({ OPENTIME_DEMO: '1' });
    const page = await app.request('/');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(DEMO_BLOCK_ID);
    // Keys on Workers come from secrets, which no page shows.
    expect(html).not.toContain(WRITE_KEY);
    // The demo catalog's photos are on the Worker's own origin, which the test network does not serve:
    // a full render proves they were answered by the app itself.
    const { response, pixels } = await app.open(DEMO_BLOCK_ID, { u: 'demo-visitor' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-opentime-fallback')).toBeNull();
    expect(response.headers.get('x-opentime-cache')).toBe('miss');
    expect(pixels.share([255, 255, 255])).toBeLessThan(0.9);
    await app.settle();
  });

  it('removes the demo shop from its store once started with the demo off', async () => {
    const demo = workerApp({ OPENTIME_DEMO: '1' });
    expect((await demo.request('/')).status).toBe(200);
    const catalog = async (app: typeof demo) => ((await (await app.admin('GET', '/v1/catalog/products')).json()) as { products: Array<{ id: string }> }).products.map((p) => p.id);
    expect(await catalog(demo)).toHaveLength(8);
    await demo.admin('PUT', '/v1/catalog/products', [{ id: 'my-sku', title: 'Our Own', price: 10, url: 'https://shop.example.com/my-sku' }]);
    await demo.settle();

    const off = workerApp({ OPENTIME_DEMO: '0' }, demo);
    expect((await off.request('/healthz')).status).toBe(200);
    await off.settle();
    expect(await catalog(off)).toEqual(['my-sku']);
    expect((await off.admin('GET', `/v1/blocks/${DEMO_BLOCK_ID}`)).status).toBe(404);
  });
});
