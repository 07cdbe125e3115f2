import { describe, expect, it } from 'vitest';
import type { BlockInput } from '../../src/core/blocks/schema.ts';
import { countersOf, errorOf, type Pixels, type SpecRuntime } from './harness.ts';
import { useSpecApp } from './use-app.ts';

/**
 * A banner block, the same on Node and on Workers: one strip for everyone,
 * drawn once per block version, every click to the block's URL.
 */
const BANNER = {
  id: 'shipping',
  kind: 'banner',
  size: { width: 600, height: 120 },
  url: 'https://shop.example.com/shipping',
  params: { headline: 'Free shipping this weekend', subline: 'On every order over $50', background: '#123456', text: '#ffffff', accent: '#ffcc00' },
  link: { utm: { utm_source: 'email', utm_campaign: 'shipping' } },
  fallback: { url: 'https://shop.example.com/' },
} satisfies BlockInput;

const BACKGROUND = [0x12, 0x34, 0x56] as const;
const TEXT = [0xff, 0xff, 0xff] as const;
const ACCENT = [0xff, 0xcc, 0x00] as const;

/** The banner's three bands, top to bottom, in output pixels: the accent bar and headline above the middle, the subline below it. */
const upper = (p: Pixels) => ({ x: 0, y: 0, width: p.width, height: Math.floor(p.height * 0.55) });
const lower = (p: Pixels) => ({ x: 0, y: Math.floor(p.height * 0.6), width: p.width, height: Math.floor(p.height * 0.4) });

export function describeBanner(runtime: SpecRuntime): void {
  describe('a banner block', () => {
    const app = useSpecApp(runtime, { seeded: false });
    const put = () => app.admin('PUT', `/v1/blocks/${BANNER.id}`, BANNER);

    it('answers a PNG of twice its size: its background, the headline in its text colour, the subline in its accent', async () => {
      expect((await put()).status).toBe(200);
      const { response, pixels } = await app.open(BANNER.id, { u: 'alice', m: 'weekend' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect([pixels.format, pixels.width, pixels.height]).toEqual(['png', 1200, 240]);
      expect(pixels.share(BACKGROUND)).toBeGreaterThan(0.7);
      expect(pixels.share(TEXT, upper(pixels))).toBeGreaterThan(0.03);
      expect(pixels.share(TEXT, lower(pixels))).toBeLessThan(0.002);
      expect(pixels.share(ACCENT, lower(pixels))).toBeGreaterThan(0.005);
    });

    it('shows every subscriber the same image, drawn once', async () => {
      await put();
      const first = await app.open(BANNER.id, { u: 'alice', m: 'weekend' });
      await app.settle();
      const second = await app.open(BANNER.id, { u: 'bob', m: 'weekend' });
      const anonymous = await app.open(BANNER.id, {});
      expect(second.response.headers.get('x-opentime-cache')).toBe('hit');
      expect(second.bytes).toEqual(first.bytes);
      expect(anonymous.bytes).toEqual(first.bytes);
      await app.settle();
      const counters = await countersOf(app);
      expect(counters['opens.generic']).toBe(3);
      expect(counters['opens.personal'] ?? 0).toBe(0);
    });

    it('draws the new text at the next open after a PUT', async () => {
      await put();
      const before = await app.open(BANNER.id, { u: 'alice' });
      await app.admin('PUT', `/v1/blocks/${BANNER.id}`, { ...BANNER, params: { ...BANNER.params, background: '#550000' } });
      const after = await app.open(BANNER.id, { u: 'alice' });
      expect(after.bytes).not.toEqual(before.bytes);
      expect(after.pixels.share([0x55, 0, 0])).toBeGreaterThan(0.7);
    });

    it('answers a .gif with a GIF of the same size (the banner drawn as one frame)', async () => {
      await put();
      const response = await app.request(`/i/${BANNER.id}.gif`);
      expect(response.headers.get('content-type')).toBe('image/gif');
      // The GIF header: signature, then the logical screen's width and height (little-endian); both runtimes read it alike.
      const bytes = new Uint8Array(await response.arrayBuffer());
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      expect([String.fromCharCode(...bytes.subarray(0, 3)), view.getUint16(6, true), view.getUint16(8, true)]).toEqual(['GIF', 1200, 240]);
    });

    it('sends every click to the block’s URL with its UTM parameters, opened or not', async () => {
      await put();
      await app.open(BANNER.id, { u: 'carol', m: 'weekend' });
      await app.settle();
      for (const query of [{ u: 'carol', m: 'weekend' }, { u: 'dave', m: 'never-opened' }, {}] as Record<string, string>[]) {
        const click = await app.click(BANNER.id, 0, query);
        expect(click.status).toBe(302);
        const location = new URL(click.headers.get('location') as string);
        expect(location.origin + location.pathname).toBe('https://shop.example.com/shipping');
        expect(location.searchParams.get('utm_campaign')).toBe('shipping');
      }
    });

    it('refuses a banner without a headline or with a bad link, naming each field by path', async () => {
      const response = await app.admin('PUT', `/v1/blocks/${BANNER.id}`, { ...BANNER, url: 'ftp://shop.example.com/', params: { subline: 'x' } });
      expect(response.status).toBe(400);
      expect((await errorOf(response)).details?.map((d) => d.path).sort()).toEqual(['params.headline', 'url']);
    });

    it('still answers the banner, as its still, when the store stops answering', async () => {
      await put();
      const live = await app.open(BANNER.id, {});
      await app.settle();
      await app.breakStore();
      const { response, pixels, bytes } = await app.open(BANNER.id, { u: 'alice' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(bytes).toEqual(live.bytes);
      // A banner remembers no decision, so the chain goes to its still: the same strip, with nothing personal to leave out.
      expect(response.headers.get('x-opentime-fallback')).toBe('static');
      expect([pixels.width, pixels.height]).toEqual([live.pixels.width, live.pixels.height]);
      expect(pixels.share(BACKGROUND)).toBeGreaterThan(0.7);
    });
  });
}
