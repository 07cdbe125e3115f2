import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WRITE_KEY, createTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
beforeEach(async () => {
  app = await createTestApp();
});
afterEach(async () => {
  await app.close();
});

const profileOf = async (id: string) => {
  const response = await app.admin('GET', `/v1/profiles/${encodeURIComponent(id)}`);
  return response.status === 200 ? (await response.json()).profile : undefined;
};
const errorOf = async (response: Response) => (await response.json()).error as { code: string; message: string; details?: Array<{ path: string; message: string }> };

describe('POST /v1/track, identify, page, batch', () => {
  it('accepts a Segment track call and applies it to the profile', async () => {
    const response = await app.send('track', { userId: 'u1', event: 'Product Added', properties: { product_id: 'sku-1', quantity: 2 } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ success: true, applied: 1 });
    expect((await profileOf('u1')).cart).toEqual([expect.objectContaining({ id: 'sku-1', quantity: 2 })]);
  });

  it('takes the write key from the body when there is no Basic header', async () => {
    const response = await app.request('/v1/track', {
      method: 'POST',
      body: JSON.stringify({ writeKey: WRITE_KEY, anonymousId: 'anon-1', event: 'Product Viewed', properties: { product_id: 'sku-1' } }),
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
    const body = await response.json();
    expect(body.rejected.map((r: { path: string }) => r.path)).toEqual(['batch[1].timestamp', 'batch[2].type']);
    expect((await profileOf('u1')).viewed.map((v: { id: string }) => v.id)).toEqual(['a']);
  });

  it('rejects a batch item without a type, naming it', async () => {
    const response = await app.send('batch', { batch: [{ userId: 'u1', event: 'X' }] });
    expect(response.status).toBe(200);
    expect((await response.json()).rejected[0].path).toBe('batch[0].type');
  });

  it('refuses an event over 32 KB with 413 and a batch over 500 KB with 413', async () => {
    const big = 'x'.repeat(33 * 1024);
    const event = await app.send('track', { userId: 'u1', event: 'Big', properties: { big } });
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
    const body = await response.json();
    expect(body.applied).toBe(1);
    expect(body.rejected).toEqual([{ index: 1, path: 'batch[1]', reason: expect.stringMatching(/^is \d+ KB; the limit is 32 KB per event$/) }]);
  });

  it('accepts a gzip body, as Segment senders may send', async () => {
    const body = gzipSync(JSON.stringify({ batch: [{ type: 'track', userId: 'gz', event: 'Product Viewed', properties: { product_id: 'z' } }] }));
    const response = await app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    });
    expect(response.status).toBe(200);
    expect((await profileOf('gz')).viewed[0].id).toBe('z');
  });

  it('applies a duplicate messageId once, and still answers 200', async () => {
    const event = { userId: 'dup', event: 'Product Added', messageId: 'msg-1', properties: { product_id: 'sku-1' } };
    expect((await app.send('track', event)).status).toBe(200);
    const again = await app.send('track', event);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ applied: 0, duplicates: 1 });
    const inBatch = await app.send('batch', { batch: [{ type: 'track', ...event }, { type: 'track', ...event }] });
    expect(await inBatch.json()).toMatchObject({ applied: 0, duplicates: 2 });
    expect((await profileOf('dup')).cart[0].quantity).toBe(1);
  });

  it('applies a repeated messageId again after the 24-hour window', async () => {
    const event = { userId: 'late', event: 'Product Added', messageId: 'msg-late', properties: { product_id: 'sku-1' } };
    await app.send('track', event);
    app.clock.advance(25 * 3_600_000);
    expect(await (await app.send('track', event)).json()).toMatchObject({ applied: 1 });
  });

  it('corrects client clock skew the way Segment does', async () => {
    const received = app.clock.now();
    // The device clock is one hour ahead: sentAt and timestamp are both an hour late.
    const sentAt = new Date(received + 3_600_000).toISOString();
    const timestamp = new Date(received + 3_600_000 - 60_000).toISOString();
    await app.send('track', { userId: 'skew', event: 'Product Viewed', properties: { product_id: 'a' }, timestamp, sentAt });
    expect((await profileOf('skew')).viewed[0].at).toBe(received - 60_000);
  });

  it('batch-level sentAt and context apply to every item', async () => {
    const received = app.clock.now();
    const response = await app.send('batch', {
      sentAt: new Date(received + 7_200_000).toISOString(),
      batch: [{ type: 'track', userId: 'b1', event: 'Product Viewed', properties: { product_id: 'a' }, timestamp: new Date(received + 7_200_000 - 5_000).toISOString() }],
    });
    expect(response.status).toBe(200);
    expect((await profileOf('b1')).viewed[0].at).toBe(received - 5_000);
  });

  it('stitches anonymous browsing to the user on identify, and not on a guess', async () => {
    await app.send('track', { anonymousId: 'browser-1', event: 'Product Viewed', properties: { product_id: 'seen-anon' } });
    await app.send('track', { anonymousId: 'browser-2', event: 'Product Viewed', properties: { product_id: 'someone-else' } });
    await app.send('identify', { userId: 'customer-9', anonymousId: 'browser-1', traits: { plan: 'vip', email: 'nine@example.com' } });
    const profile = await profileOf('customer-9');
    expect(profile.viewed.map((v: { id: string }) => v.id)).toEqual(['seen-anon']);
    expect(profile.traits).toEqual({ plan: 'vip' });
    // Later anonymous events from that browser reach the user.
    await app.send('track', { anonymousId: 'browser-1', event: 'Product Added', properties: { product_id: 'later' } });
    expect((await profileOf('customer-9')).cart[0].id).toBe('later');
  });

  it('finds the user by the email from identify, without storing the address in clear text', async () => {
    await app.send('identify', { userId: 'customer-7', traits: { email: 'Seven@Example.com' } });
    await app.send('track', { userId: 'customer-7', event: 'Product Added', properties: { product_id: 'p7' } });
    const response = await app.admin('GET', `/v1/profiles/${encodeURIComponent('seven@example.com')}`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.profile.cart[0].id).toBe('p7');
    expect(JSON.stringify(body)).not.toMatch(/seven@example\.com/i);
  });

  it('alias merges a previous id into the user', async () => {
    await app.send('track', { userId: 'old-id', event: 'Product Added', properties: { product_id: 'x' } });
    await app.send('alias', { previousId: 'old-id', userId: 'new-id' });
    expect((await profileOf('new-id')).cart[0].id).toBe('x');
  });

  it('accepts page, screen and group calls', async () => {
    for (const [type, body] of [
      ['page', { userId: 'p1', name: 'Home', properties: { path: '/' } }],
      ['screen', { userId: 'p1', name: 'Cart' }],
      ['group', { userId: 'p1', groupId: 'g1', traits: { name: 'ACME' } }],
    ] as const) {
      expect((await app.send(type, body)).status, type).toBe(200);
    }
    expect((await profileOf('p1')).traits).toEqual({});
  });

  it('answers 503 with Retry-After when the store cannot write, so the sender retries', async () => {
    await app.deps.store.close();
    const response = await app.send('track', { userId: 'u1', event: 'Product Viewed', properties: { product_id: 'a' } });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect((await errorOf(response)).code).toBe('STORE_UNAVAILABLE');
  });
});

