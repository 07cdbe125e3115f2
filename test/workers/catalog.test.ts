import { describe, expect, it } from 'vitest';
import { seed, testBlock, workerApp } from './helpers/app.ts';

/** The catalog's admin routes on Workers, against the Durable Object store. */
describe('catalog, deletes and paging on Workers', () => {
  it('pages the catalog in id order, deletes a product and a block, and draws a product without a photo', async () => {
    const app = workerApp();
    await seed(app);
    await app.admin('PUT', '/v1/catalog/products', [{ id: 'a-no-photo', title: 'No photo', price: 5, url: 'https://shop.example.com/n', material: 'canvas' }]);

    const first = (await (await app.admin('GET', '/v1/catalog/products?limit=4')).json()) as { products: Array<{ id: string; attributes?: object }>; next_cursor: string | null };
    expect(first.products.map((p) => p.id)).toEqual(['a-no-photo', 'p-blue', 'p-green', 'p-orange']);
    expect(first.products[0]?.attributes).toEqual({ material: 'canvas' });
    const second = (await (await app.admin('GET', `/v1/catalog/products?limit=4&cursor=${first.next_cursor}`)).json()) as { products: Array<{ id: string }>; next_cursor: string | null };
    expect(second.products.map((p) => p.id)).toEqual(['p-purple', 'p-red', 'p-teal']);
    expect(second.next_cursor).toBeNull();

    await app.admin('PUT', '/v1/blocks/placeholder', testBlock({ id: 'placeholder', source: [{ from: 'products', ids: ['a-no-photo'] }] }));
    const drawn = await app.open('placeholder', { u: 'alice' });
    expect(drawn.response.headers.get('x-opentime-fallback')).toBeNull();
    expect(drawn.pixels.share([0xec, 0xec, 0xef], undefined, 4)).toBeGreaterThan(0.1);

    expect((await app.admin('DELETE', '/v1/catalog/products/p-red')).status).toBe(200);
    expect((await app.admin('DELETE', '/v1/catalog/products/p-red')).status).toBe(404);
    expect((await app.admin('GET', '/v1/catalog/products/p-red')).status).toBe(404);

    expect((await app.admin('DELETE', '/v1/blocks/grid')).status).toBe(200);
    const gone = await app.open('grid', { u: 'alice' });
    expect(gone.response.status).toBe(200);
    expect(gone.response.headers.get('x-opentime-error')).toBe('BLOCK_NOT_FOUND');
    expect(((await (await app.admin('PUT', '/v1/blocks/grid', testBlock())).json()) as { version: number }).version).toBe(2);
    await app.settle();
  });
});
