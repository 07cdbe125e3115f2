import { describe, expect, it } from 'vitest';
import { PHOTO_COLORS } from '../helpers/photo-colors.ts';
import { errorOf, shopper, slotBox, testBlock, type SpecRuntime } from './harness.ts';
import { useSpecApp } from './use-app.ts';

/**
 * The catalog, block and template admin routes and what they change at the
 * next open, the same on Node and on Workers: problems named by path,
 * attributes, products without a photo, paging, deletes.
 */
export function describeCatalog(runtime: SpecRuntime): void {
  describe('the catalog, blocks and templates', () => {
    const app = useSpecApp(runtime, { seeded: true });

    const shoe = (id: string, extra: object = {}) => ({ id, title: `Shoe ${id}`, price: 50, url: `https://shop.example.com/${id}`, image_url: runtime.photoUrl('red'), ...extra });
    const added = (userId: string, productId: string) => shopper(app).added(userId, productId);
    /** The grey of a card whose product has no photo (templates/product-grid.html). */
    const PLACEHOLDER = [0xec, 0xec, 0xef] as const;

    describe('PUT /v1/catalog/products: every problem by path', () => {
      it('names each problem by its JSON path, all at once, in details', async () => {
        const response = await app.admin('PUT', '/v1/catalog/products', [
          shoe('a'),
          shoe('b'),
          { id: 'c', price: 10, url: 'https://shop.example.com/c' },
          shoe('d', { price: '49.00' }),
        ]);
        expect(response.status).toBe(400);
        const error = await errorOf(response);
        expect(error.code).toBe('VALIDATION_FAILED');
        expect(error.details).toEqual([
          { path: '[2].title', message: 'is required (expected string)' },
          { path: '[3].price', message: 'expected number, received string' },
        ]);
        expect(error.message).toBe('invalid catalog: [2].title: is required (expected string); [3].price: expected number, received string');
      });

      it('names the path inside a {"products": [...]} body too', async () => {
        const response = await app.admin('PUT', '/v1/catalog/products', { products: [shoe('a', { in_stock: 'yes' })] });
        expect(response.status).toBe(400);
        expect((await errorOf(response)).details).toEqual([{ path: 'products[0].in_stock', message: 'expected boolean, received string' }]);
      });

      it('says so when one product is sent instead of a list', async () => {
        const response = await app.admin('PUT', '/v1/catalog/products', shoe('a'));
        expect(response.status).toBe(400);
        const error = await errorOf(response);
        expect(error.details).toEqual([{ path: '(root)', message: expect.stringMatching(/^expected a list of products, received one object/) }]);
      });

      it('accepts a product with no photo', async () => {
        const { image_url: _none, ...plain } = shoe('no-photo');
        expect((await app.admin('PUT', '/v1/catalog/products', [plain])).status).toBe(200);
        const stored = await (await app.admin('GET', '/v1/catalog/products/no-photo')).json();
        expect(stored).toEqual({ id: 'no-photo', title: 'Shoe no-photo', price: 50, currency: 'USD', url: 'https://shop.example.com/no-photo', in_stock: true });
      });
    });

    describe('product attributes', () => {
      it('keeps fields opentime does not read as attributes, from the top level and from "attributes"', async () => {
        const response = await app.admin('PUT', '/v1/catalog/products', [
          shoe('a', { brand: 'Acme', description: 'A light trail shoe', rating: 4.6, eco: true, sizes: [40, 41, 42], attributes: { fit: 'narrow' } }),
        ]);
        expect(response.status).toBe(200);
        const stored = (await (await app.admin('GET', '/v1/catalog/products/a')).json()) as { attributes: object };
        expect(stored.attributes).toEqual({ fit: 'narrow', brand: 'Acme', description: 'A light trail shoe', rating: 4.6, eco: true, sizes: [40, 41, 42] });
        // A page of the catalog carries them too.
        const page = (await (await app.admin('GET', '/v1/catalog/products?limit=1')).json()) as { products: Array<{ id: string; attributes?: object }> };
        expect(page.products[0]).toMatchObject({ id: 'a', attributes: stored.attributes });
      });

      it('refuses attributes beyond the limits, by path', async () => {
        const many = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`field_${i}`, i]));
        const response = await app.admin('PUT', '/v1/catalog/products', [
          shoe('many', many),
          shoe('long', { description: 'x'.repeat(1001) }),
          shoe('nested', { specs: { weight: 300 } }),
          shoe('big', { a: 'x'.repeat(1000), b: 'y'.repeat(1000), c: 'z'.repeat(100) }),
          shoe('named', { 'bad name': 1 }),
        ]);
        expect(response.status).toBe(400);
        expect((await errorOf(response)).details).toEqual([
          { path: '[0].attributes', message: 'has 31 attributes (fields opentime does not read); at most 30 are kept per product' },
          { path: '[1].description', message: 'must be at most 1000 characters' },
          { path: '[2].specs', message: 'expected string or number or boolean or array, received object' },
          { path: '[3].attributes', message: expect.stringMatching(/^attributes take 2\d{3} bytes of JSON; at most 2048 are kept per product$/) },
          { path: '[4].bad name', message: 'an extra field name takes letters, digits, _ and - (at most 64)' },
        ]);
      });

      it('lets a template draw an attribute, and a changed attribute changes the next open', async () => {
        const template = `<div style="display: flex; width: 600px; height: 300px; background-color: #ffffff">{% for product in products %}<div style="display: flex; width: 200px; height: 300px; background-color: {{ product.attributes.swatch | default: '#ffffff' }}"></div>{% endfor %}</div>`;
        expect((await app.request('/v1/templates/swatches', { method: 'PUT', body: template, headers: { authorization: `Bearer ${runtime.adminKey}` } })).status).toBe(200);
        await app.admin('PUT', '/v1/blocks/swatch', testBlock({ id: 'swatch', template: 'swatches', source: [{ from: 'products', ids: ['s1'] }] }));
        await app.admin('PUT', '/v1/catalog/products', [shoe('s1', { swatch: '#00ff00' })]);
        const green = await app.open('swatch', { u: 'alice' });
        expect(green.pixels.at(100, 300)).toEqual([0, 255, 0]);
        await app.admin('PUT', '/v1/catalog/products', [shoe('s1', { swatch: '#0000ff' })]);
        const blue = await app.open('swatch', { u: 'alice' });
        expect(blue.pixels.at(100, 300)).toEqual([0, 0, 255]);
      });
    });

    describe('a product without a photo', () => {
      it('is shown in its slot on a neutral grey placeholder, not left out and not a broken image', async () => {
        const { image_url: _none, ...plain } = shoe('no-photo', { title: 'Canvas Tote' });
        await app.admin('PUT', '/v1/catalog/products', [plain]);
        await app.admin('PUT', '/v1/blocks/tote', testBlock({ id: 'tote', source: [{ from: 'products', ids: ['p-blue', 'no-photo', 'p-red'] }] }));
        const { response, pixels } = await app.open('tote', { u: 'alice' });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-opentime-fallback')).toBeNull();
        expect(pixels.share(PHOTO_COLORS.blue, slotBox(pixels, 0))).toBeGreaterThan(0.25);
        expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 2))).toBeGreaterThan(0.25);
        // The middle card: its photo area is one flat light grey, nothing of another photo.
        const card = slotBox(pixels, 1);
        expect(pixels.share(PLACEHOLDER, card, 4)).toBeGreaterThan(0.25);
        expect(pixels.share(PHOTO_COLORS.blue, card) + pixels.share(PHOTO_COLORS.red, card)).toBeLessThan(0.01);
        // And the click on it goes to the product.
        await app.settle();
        expect((await app.click('tote', 1, { u: 'alice' })).headers.get('location')).toMatch(/^https:\/\/shop\.example\.com\/no-photo\?/);
      });

      it('draws a grey square in the product-row template too', async () => {
        const { image_url: _none, ...plain } = shoe('no-photo');
        await app.admin('PUT', '/v1/catalog/products', [plain]);
        await app.admin(
          'PUT',
          '/v1/blocks/rows',
          testBlock({ id: 'rows', template: 'product-row', size: { width: 400, height: 400 }, slots: 2, source: [{ from: 'products', ids: ['no-photo', 'p-blue'] }] }),
        );
        const { response, pixels } = await app.open('rows', { u: 'alice' });
        expect(response.headers.get('x-opentime-fallback')).toBeNull();
        const top = { x: 0, y: 0, width: pixels.width, height: Math.floor(pixels.height / 2) };
        const bottom = { ...top, y: top.height };
        expect(pixels.share(PLACEHOLDER, top, 4)).toBeGreaterThan(0.1);
        expect(pixels.share(PHOTO_COLORS.blue, bottom)).toBeGreaterThan(0.1);
      });
    });

    describe('GET /v1/catalog/products: paging', () => {
      it('pages through the whole catalog once, in id order, with next_cursor until the last page', async () => {
        const ids = Array.from({ length: 250 }, (_, i) => `sku-${String(i).padStart(3, '0')}`);
        await app.admin(
          'PUT',
          '/v1/catalog/products',
          ids.map((id) => shoe(id)),
        );
        const seen: string[] = [];
        const sizes: number[] = [];
        let cursor: string | null = null;
        do {
          const response = await app.admin('GET', `/v1/catalog/products?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
          expect(response.status).toBe(200);
          const page = (await response.json()) as { products: Array<{ id: string }>; next_cursor: string | null };
          sizes.push(page.products.length);
          seen.push(...page.products.map((p) => p.id));
          cursor = page.next_cursor;
        } while (cursor !== null);
        const all = [...ids, 'p-blue', 'p-green', 'p-orange', 'p-purple', 'p-red', 'p-teal'].sort();
        expect(seen).toEqual(all);
        expect(sizes).toEqual([100, 100, 56]);
      });

      it('answers 100 products by default and names a bad limit or cursor', async () => {
        const first = (await (await app.admin('GET', '/v1/catalog/products')).json()) as { products: unknown[]; next_cursor: string | null };
        expect(first.products).toHaveLength(6);
        expect(first.next_cursor).toBeNull();
        for (const limit of ['0', '1001', 'ten', '-1']) {
          const response = await app.admin('GET', `/v1/catalog/products?limit=${limit}`);
          expect(response.status, limit).toBe(400);
          expect((await errorOf(response)).details, limit).toEqual([{ path: 'limit', message: 'expected a whole number from 1 to 1000' }]);
        }
        const response = await app.admin('GET', '/v1/catalog/products?cursor=not*a*cursor');
        expect(response.status).toBe(400);
        expect((await errorOf(response)).details).toEqual([{ path: 'cursor', message: 'expected a next_cursor from an earlier page' }]);
      });

      it('needs the admin key', async () => {
        expect((await app.request('/v1/catalog/products')).status).toBe(401);
        expect((await app.request('/v1/catalog/products/p-red', { method: 'DELETE' })).status).toBe(401);
        expect((await app.request('/v1/blocks/grid', { method: 'DELETE' })).status).toBe(401);
        expect((await app.request('/v1/templates/x', { method: 'DELETE' })).status).toBe(401);
      });
    });

    describe('DELETE /v1/catalog/products/:id', () => {
      it('removes the product: it is gone from reads, and the next open shows the next one', async () => {
        await added('alice', 'p-red');
        const before = await app.open('grid', { u: 'alice' });
        expect(before.pixels.share(PHOTO_COLORS.red, slotBox(before.pixels, 0))).toBeGreaterThan(0.25);

        const response = await app.admin('DELETE', '/v1/catalog/products/p-red');
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ deleted: 'p-red' });
        expect((await app.admin('GET', '/v1/catalog/products/p-red')).status).toBe(404);
        expect((await app.admin('DELETE', '/v1/catalog/products/p-red')).status).toBe(404);
        const after = await app.open('grid', { u: 'alice' });
        expect(after.pixels.share(PHOTO_COLORS.red)).toBeLessThan(0.01);
      });

      it('answers 404 naming an unknown product', async () => {
        const response = await app.admin('DELETE', '/v1/catalog/products/nope');
        expect(response.status).toBe(404);
        expect(await errorOf(response)).toEqual({ code: 'NOT_FOUND', message: 'no product with id "nope"' });
      });
    });

    describe('DELETE /v1/blocks/:id', () => {
      it('removes the block: its image becomes the generic blank one, its clicks the default page', async () => {
        await added('alice', 'p-red');
        expect((await app.admin('PUT', '/v1/blocks/grid', testBlock())).status).toBe(200);
        const response = await app.admin('DELETE', '/v1/blocks/grid');
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ deleted: 'grid' });

        const open = await app.open('grid', { u: 'alice' });
        expect(open.response.status).toBe(200);
        expect(open.response.headers.get('content-type')).toBe('image/png');
        expect(open.response.headers.get('x-opentime-error')).toBe('BLOCK_NOT_FOUND');
        expect(open.pixels.share(PHOTO_COLORS.red)).toBe(0);
        const click = await app.click('grid', 0, { u: 'alice' });
        expect(click.status).toBe(404);
        expect(await click.text()).toContain('no longer available');
        expect((await app.admin('GET', '/v1/blocks/grid')).status).toBe(404);
        expect(((await (await app.admin('GET', '/v1/blocks')).json()) as { blocks: unknown[] }).blocks).toEqual([]);
      });

      it('continues the version when the block is put again, so no render of the old one is served', async () => {
        await added('alice', 'p-red');
        const old = await app.open('grid', { u: 'alice' });
        expect(old.pixels.share(PHOTO_COLORS.red, slotBox(old.pixels, 0))).toBeGreaterThan(0.25);
        await app.admin('DELETE', '/v1/blocks/grid');
        const again = await app.admin('PUT', '/v1/blocks/grid', testBlock({ source: [{ from: 'products', ids: ['p-blue'] }] }));
        expect(((await again.json()) as { version: number }).version).toBe(2);
        const fresh = await app.open('grid', { u: 'alice' });
        expect(fresh.pixels.share(PHOTO_COLORS.red)).toBeLessThan(0.01);
        expect(fresh.pixels.share(PHOTO_COLORS.blue)).toBeGreaterThan(0.1);
      });

      it('answers 404 naming an unknown block', async () => {
        const response = await app.admin('DELETE', '/v1/blocks/nope');
        expect(response.status).toBe(404);
        expect(await errorOf(response)).toEqual({ code: 'BLOCK_NOT_FOUND', message: 'no block with id "nope"' });
      });
    });

    describe('DELETE /v1/templates/:name', () => {
      const putTemplate = (name: string, source: string) =>
        app.request(`/v1/templates/${name}`, { method: 'PUT', body: source, headers: { authorization: `Bearer ${runtime.adminKey}` } });
      const plain = (color: string) => `<div style="display: flex; width: 600px; height: 300px; background-color: ${color}"></div>`;

      it('refuses with 409 naming the blocks that use it, and deletes it once none does', async () => {
        await putTemplate('flat', plain('#00ff00'));
        await app.admin('PUT', '/v1/blocks/one', testBlock({ id: 'one', template: 'flat' }));
        await app.admin('PUT', '/v1/blocks/two', testBlock({ id: 'two', template: 'flat' }));
        const refused = await app.admin('DELETE', '/v1/templates/flat');
        expect(refused.status).toBe(409);
        const error = await errorOf(refused);
        expect(error.code).toBe('TEMPLATE_IN_USE');
        expect(error.message).toBe('template "flat" is used by blocks "one", "two": change or delete them first');
        expect((await app.open('one', {})).pixels.at(10, 10)).toEqual([0, 255, 0]);

        await app.admin('DELETE', '/v1/blocks/one');
        await app.admin('PUT', '/v1/blocks/two', testBlock({ id: 'two' }));
        const deleted = await app.admin('DELETE', '/v1/templates/flat');
        expect(deleted.status).toBe(200);
        expect(await deleted.json()).toEqual({ deleted: 'flat' });
        expect((await app.admin('GET', '/v1/templates/flat')).status).toBe(404);
        expect(((await (await app.admin('GET', '/v1/templates')).json()) as { templates: unknown[] }).templates).toEqual([]);
      });

      it('deletes a stored template named like a shipped one: its blocks are drawn by the shipped one again', async () => {
        await putTemplate('product-grid', plain('#00ff00'));
        expect((await app.open('grid', {})).pixels.at(10, 10)).toEqual([0, 255, 0]);
        const deleted = await app.admin('DELETE', '/v1/templates/product-grid');
        expect(deleted.status).toBe(200);
        expect(await deleted.json()).toEqual({ deleted: 'product-grid', falls_back_to: 'built-in' });
        expect((await app.admin('GET', '/v1/templates/product-grid')).headers.get('x-opentime-template')).toBe('built-in');
        expect((await app.open('grid', {})).pixels.at(10, 10)).toEqual([255, 255, 255]);
      });

      it('answers 404 for a name with no stored template, saying when it is a built-in one', async () => {
        const unknown = await app.admin('DELETE', '/v1/templates/nope');
        expect(unknown.status).toBe(404);
        expect((await errorOf(unknown)).message).toBe('no template named "nope"');
        const builtIn = await app.admin('DELETE', '/v1/templates/hero');
        expect(builtIn.status).toBe(404);
        expect((await errorOf(builtIn)).message).toBe('template "hero" is built in: there is no stored one to delete');
      });
    });
  });
}