describe('admin: catalog and blocks', () => {
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
    const block = {
      size: { width: 600, height: 300 },
      slots: 3,
      source: [{ from: 'cart' }],
      fallback: { url: 'https://shop.example.com/' },
    };
    const first = await app.admin('PUT', '/v1/blocks/cart-reminder', block);
    expect(first.status).toBe(200);
    expect((await first.json()).version).toBe(1);
    expect((await (await app.admin('PUT', '/v1/blocks/cart-reminder', block)).json()).version).toBe(2);
    const stored = await (await app.admin('GET', '/v1/blocks/cart-reminder')).json();
    expect(stored).toMatchObject({ id: 'cart-reminder', version: 2, slots: 3, params: { headline: 'Picked for you' } });

    const bad = await app.admin('PUT', '/v1/blocks/cart-reminder', { ...block, slots: 9, source: [{ from: 'cart' }, { from: 'wishlist' }] });
    expect(bad.status).toBe(400);
    const error = await errorOf(bad);
    expect(error.details).toEqual(
      expect.arrayContaining([
        { path: 'slots', message: 'must be at most 4' },
        { path: 'source[1].from', message: 'expected one of cart, recently_viewed, purchased, trending, bestsellers, products' },
      ]),
    );
  });

  it('refuses a block whose body id differs from the URL', async () => {
    const response = await app.admin('PUT', '/v1/blocks/a', { id: 'b', size: { width: 600, height: 300 }, slots: 1, source: [{ from: 'cart' }], fallback: { url: 'https://x.example.com/' } });
    expect(response.status).toBe(400);
  });

  it('serves a new block version at the next open', async () => {
    const base = { size: { width: 600, height: 300 }, slots: 1, source: [{ from: 'cart' }], fallback: { url: 'https://shop.example.com/' } };
    await app.admin('PUT', '/v1/blocks/v', { ...base, params: { background: '#ffffff' } });
    const white = await app.open('v', {});
    expect(white.pixels.at(5, 5)).toEqual([255, 255, 255]);
    await app.admin('PUT', '/v1/blocks/v', { ...base, params: { background: '#000000', text: '#ffffff' } });
    const black = await app.open('v', {});
    expect(black.pixels.at(5, 5)).toEqual([0, 0, 0]);
  });
});

describe('GET /healthz', () => {
  it('is 200 while the store answers and 503 when it does not', async () => {
    expect((await app.request('/healthz')).status).toBe(200);
    await app.deps.store.close();
    expect((await app.request('/healthz')).status).toBe(503);
  });
});
