import { describe, expect, it } from 'vitest';
import type { BlockInput } from '../../src/core/blocks/schema.ts';
import { PHOTO_COLORS } from '../helpers/photo-colors.ts';
import { seed, slotBox, testBlock, type SpecApp, type SpecRuntime } from './harness.ts';
import { useSpecApp } from './use-app.ts';

/**
 * The recommendation sources fill a grid's slots from what other shoppers
 * did, the same on Node and on Workers: the same events give the same
 * products, read here from where each slot's click leads and from its photo.
 */
export function describeRecommendations(runtime: SpecRuntime): void {
  describe('recommendation sources', () => {
    const app = useSpecApp(runtime, { seeded: false });
    let order = 0;
    const track = async (userId: string, event: string, properties: Record<string, unknown>, timestamp?: string) => {
      const response = await app.send('track', { userId, event, properties, ...(timestamp ? { timestamp } : {}) });
      expect(response.status, await response.clone().text()).toBe(200);
    };
    const view = (userId: string, id: string, extra: Record<string, unknown> = {}) => track(userId, 'Product Viewed', { product_id: id, ...extra });
    const buy = (userId: string, ids: string[]) => track(userId, 'Order Completed', { order_id: `o-${++order}`, products: ids.map((product_id) => ({ product_id })) });

    /** Where each slot's click leads: the product's page name (`blue`), or null for an empty slot. */
    async function shown(a: SpecApp, block: BlockInput, subscriber: string, slots = 3): Promise<Array<string | null>> {
      const put = await a.admin('PUT', `/v1/blocks/${block.id as string}`, block);
      expect(put.status, await put.clone().text()).toBe(200);
      const { response } = await a.open(block.id as string, { u: subscriber, m: 'recs' });
      expect(response.status).toBe(200);
      await a.settle();
      const out: Array<string | null> = [];
      for (let slot = 0; slot < slots; slot++) {
        const click = await a.click(block.id as string, slot, { u: subscriber, m: 'recs' });
        const location = click.headers.get('location') ?? '';
        out.push(/\/products\/([a-z]+)/.exec(location)?.[1] ?? null);
      }
      return out;
    }
    const grid = (id: string, source: Array<Record<string, unknown>>) => testBlock({ id, slots: 3, source, fallback: { url: 'https://shop.example.com/' } } as Partial<BlockInput>);

    it('bought_together: what others bought with the product the subscriber looks at, most often first', async () => {
      await seed(runtime, app);
      await buy('a', ['p-red', 'p-blue']);
      await buy('b', ['p-red', 'p-blue']);
      await buy('c', ['p-red', 'p-orange']);
      await view('s', 'p-red');
      expect(await shown(app, grid('bt', [{ from: 'bought_together' }]), 's')).toEqual(['blue', 'orange', null]);
      const { pixels } = await app.open('bt', { u: 's', m: 'recs' });
      expect(pixels.share(PHOTO_COLORS.blue, slotBox(pixels, 0))).toBeGreaterThan(0.25);
      expect(pixels.share(PHOTO_COLORS.orange, slotBox(pixels, 1))).toBeGreaterThan(0.25);
    });

    it('viewed_together: products viewed in the same session as the subscriber’s, and a filter over product fields', async () => {
      await seed(runtime, app);
      for (const viewer of ['v1', 'v2']) {
        await view(viewer, 'p-green');
        await view(viewer, 'p-teal');
      }
      await view('v3', 'p-green');
      await view('v3', 'p-purple');
      // Hours apart: another session, not a co-view.
      await track('v4', 'Product Viewed', { product_id: 'p-green' }, '2026-05-31T06:00:00Z');
      await track('v4', 'Product Viewed', { product_id: 'p-orange' }, '2026-05-31T11:00:00Z');
      await view('s', 'p-green');
      expect(await shown(app, grid('vt', [{ from: 'viewed_together' }]), 's')).toEqual(['teal', 'purple', null]);
      const cheap = grid('vt-cheap', [{ from: 'viewed_together', filter: { '>': [{ var: 'final_price' }, 26] } }]);
      expect(await shown(app, cheap, 's')).toEqual(['purple', null, null]);
    });

    it('similar: the same category, near in price; for_you: a blend led by what others bought with it', async () => {
      await seed(runtime, app);
      for (const [user, id] of [
        ['x', 'p-green'],
        ['y', 'p-green'],
        ['x', 'p-purple'],
      ] as const) {
        await view(user, id, { category: id === 'p-green' ? 'shoes' : 'home' });
      }
      await buy('a', ['p-red', 'p-blue']);
      await view('s', 'p-red', { category: 'shoes' });
      expect(await shown(app, grid('sim', [{ from: 'similar' }]), 's')).toEqual(['green', null, null]);
      expect((await shown(app, grid('fy', [{ from: 'for_you' }]), 's'))[0]).toBe('blue');
    });

    it('price_drop: a viewed product whose price fell since, and not one whose price held', async () => {
      await seed(runtime, app);
      await view('s', 'p-purple', { price: 40 });
      await view('s', 'p-teal', { price: 25 });
      expect(await shown(app, grid('pd', [{ from: 'price_drop' }]), 's')).toEqual(['purple', null, null]);
    });

    it('new_arrivals: products that entered the catalog, of a category when asked', async () => {
      await seed(runtime, app);
      expect(await shown(app, grid('na', [{ from: 'new_arrivals', category: 'home' }]), 'anyone')).toEqual(['purple', 'teal', null]);
    });
  });
}
