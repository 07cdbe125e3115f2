import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TRANSPARENT_GIF } from '../../src/core/events/pixel.ts';
import { WRITE_KEY, createTestApp, type TestApp } from '../helpers/app.ts';
import { profileOf as profileIn } from '../specs/harness.ts';

/** Segment's pixel API, GET /v1/pixel/<type>?data=<base64 JSON>: always a 200 GIF. */
const BROWSER_KEY = 'test-browser-key-0123456789';
let app: TestApp;
beforeEach(async () => {
  app = await createTestApp({ config: { browserKeys: [BROWSER_KEY], corsOrigins: ['https://shop.example.com'] } });
});
afterEach(async () => {
  await app.close();
});

const profileOf = (id: string) => profileIn(app, id);
const data = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64');
const pixel = (type: string, payload: unknown) => app.request(`/v1/pixel/${type}?data=${encodeURIComponent(data(payload))}`);

/** A 200 whose body decodes as the 1×1 transparent GIF. */
async function expectPixel(response: Response): Promise<void> {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('image/gif');
  const bytes = new Uint8Array(await response.arrayBuffer());
  expect(bytes).toEqual(TRANSPARENT_GIF);
  const image = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([image.info.width, image.info.height]).toEqual([1, 1]);
  expect(image.data[3]).toBe(0);
}

describe('GET /v1/pixel/<type>', () => {
  it('records a track event from base64 JSON with the write key inside, as Segment documents it', async () => {
    const response = await pixel('track', { writeKey: WRITE_KEY, userId: 'px-1', event: 'Product Added', properties: { product_id: 'p-red', quantity: 2 } });
    await expectPixel(response);
    expect(response.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate, max-age=0');
    expect((await profileOf('px-1')).cart).toEqual([expect.objectContaining({ id: 'p-red', quantity: 2 })]);
  });

  it('serves every Segment pixel route: identify, page, screen, group, alias', async () => {
    await expectPixel(await pixel('identify', { writeKey: WRITE_KEY, userId: 'px-2', traits: { plan: 'gold' } }));
    expect((await profileOf('px-2')).traits).toEqual({ plan: 'gold' });
    await expectPixel(await pixel('page', { writeKey: WRITE_KEY, userId: 'px-2', name: 'Home' }));
    await expectPixel(await pixel('screen', { writeKey: WRITE_KEY, userId: 'px-2', name: 'Cart' }));
    await expectPixel(await pixel('group', { writeKey: WRITE_KEY, userId: 'px-2', groupId: 'g-1' }));
    await pixel('track', { writeKey: WRITE_KEY, userId: 'px-old', event: 'Product Added', properties: { product_id: 'moved' } });
    await expectPixel(await pixel('alias', { writeKey: WRITE_KEY, userId: 'px-new', previousId: 'px-old' }));
    expect((await profileOf('px-new')).cart[0]?.id).toBe('moved');
  });

  it("reads standard base64 pasted into the URL unescaped, whose '+' arrives as a space", async () => {
    const encoded = data({ writeKey: WRITE_KEY, userId: 'px-plus', event: 'Product Viewed', properties: { product_id: 'p>>>', note: '>>>?' } });
    expect(encoded).toContain('+');
    await expectPixel(await app.request(`/v1/pixel/track?data=${encoded}`));
    expect((await profileOf('px-plus')).viewed[0]?.id).toBe('p>>>');
  });

  it('takes flat parameters too (traits.<name> for identify)', async () => {
    const query = new URLSearchParams({ writeKey: WRITE_KEY, userId: 'px-3', 'traits.plan': 'silver' });
    await expectPixel(await app.request(`/v1/pixel/identify?${query}`));
    expect((await profileOf('px-3')).traits).toEqual({ plan: 'silver' });
  });

  it('answers 200 with the GIF even when something is wrong, naming it in headers, and stores nothing', async () => {
    const cases: Array<[string, string]> = [
      [`/v1/pixel/track?data=${encodeURIComponent(data({ writeKey: WRITE_KEY, event: 'No id' }))}`, 'VALIDATION_FAILED'],
      [`/v1/pixel/track?data=${encodeURIComponent(data({ userId: 'px-4', event: 'No key' }))}`, 'UNAUTHORIZED'],
      [`/v1/pixel/track?data=${encodeURIComponent(data({ writeKey: 'not-a-key-at-all-000', userId: 'px-4', event: 'X' }))}`, 'UNAUTHORIZED'],
      ['/v1/pixel/track?data=%25%25%25', 'VALIDATION_FAILED'],
      [`/v1/pixel/purchase?data=${encodeURIComponent(data({ writeKey: WRITE_KEY, userId: 'px-4', event: 'X' }))}`, 'NOT_FOUND'],
    ];
    for (const [url, code] of cases) {
      const response = await app.request(url);
      await expectPixel(response);
      expect(response.headers.get('x-opentime-error'), url).toBe(code);
    }
    expect(await profileOf('px-4')).toBeUndefined();
  });

  it('answers 200 with the GIF when the store is down', async () => {
    await app.deps.store.close();
    const response = await pixel('track', { writeKey: WRITE_KEY, userId: 'px-5', event: 'X' });
    await expectPixel(response);
    expect(response.headers.get('x-opentime-error')).toBe('STORE_UNAVAILABLE');
  });

  it('takes the browser key from a pixel, which sends no Origin', async () => {
    await expectPixel(await pixel('track', { writeKey: BROWSER_KEY, anonymousId: 'px-anon', event: 'Product Viewed', properties: { product_id: 'seen' } }));
    expect((await app.deps.store.getProfile('a:px-anon'))?.viewed[0]?.id).toBe('seen');
  });

  it("refuses the browser key from another site's script, as the API does, still with a 200 GIF", async () => {
    const url = `/v1/pixel/track?data=${encodeURIComponent(data({ writeKey: BROWSER_KEY, anonymousId: 'px-evil', event: 'Product Viewed', properties: { product_id: 'x' } }))}`;
    const response = await app.request(url, { headers: { origin: 'https://evil.example' } });
    await expectPixel(response);
    expect(response.headers.get('x-opentime-error')).toBe('ORIGIN_NOT_ALLOWED');
    expect(await app.deps.store.getProfile('a:px-evil')).toBeUndefined();
  });

  it('records nothing for HEAD, a prefetch', async () => {
    const response = await app.request(
      `/v1/pixel/track?data=${encodeURIComponent(data({ writeKey: WRITE_KEY, userId: 'px-6', event: 'Product Viewed', properties: { product_id: 'x' } }))}`,
      { method: 'HEAD' },
    );
    expect(response.status).toBe(200);
    expect(await profileOf('px-6')).toBeUndefined();
  });

  it('leaves /v1/p.gif as it was: its status still says what is wrong', async () => {
    const response = await app.request(`/v1/p.gif?${new URLSearchParams({ writeKey: WRITE_KEY, userId: 'px-7' })}`);
    expect(response.status).toBe(400);
  });
});
