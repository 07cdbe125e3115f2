import { beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, seeded, testBlock, type TestApp } from '../helpers/app.ts';
import { useSeededApp } from '../helpers/node-runtime.ts';
import { PHOTO_COLORS } from '../helpers/photo-server.ts';
import { sameImage, slotBox } from '../helpers/pixels.ts';

// Without trending, the generic image shows only the fixed products.
const signedBlock = () => testBlock({ require_signature: true, source: [{ from: 'cart' }, { from: 'products', ids: ['p-teal', 'p-purple', 'p-orange'] }] });
const { app, photos } = useSeededApp({ block: signedBlock() });
beforeEach(async () => {
  for (let i = 0; i < 5; i++) await app.send('track', { userId: `victim-${i}`, event: 'Product Added', properties: { product_id: 'p-red' } });
});

const tokenFor = async (id: string, target: TestApp = app) => {
  const response = await target.admin('POST', '/v1/tokens', { ids: [id] });
  const body = (await response.json()) as { k: string; tokens: Array<{ id: string; token: string }> };
  return { k: body.k, t: body.tokens[0]?.token as string };
};

describe('a block that requires a signature', () => {
  it('shows nobody’s products to enumerated u= values: every unsigned open gets the generic image', async () => {
    const generic = Buffer.from((await app.open('grid', { u: 'nobody-at-all' })).bytes);
    for (let i = 0; i < 5; i++) {
      const { bytes, pixels } = await app.open('grid', { u: `victim-${i}`, m: 'x' });
      expect(await sameImage(bytes, generic), `victim-${i}`).toBe(true);
      expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeLessThan(0.01);
    }
    const forged = await app.open('grid', { u: 'victim-1', k: 'k2', t: 'AAAAAAAAAAAAAAAAAAAAAA' });
    expect(await sameImage(forged.bytes, generic)).toBe(true);
    expect(forged.response.status).toBe(200);
  });

  it('shows the subscriber’s own products with their token, and the click follows', async () => {
    const { k, t } = await tokenFor('victim-3');
    expect(k).toBe('k2');
    const { pixels } = await app.open('grid', { u: 'victim-3', m: 'm', k, t });
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
    await app.settle();
    const click = await app.click('grid', 0, { u: 'victim-3', m: 'm', k, t });
    expect(click.headers.get('location')).toMatch(/\/products\/red\?/);
  });

  it('sends unsigned clicks to the fallback URL', async () => {
    const click = await app.click('grid', 0, { u: 'victim-2', m: 'm' });
    expect(click.headers.get('location')).toBe('https://shop.example.com/');
  });

  it('accepts a URL signed by POST /v1/sign, and refuses it once a parameter changes', async () => {
    const signed = await app.admin('POST', '/v1/sign', { urls: ['/i/grid.png?u=victim-4&m=campaign-9'] });
    const [url] = (await signed.json()).urls as string[];
    const ok = await app.request(url as string);
    const { decode } = await import('../helpers/pixels.ts');
    const pixels = await decode(new Uint8Array(await ok.arrayBuffer()));
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
    const tampered = await decode(new Uint8Array(await (await app.request((url as string).replace('victim-4', 'victim-0'))).arrayBuffer()));
    expect(tampered.share(PHOTO_COLORS.teal, slotBox(tampered, 0))).toBeGreaterThan(0.25);
    expect(tampered.share(PHOTO_COLORS.red, slotBox(tampered, 0))).toBeLessThan(0.01);
  });

  it('leaves blocks that do not require signatures personal for plain u=', async () => {
    await app.admin('PUT', '/v1/blocks/open-grid', testBlock({ id: 'open-grid', source: [{ from: 'cart' }] }));
    const { pixels } = await app.open('open-grid', { u: 'victim-1' });
    // One product in a three-slot grid: its card is centred.
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 1))).toBeGreaterThan(0.25);
  });

  it('is not an open redirect: click targets are catalog or configured URLs only', async () => {
    const hostile: Array<Record<string, string>> = [
      { u: 'victim-1', url: 'https://evil.example.com/' },
      { u: 'victim-1', redirect: 'https://evil.example.com/', next: '//evil.example.com' },
    ];
    for (const query of hostile) {
      const click = await app.click('grid', 0, query);
      expect(new URL(click.headers.get('location') as string).hostname).toBe('shop.example.com');
    }
  });
});

describe('the per-subscriber open limit and signatures', () => {
  it('counts only signed opens against a subscriber whose block requires a signature', async () => {
    const limited = await seeded(await createTestApp({ config: { rateLimits: { opensPerMinute: 3, eventsPerSecond: 0 } } }), photos, signedBlock());
    try {
      await limited.send('track', { userId: 'victim-0', event: 'Product Added', properties: { product_id: 'p-red' } });
      // A stranger enumerating u= cannot use up the subscriber's allowance: unsigned opens are generic and not counted.
      for (let i = 0; i < 10; i++) {
        const unsigned = await limited.open('grid', { u: 'victim-0', m: 'm' });
        expect(unsigned.response.headers.get('x-opentime-rate-limited')).toBeNull();
      }
      const { k, t } = await tokenFor('victim-0', limited);
      for (let i = 0; i < 3; i++) {
        const { response, pixels } = await limited.open('grid', { u: 'victim-0', m: 'm', k, t });
        expect(response.headers.get('x-opentime-rate-limited'), `signed open ${i + 1}`).toBeNull();
        expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
      }
      // The subscriber's own fourth open in the minute is past the limit.
      const fourth = await limited.open('grid', { u: 'victim-0', m: 'm', k, t });
      expect(fourth.response.headers.get('x-opentime-rate-limited')).toBe('subscriber');
    } finally {
      await limited.close();
    }
  });
});
