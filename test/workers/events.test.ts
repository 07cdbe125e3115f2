import { beforeEach, describe, expect, it } from 'vitest';
import type { Profile } from '../../src/core/profiles/profile.ts';
import { WRITE_KEY, workerApp, type WorkerApp } from './helpers/app.ts';

/**
 * The events API of test/routes/events.test.ts through the Worker entry:
 * the same answers (200, 400 with paths, 401, 413, 503), with each event
 * stored in its subscriber's Durable Object.
 */
let app: WorkerApp;
beforeEach(() => {
  app = workerApp();
});

// Read as the tests use them: a missing profile makes the property access fail the test.
const profileOf = async (id: string): Promise<Profile> => {
  const response = await app.admin('GET', `/v1/profiles/${encodeURIComponent(id)}`);
  return (response.status === 200 ? ((await response.json()) as { profile: Profile }).profile : undefined) as Profile;
};
const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; message: string; details?: Array<{ path: string; message: string }> } }).error;

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe('POST /v1/track, identify, alias, batch on Workers', () => {
  it('accepts a Segment track call and applies it to the profile', async () => {
    const response = await app.send('track', { userId: 'u1', event: 'Product Added', properties: { product_id: 'sku-1', quantity: 2 } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ success: true, applied: 1 });
    expect((await profileOf('u1')).cart).toEqual([expect.objectContaining({ id: 'sku-1', quantity: 2 })]);
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
    expect((await profileOf('b1')).viewed[0]?.id).toBe('seen');
    expect((await profileOf('b2')).cart[0]?.id).toBe('carted');
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

  it('names the path of a missing id, of a field of the wrong type and of the batch item that is wrong, storing the others', async () => {
    const noId = await app.send('track', { event: 'Product Viewed' });
    expect(noId.status).toBe(400);
    expect((await errorOf(noId)).details).toEqual([{ path: 'userId', message: 'userId or anonymousId is required' }]);
    const badProps = await app.send('track', { userId: 'u1', event: 'Product Viewed', properties: 'sku-1' });
    expect((await errorOf(badProps)).message).toContain('properties: expected object, received string');
    const batch = await app.send('batch', {
      batch: [
        { type: 'track', userId: 'u9', event: 'Product Viewed', properties: { product_id: 'a' } },
        { type: 'track', userId: 'u9', event: 'Product Viewed', timestamp: 'yesterday-ish' },
      ],
    });
    // The bad item is listed, and the good one is stored.
    expect(batch.status).toBe(200);
    expect(((await batch.json()) as { rejected: unknown }).rejected).toEqual([{ index: 1, path: 'batch[1].timestamp', reason: 'expected an ISO-8601 date-time' }]);
    expect((await profileOf('u9')).viewed[0]?.id).toBe('a');
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

  it('accepts a gzip body, as Segment senders may send', async () => {
    const body = await gzip(JSON.stringify({ batch: [{ type: 'track', userId: 'gz', event: 'Product Viewed', properties: { product_id: 'z' } }] }));
    const response = await app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    });
    expect(response.status).toBe(200);
    expect((await profileOf('gz')).viewed[0]?.id).toBe('z');
  });

  it('applies a duplicate messageId once, and still answers 200', async () => {
    const event = { userId: 'dup', event: 'Product Added', messageId: 'msg-1', properties: { product_id: 'sku-1' } };
    expect((await app.send('track', event)).status).toBe(200);
    const again = await app.send('track', event);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ applied: 0, duplicates: 1 });
    expect((await profileOf('dup')).cart[0]?.quantity).toBe(1);
  });

  it('stitches anonymous browsing to the user on identify, across two objects', async () => {
    await app.send('track', { anonymousId: 'browser-1', event: 'Product Viewed', properties: { product_id: 'seen-anon' } });
    await app.send('identify', { userId: 'customer-9', anonymousId: 'browser-1', traits: { plan: 'vip', email: 'nine@example.com' } });
    const profile = await profileOf('customer-9');
    expect(profile.viewed.map((v: { id: string }) => v.id)).toEqual(['seen-anon']);
    expect(profile.traits).toEqual({ plan: 'vip' });
    await app.send('track', { anonymousId: 'browser-1', event: 'Product Added', properties: { product_id: 'later' } });
    expect((await profileOf('customer-9')).cart[0]?.id).toBe('later');
  });

  it('finds the user by the email from identify, without the address in clear text', async () => {
    await app.send('identify', { userId: 'customer-7', traits: { email: 'Seven@Example.com' } });
    await app.send('track', { userId: 'customer-7', event: 'Product Added', properties: { product_id: 'p7' } });
    const response = await app.admin('GET', `/v1/profiles/${encodeURIComponent('seven@example.com')}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { profile: Profile };
    expect(body.profile.cart[0]?.id).toBe('p7');
    expect(JSON.stringify(body)).not.toMatch(/seven@example\.com/i);
  });

  it('alias merges a previous id into the user', async () => {
    await app.send('track', { userId: 'old-id', event: 'Product Added', properties: { product_id: 'x' } });
    await app.send('alias', { previousId: 'old-id', userId: 'new-id' });
    expect((await profileOf('new-id')).cart[0]?.id).toBe('x');
  });

  it('answers 503 with Retry-After when the store cannot write, so the sender retries', async () => {
    await (await app.worker.app(app.env)).deps.store.close();
    const response = await app.send('track', { userId: 'u1', event: 'Product Viewed', properties: { product_id: 'a' } });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect((await errorOf(response)).code).toBe('STORE_UNAVAILABLE');
  });
});

describe('admin on Workers', () => {
  it('needs the admin key', async () => {
    expect((await app.request('/v1/blocks/x')).status).toBe(401);
    expect((await app.request('/v1/stats')).status).toBe(401);
  });

  it('versions a block in the config object and refuses invalid config with every problem by path', async () => {
    const block = { size: { width: 600, height: 300 }, slots: 3, source: [{ from: 'cart' }], fallback: { url: 'https://shop.example.com/' } };
    const version = async () => ((await (await app.admin('PUT', '/v1/blocks/cart-reminder', block)).json()) as { version: number }).version;
    expect(await version()).toBe(1);
    expect(await version()).toBe(2);
    const bad = await app.admin('PUT', '/v1/blocks/cart-reminder', { ...block, slots: 9 });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).details).toEqual(expect.arrayContaining([{ path: 'slots', message: 'must be at most 4' }]));
  });

  it('deletes a subject from its object and the links into it', async () => {
    await app.send('identify', { userId: 'leaving', anonymousId: 'leaving-browser' });
    await app.send('track', { userId: 'leaving', event: 'Product Added', properties: { product_id: 'x' } });
    const deleted = await app.admin('DELETE', '/v1/subjects/leaving');
    expect(deleted.status).toBe(200);
    expect(await profileOf('leaving')).toBeUndefined();
  });
});
