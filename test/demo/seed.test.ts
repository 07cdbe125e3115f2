import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/adapters/store/memory.ts';
import { blockSchema } from '../../src/core/blocks/schema.ts';
import { productSchema } from '../../src/core/catalog/product.ts';
import type { Store } from '../../src/core/ports.ts';
import { DEMO_BLOCK_ID, DEMO_PRODUCTS, demoBlock, demoCatalog } from '../../src/demo/catalog.ts';
import { removeDemo, seedDemo } from '../../src/demo/seed.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const ORIGIN = 'http://localhost:8080';
const own = (id: string) => productSchema.parse({ id, title: `Our ${id}`, price: 10, url: `https://shop.example.com/${id}`, image_url: `https://cdn.example.com/${id}.png` });
const ids = async (store: Store) => (await store.listProducts(100)).map((p) => p.id);

let app: TestApp;
beforeEach(async () => {
  app = await createTestApp({ store: memoryStore() });
});
afterEach(async () => {
  await app.close();
});

describe('removeDemo (a start with OPENTIME_DEMO=0)', () => {
  it('removes the products and block the demo seeded, and nothing of the shop’s own', async () => {
    const { store } = app.deps;
    await seedDemo(app.deps, ORIGIN);
    // The shop replaced one demo product with its own under the same id, and added another.
    await store.putProducts([own('aviators'), own('my-sku')], 0);
    expect(await removeDemo(app.deps)).toEqual({ products: DEMO_PRODUCTS.length - 1, block: true });
    expect(await ids(store)).toEqual(['aviators', 'my-sku']);
    expect((await store.getProducts(['aviators'])).get('aviators')?.title).toBe('Our aviators');
    expect(await store.getBlock(DEMO_BLOCK_ID)).toBeUndefined();
    // Once gone, a later start finds nothing to remove.
    expect(await removeDemo(app.deps)).toEqual({ products: 0, block: false });
  });

  it('recognises the products an older demo wrote without its mark', async () => {
    const { store } = app.deps;
    const unmarked = demoCatalog(ORIGIN).map(({ attributes: _mark, ...product }) => product);
    await store.putProducts(unmarked, 0);
    // A shop product that reuses a demo id and title but lives on the shop's own pages is not the demo's.
    await store.putProducts([{ ...own('weekender'), title: 'Canvas Weekender Bag' }], 0);
    expect((await removeDemo(app.deps)).products).toBe(DEMO_PRODUCTS.length - 1);
    expect(await ids(store)).toEqual(['weekender']);
  });

  it('keeps a demo block someone edited', async () => {
    const { store } = app.deps;
    await store.putBlock(blockSchema.parse({ ...demoBlock(ORIGIN), params: { headline: 'Our picks' } }), 0);
    expect((await removeDemo(app.deps)).block).toBe(false);
    expect((await store.getBlock(DEMO_BLOCK_ID))?.config.params.headline).toBe('Our picks');
  });
});
