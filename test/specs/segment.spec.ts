import { describe, expect, it } from 'vitest';
import { profileOf, type SpecRuntime } from './harness.ts';
import { useSpecApp } from './use-app.ts';

/**
 * Segment fidelity through the whole app, the same on Node and on Workers
 * (where the reducer runs inside each subscriber's Durable Object): a partial
 * batch at /v1/import, the pixel API, another tool's event names and shapes,
 * traits without contact data. The finer cases are Node's, in
 * test/routes/segment-*.test.ts.
 */
export function describeSegment(runtime: SpecRuntime): void {
  describe('Segment fidelity', () => {
    const app = useSpecApp(runtime, { seeded: false });
    const profile = (id: string) => profileOf(app, id);

    describe('Segment fidelity', () => {
      it('stores the valid items of a batch sent to /v1/import and lists the bad one', async () => {
        const response = await app.send('import', {
          batch: [
            { type: 'track', userId: 'w-imp', event: 'Product Added', properties: { product_id: 'kept' } },
            { type: 'track', userId: 'w-imp', event: 'x'.repeat(300) },
          ],
        });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { applied: number; rejected: Array<{ index: number; path: string }> };
        expect(body.applied).toBe(1);
        expect(body.rejected).toEqual([{ index: 1, path: 'batch[1].event', reason: 'must be at most 200 characters' }]);
        expect((await profile('w-imp')).cart[0]?.id).toBe('kept');
      });

      it('answers the pixel API with a 200 GIF, recording the event or naming the error', async () => {
        const data = btoa(JSON.stringify({ writeKey: runtime.writeKey, userId: 'w-pix', event: 'view_item', properties: { items: [{ item_id: 'ga-sku', quantity: 1 }] } }));
        const ok = await app.request(`/v1/pixel/track?data=${encodeURIComponent(data)}`);
        expect(ok.status).toBe(200);
        expect(ok.headers.get('content-type')).toBe('image/gif');
        expect(new Uint8Array(await ok.arrayBuffer()).subarray(0, 6)).toEqual(new TextEncoder().encode('GIF89a'));
        expect((await profile('w-pix')).viewed[0]?.id).toBe('ga-sku');

        const bad = await app.request(`/v1/pixel/track?data=${encodeURIComponent(btoa(JSON.stringify({ userId: 'w-pix', event: 'X' })))}`);
        expect(bad.status).toBe(200);
        expect(bad.headers.get('x-opentime-error')).toBe('UNAUTHORIZED');
      });

      it("maps Klaviyo's Placed Order and drops contact traits from what the store keeps", async () => {
        await app.send('track', { userId: 'w-kl', event: 'Added to Cart', properties: { AddedItemProductID: 'k1', AddedItemQuantity: 1 } });
        const placed = await app.send('track', { userId: 'w-kl', event: 'Placed Order', properties: { OrderId: 'o-1', Items: [{ ProductID: 'k1', Quantity: 1 }] } });
        expect(await placed.json()).toMatchObject({ applied: 1, ignored: 0 });
        await app.send('identify', { userId: 'w-kl', traits: { 'First Name': 'Jane', user_email: 'jane@example.com', whatsapp: '+44 7946 095800', plan: 'gold' } });
        const kept = await profile('w-kl');
        expect(kept.cart).toEqual([]);
        expect(kept.purchased[0]).toMatchObject({ id: 'k1', orderId: 'o-1' });
        expect(kept.traits).toEqual({ plan: 'gold' });
      });
    });
  });
}
