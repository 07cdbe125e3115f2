import { describe, expect, it } from 'vitest';
import { errorOf, profileOf, type SpecRuntime } from './harness.ts';
import { useSpecApp } from './use-app.ts';

/**
 * The events API and the admin API's blocks, catalog and subjects, the same
 * answers on Node and on Workers (200, 400 naming paths, 401, 413, 503).
 */
export function describeEvents(runtime: SpecRuntime): void {
  describe('the events and admin APIs', () => {
    const app = useSpecApp(runtime, { seeded: false });
    const profile = (id: string) => profileOf(app, id);

    async function gzip(text: string): Promise<Uint8Array> {
      const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    }

    describe('POST /v1/track, identify, alias, page, batch', () => {
      it('accepts a Segment track call and applies it to the profile', async () => {
        const response = await app.send('track', { userId: 'u1', event: 'Product Added', properties: { product_id: 'sku-1', quantity: 2 } });
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ success: true, applied: 1 });
        expect((await profile('u1')).cart).toEqual([expect.objectContaining({ id: 'sku-1', quantity: 2 })]);
      });

      it('applies every event of a batch, each to its own subscriber', async () => {
        const response = await app.send('batch', {
          batch: [
            { type: 'track', userId: 'b1', event: 'Product Viewed', properties: { product_id: 'seen' } },
            { type: 'track', userId: 'b2', event: 'Product Added', properties: { product_id: 'carted' } },
            { type: 'track', anonymousId: 'browser-b', event: 'Product Viewed', properties: { product_id: 'anon' } },
          ],
        });
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ applied: 3 });
        expect((await profile('b1')).viewed[0]?.id).toBe('seen');
        expect((await profile('b2')).cart[0]?.id).toBe('carted');
      });

      it('takes the write key from the body when there is no Basic header', async () => {
        const response = await app.request('/v1/track', {
          method: 'POST',
          body: JSON.stringify({ writeKey: runtime.writeKey, anonymousId: 'anon-1', event: 'Product Viewed', properties: { product_id: 'sku-1' } }),
        });
        expect(response.status).toBe(200);
      });

      it('refuses a missing or wrong write key with 401 and a message', async () => {
        const missing = await app.request('/v1/track', { method: 'POST', body: JSON.stringify({ userId: 'u1', event: 'X' }) });
        expect(missing.status).toBe(401);
        expect((await errorOf(missing)).message).toMatch(/write key/);
        const wrong = await app.send('track', { userId: 'u1', event: 'X' }, { authorization: `Basic ${btoa('not-the-key:')}` });
        expect(wrong.status).toBe(401);
        expect((await errorOf(wrong)).code).toBe('UNAUTHORIZED');
      });

      it('answers invalid JSON with 400 INVALID_JSON', async () => {
        const response = await app.send('track', '{"userId": "u1", "event": ');
        expect(response.status).toBe(400);
        expect((await errorOf(response)).code).toBe('INVALID_JSON');
      });

      it('names the path of a missing id and of a field of the wrong type', async () => {
        const noId = await app.send('track', { event: 'Product Viewed' });
        expect(noId.status).toBe(400);
        expect((await errorOf(noId)).details).toEqual([{ path: 'userId', message: 'userId or anonymousId is required' }]);

        const badProps = await app.send('track', { userId: 'u1', event: 'Product Viewed', properties: 'sku-1' });
        expect(badProps.status).toBe(400);
        const error = await errorOf(badProps);
        expect(error.details?.[0]?.path).toBe('properties');
        expect(error.message).toContain('properties: expected object, received string');

        const noEvent = await app.send('track', { userId: 'u1' });
        expect((await errorOf(noEvent)).details?.[0]).toEqual({ path: 'event', message: 'is required (expected string)' });
      });

      it('names the batch item that is wrong and stores the others', async () => {
        const response = await app.send('batch', {
          batch: [
            { type: 'track', userId: 'u1', event: 'Product Viewed', properties: { product_id: 'a' } },
            { type: 'track', userId: 'u1', event: 'Product Viewed', timestamp: 'yesterday-ish' },
            { type: 'bogus', userId: 'u1' },
          ],
        });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { rejected: Array<{ index: number; path: string; reason: string }> };
        expect(body.rejected.map((r) => r.path)).toEqual(['batch[1].timestamp', 'batch[2].type']);
        expect(body.rejected[0]).toEqual({ index: 1, path: 'batch[1].timestamp', reason: 'expected an ISO-8601 date-time' });
        expect((await profile('u1')).viewed.map((v) => v.id)).toEqual(['a']);
      });

      it('rejects a batch item without a type, naming it', async () => {
        const response = await app.send('batch', { batch: [{ userId: 'u1', event: 'X' }] });
        expect(response.status).toBe(200);
        expect(((await response.json()) as { rejected: Array<{ path: string }> }).rejected[0]?.path).toBe('batch[0].type');
      });

      it('refuses an event over 32 KB and a batch over 500 KB with 413', async () => {
        const event = await app.send('track', { userId: 'u1', event: 'Big', properties: { big: 'x'.repeat(33 * 1024) } });
        expect(event.status).toBe(413);
        expect((await errorOf(event)).message).toMatch(/limit is 32 KB/);
        const items = Array.from({ length: 20 }, () => ({ type: 'track', userId: 'u1', event: 'Medium', properties: { pad: 'y'.repeat(30 * 1024) } }));
        const batch = await app.send('batch', { batch: items });
        expect(batch.status).toBe(413);
        expect((await errorOf(batch)).message).toMatch(/limit is 500 KB/);
      });

      it('rejects one oversized event inside a batch, naming it, and keeps the other', async () => {
        const response = await app.send('batch', {
          batch: [
            { type: 'track', userId: 'u1', event: 'Ok' },
            { type: 'track', userId: 'u1', event: 'Big', properties: { big: 'x'.repeat(40 * 1024) } },
          ],
        });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { applied: number; rejected: unknown };
        expect(body.applied).toBe(1);
        expect(body.rejected).toEqual([{ index: 1, path: 'batch[1]', reason: expect.stringMatching(/^is \d+ KB; the limit is 32 KB per event$/) }]);
      });

      it('accepts a gzip body, as Segment senders may send', async () => {
        const body = await gzip(JSON.stringify({ batch: [{ type: 'track', userId: 'gz', event: 'Product Viewed', properties: { product_id: 'z' } }] }));
        const response = await app.request('/v1/batch', {
          method: 'POST',
          headers: { authorization: `Basic ${btoa(`${runtime.writeKey}:`)}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: body as BodyInit,
        });
        expect(response.status).toBe(200);
        expect((await profile('gz')).viewed[0]?.id).toBe('z');
      });

      it('applies a duplicate messageId once, and still answers 200', async () => {
        const event = { userId: 'dup', event: 'Product Added', messageId: 'msg-1', properties: { product_id: 'sku-1' } };
        expect((await app.send('track', event)).status).toBe(200);
        const again = await app.send('track', event);
        expect(again.status).toBe(200);
        expect(await again.json()).toMatchObject({ applied: 0, duplicates: 1 });
        const inBatch = await app.send('batch', {
          batch: [
            { type: 'track', ...event },
            { type: 'track', ...event },
          ],
        });
        expect(await inBatch.json()).toMatchObject({ applied: 0, duplicates: 2 });
        expect((await profile('dup')).cart[0]?.quantity).toBe(1);
      });

      it('stitches anonymous browsing to the user on identify, and not on a guess', async () => {
        await app.send('track', { anonymousId: 'browser-1', event: 'Product Viewed', properties: { product_id: 'seen-anon' } });
        await app.send('track', { anonymousId: 'browser-2', event: 'Product Viewed', properties: { product_id: 'someone-else' } });
        await app.send('identify', { userId: 'customer-9', anonymousId: 'browser-1', traits: { plan: 'vip', email: 'nine@example.com' } });
        const stitched = await profile('customer-9');
        expect(stitched.viewed.map((v) => v.id)).toEqual(['seen-anon']);
        expect(stitched.traits).toEqual({ plan: 'vip' });
        // Later anonymous events from that browser reach the user.
        await app.send('track', { anonymousId: 'browser-1', event: 'Product Added', properties: { product_id: 'later' } });
        expect((await profile('customer-9')).cart[0]?.id).toBe('later');
      });

      it('finds the user by the email from identify, without storing the address in clear text', async () => {
        await app.send('identify', { userId: 'customer-7', traits: { email: 'Seven@Example.com' } });
        await app.send('track', { userId: 'customer-7', event: 'Product Added', properties: { product_id: 'p7' } });
        const response = await app.admin('GET', `/v1/profiles/${encodeURIComponent('seven@example.com')}`);
        expect(response.status).toBe(200);
        const body = (await response.json()) as { profile: { cart: Array<{ id: string }> } };
        expect(body.profile.cart[0]?.id).toBe('p7');
        expect(JSON.stringify(body)).not.toMatch(/seven@example\.com/i);
      });

      it('merges a previous id into the user on alias', async () => {
        await app.send('track', { userId: 'old-id', event: 'Product Added', properties: { product_id: 'x' } });
        await app.send('alias', { previousId: 'old-id', userId: 'new-id' });
        expect((await profile('new-id')).cart[0]?.id).toBe('x');
      });

      it('accepts page, screen and group calls', async () => {
        for (const [type, body] of [
          ['page', { userId: 'p1', name: 'Home', properties: { path: '/' } }],
          ['screen', { userId: 'p1', name: 'Cart' }],
          ['group', { userId: 'p1', groupId: 'g1', traits: { name: 'ACME' } }],
        ] as const) {
          expect((await app.send(type, body)).status, type).toBe(200);
        }
        expect((await profile('p1')).traits).toEqual({});
      });

      it('answers 503 with Retry-After when the store cannot write, so the sender retries', async () => {
        await app.breakStore();
        const response = await app.send('track', { userId: 'u1', event: 'Product Viewed', properties: { product_id: 'a' } });
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('5');
        expect((await errorOf(response)).code).toBe('STORE_UNAVAILABLE');
      });
    });

    describe('admin: catalog, blocks and subjects', () => {
      it('needs the admin key', async () => {
        expect((await app.request('/v1/blocks/x')).status).toBe(401);
        expect((await app.request('/v1/catalog/products', { method: 'PUT', body: '[]', headers: { authorization: 'Bearer nope' } })).status).toBe(401);
        expect((await app.request('/v1/stats')).status).toBe(401);
      });

      it('lists every problem of a catalog upsert by path', async () => {
        const response = await app.admin('PUT', '/v1/catalog/products', [
          { id: 'ok', title: 'Fine', price: 1, url: 'https://shop.example.com/a', image_url: 'https://cdn.example.com/a.png' },
          { id: 'bad', title: '', price: -1, url: 'javascript:alert(1)', image_url: 'https://cdn.example.com/b.png', currency: 'dollars' },
        ]);
        expect(response.status).toBe(400);
        const paths = (await errorOf(response)).details?.map((d) => d.path) ?? [];
        expect(paths).toEqual(expect.arrayContaining(['[1].title', '[1].price', '[1].url', '[1].currency']));
      });

      it('stores a block, versions it, and refuses invalid config with every problem by path', async () => {
        const block = { size: { width: 600, height: 300 }, slots: 3, source: [{ from: 'cart' }], fallback: { url: 'https://shop.example.com/' } };
        const first = await app.admin('PUT', '/v1/blocks/cart-reminder', block);
        expect(first.status).toBe(200);
        expect(((await first.json()) as { version: number }).version).toBe(1);
        expect(((await (await app.admin('PUT', '/v1/blocks/cart-reminder', block)).json()) as { version: number }).version).toBe(2);
        const stored = await (await app.admin('GET', '/v1/blocks/cart-reminder')).json();
        expect(stored).toMatchObject({ id: 'cart-reminder', version: 2, slots: 3, params: { headline: 'Picked for you' } });

        const bad = await app.admin('PUT', '/v1/blocks/cart-reminder', { ...block, slots: 9, source: [{ from: 'cart' }, { from: 'wishlist' }] });
        expect(bad.status).toBe(400);
        expect((await errorOf(bad)).details).toEqual(
          expect.arrayContaining([
            { path: 'slots', message: 'must be at most 4' },
            {
              path: 'source[1].from',
              message:
                'expected one of cart, recently_viewed, purchased, viewed_together, bought_together, similar, for_you, price_drop, trending, bestsellers, new_arrivals, products',
            },
          ]),
        );
      });

      it('refuses a block whose body id differs from the URL', async () => {
        const response = await app.admin('PUT', '/v1/blocks/a', {
          id: 'b',
          size: { width: 600, height: 300 },
          slots: 1,
          source: [{ from: 'cart' }],
          fallback: { url: 'https://x.example.com/' },
        });
        expect(response.status).toBe(400);
      });

      it('serves a new block version at the next open', async () => {
        const base = { size: { width: 600, height: 300 }, slots: 1, source: [{ from: 'cart' }], fallback: { url: 'https://shop.example.com/' } };
        await app.admin('PUT', '/v1/blocks/v', { ...base, params: { background: '#ffffff' } });
        expect((await app.open('v', {})).pixels.at(5, 5)).toEqual([255, 255, 255]);
        await app.admin('PUT', '/v1/blocks/v', { ...base, params: { background: '#000000', text: '#ffffff' } });
        expect((await app.open('v', {})).pixels.at(5, 5)).toEqual([0, 0, 0]);
      });

      it('deletes a subject and the links into it', async () => {
        await app.send('identify', { userId: 'leaving', anonymousId: 'leaving-browser' });
        await app.send('track', { userId: 'leaving', event: 'Product Added', properties: { product_id: 'x' } });
        const deleted = await app.admin('DELETE', '/v1/subjects/leaving');
        expect(deleted.status).toBe(200);
        expect(await profile('leaving')).toBeUndefined();
      });
    });
  });
}
