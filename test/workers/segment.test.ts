import { beforeEach, describe, expect, it } from 'vitest';
import type { Profile } from '../../src/core/profiles/profile.ts';
import { WRITE_KEY, workerApp, type WorkerApp } from './helpers/app.ts';

/**
 * Segment fidelity through the Worker entry, the reducer running inside
 * each subscriber's Durable Object: a partial batch, /v1/import, the pixel
 * API, another tool's event names and shapes, traits without contact data.
 */
let app: WorkerApp;
beforeEach(() => {
  app = workerApp();
});

const profileOf = async (id: string): Promise<Profile> => {
  const response = await app.admin('GET', `/v1/profiles/${encodeURIComponent(id)}`);
  return (response.status === 200 ? ((await response.json()) as { profile: Profile }).profile : undefined) as Profile;
};

describe('Segment fidelity on Workers', () => {
  it('/v1/import stores the valid items of a batch and lists the bad one', async () => {
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
    expect((await profileOf('w-imp')).cart[0]?.id).toBe('kept');
  });

  it('answers the pixel API with a 200 GIF, recording the event or naming the error', async () => {
    const data = btoa(JSON.stringify({ writeKey: WRITE_KEY, userId: 'w-pix', event: 'view_item', properties: { items: [{ item_id: 'ga-sku', quantity: 1 }] } }));
    const ok = await app.request(`/v1/pixel/track?data=${encodeURIComponent(data)}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/gif');
    expect(new Uint8Array(await ok.arrayBuffer()).subarray(0, 6)).toEqual(new TextEncoder().encode('GIF89a'));
    expect((await profileOf('w-pix')).viewed[0]?.id).toBe('ga-sku');

    const bad = await app.request(`/v1/pixel/track?data=${encodeURIComponent(btoa(JSON.stringify({ userId: 'w-pix', event: 'X' })))}`);
    expect(bad.status).toBe(200);
    expect(bad.headers.get('x-opentime-error')).toBe('UNAUTHORIZED');
  });

  it("maps Klaviyo's Placed Order and drops contact traits inside the Durable Object", async () => {
    await app.send('track', { userId: 'w-kl', event: 'Added to Cart', properties: { AddedItemProductID: 'k1', AddedItemQuantity: 1 } });
    const placed = await app.send('track', { userId: 'w-kl', event: 'Placed Order', properties: { OrderId: 'o-1', Items: [{ ProductID: 'k1', Quantity: 1 }] } });
    expect(await placed.json()).toMatchObject({ applied: 1, ignored: 0 });
    await app.send('identify', { userId: 'w-kl', traits: { 'First Name': 'Jane', user_email: 'jane@example.com', whatsapp: '+44 7946 095800', plan: 'gold' } });
    const profile = await profileOf('w-kl');
    expect(profile.cart).toEqual([]);
    expect(profile.purchased[0]).toMatchObject({ id: 'k1', orderId: 'o-1' });
    expect(profile.traits).toEqual({ plan: 'gold' });
  });
});
