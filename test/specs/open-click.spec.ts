import { describe, expect, it } from 'vitest';
import { PHOTO_COLORS } from '../helpers/photo-colors.ts';
import { countersOf, seed, shopper, slotBox, testBlock, type Pixels, type SpecRuntime } from './harness.ts';
import { useSpecApp } from './use-app.ts';

/**
 * What a subscriber sees at open and where a click takes them, the same on
 * Node and on Workers: real photos from the runtime's photo server, real
 * PNGs decoded to pixels.
 */
export function describeOpenClick(runtime: SpecRuntime): void {
  describe('opens and clicks', () => {
    const app = useSpecApp(runtime, { seeded: true });
    const viewed = (userId: string, productId: string) => shopper(app).viewed(userId, productId);
    const added = (userId: string, productId: string) => shopper(app).added(userId, productId);
    const bought = (userId: string, productIds: string[]) => shopper(app).bought(userId, productIds);

    describe('GET /i/:block.png', () => {
      it('answers a valid 1200×600 PNG for a 600×300 block, with headers that make proxies fetch it at every open', async () => {
        const { response, pixels } = await app.open('grid', { u: 'alice', m: 'welcome' });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('image/png');
        expect(response.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate, max-age=0');
        expect(response.headers.get('pragma')).toBe('no-cache');
        expect(response.headers.get('expires')).toBe('0');
        expect(response.headers.get('set-cookie')).toBeNull();
        expect([pixels.format, pixels.width, pixels.height]).toEqual(['png', 1200, 600]);
      });

      it('shows the carted product’s photo in the first slot, then the recently viewed one', async () => {
        expect((await viewed('alice', 'p-blue')).status).toBe(200);
        expect((await added('alice', 'p-red')).status).toBe(200);
        const { pixels } = await app.open('grid', { u: 'alice', m: 'welcome' });
        expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
        expect(pixels.share(PHOTO_COLORS.blue, slotBox(pixels, 1))).toBeGreaterThan(0.25);
        expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 1))).toBeLessThan(0.01);
      });

      it('changes at the very next open after an event', async () => {
        const before = await app.open('grid', { u: 'bob' });
        expect(before.pixels.share(PHOTO_COLORS.green, slotBox(before.pixels, 0))).toBeLessThan(0.01);
        await added('bob', 'p-green');
        const after = await app.open('grid', { u: 'bob' });
        expect(after.pixels.share(PHOTO_COLORS.green, slotBox(after.pixels, 0))).toBeGreaterThan(0.25);
      });

      it('shows the block’s fixed products to an unknown subscriber and to an open without u=', async () => {
        for (const query of [{ u: 'nobody-we-know' }, {}] as Array<Record<string, string>>) {
          const { response, pixels } = await app.open('grid', query);
          expect(response.status).toBe(200);
          // The block's fixed products: teal, purple, orange.
          expect(pixels.share(PHOTO_COLORS.teal, slotBox(pixels, 0))).toBeGreaterThan(0.25);
          expect(pixels.share(PHOTO_COLORS.purple, slotBox(pixels, 1))).toBeGreaterThan(0.25);
        }
      });

      it('serves the same bytes from the render cache to subscribers with the same products', async () => {
        await added('carol', 'p-orange');
        await added('dave', 'p-orange');
        const first = await app.open('grid', { u: 'carol' });
        const second = await app.open('grid', { u: 'dave' });
        expect(first.response.headers.get('x-opentime-cache')).toBe('miss');
        expect(second.response.headers.get('x-opentime-cache')).toBe('hit');
        expect(second.bytes).toEqual(first.bytes);
      });

      it('renders one image for many concurrent opens of the same decision, and fetches each photo once', async () => {
        for (const [block, query] of [
          ['solo', {}],
          ['grid', { u: 'nobody' }],
        ] as const) {
          if (block === 'solo') await app.admin('PUT', '/v1/blocks/solo', testBlock({ id: 'solo', slots: 1, source: [{ from: 'products', ids: ['p-green'] }] }));
          await app.settle();
          const hitsBefore = await runtime.photoHits('green');
          const before = (await countersOf(app)).renders ?? 0;
          const results = await Promise.all(Array.from({ length: 8 }, () => app.open(block, query)));
          await app.settle();
          expect(((await countersOf(app)).renders ?? 0) - before, block).toBe(1);
          expect(
            results.map((r) => r.response.headers.get('x-opentime-cache')).filter((c) => c === 'miss'),
            block,
          ).toHaveLength(1);
          if (block === 'solo') expect((await runtime.photoHits('green')) - hitsBefore).toBeLessThanOrEqual(1);
        }
      });

      it('never shows as "in your cart" a product bought after it was carted', async () => {
        await added('erin', 'p-red');
        await bought('erin', ['p-red']);
        const { pixels } = await app.open('grid', { u: 'erin' });
        expect(pixels.share(PHOTO_COLORS.red)).toBeLessThan(0.005);
      });

      it('answers an unknown block with a 200 image, never an error', async () => {
        const { response, pixels } = await app.open('no-such-block', { u: 'alice' });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('image/png');
        expect(response.headers.get('x-opentime-error')).toBe('BLOCK_NOT_FOUND');
        expect(pixels.width).toBeGreaterThan(0);
      });

      it('answers hostile block names and queries with an image', async () => {
        for (const path of ['/i/..%2F..%2Fetc%2Fpasswd.png', '/i/%00.png', `/i/grid.png?u=${'x'.repeat(5000)}`, '/i/grid.gif?u=a&u=b', '/i/GRID.png']) {
          const response = await app.request(path);
          expect(response.status, path).toBe(200);
          // A .gif is answered as a GIF (a countdown's, or a fallback), never as a PNG under the wrong name.
          expect(response.headers.get('content-type'), path).toBe(path.includes('.gif') ? 'image/gif' : 'image/png');
          await response.arrayBuffer();
        }
      });

      it('leaves out a product whose photo does not load, shows the next one, and the click goes to what was shown', async () => {
        await app.admin('PUT', '/v1/catalog/products', [
          { id: 'p-broken', title: 'Broken photo', price: 10, url: 'https://shop.example.com/b', image_url: runtime.photoUrl('missing') },
        ]);
        await added('frank', 'p-broken');
        await added('frank', 'p-blue');
        const { response, pixels } = await app.open('grid', { u: 'frank' });
        expect(response.status).toBe(200);
        expect(pixels.share(PHOTO_COLORS.blue, slotBox(pixels, 0))).toBeGreaterThan(0.25);
        await app.settle();
        const click = await app.click('grid', 0, { u: 'frank' });
        expect(click.headers.get('location')).toMatch(/^https:\/\/shop\.example\.com\/products\/blue\?/);
      });

      it('serves the block’s static fallback when no photo loads: HTML, garbage bytes, WebP, 404, over the byte limit', async () => {
        const broken = ['html', 'garbage', 'webp', 'missing', 'huge'] as const;
        await app.admin(
          'PUT',
          '/v1/catalog/products',
          broken.map((name) => ({ id: `p-${name}`, title: `${name} photo`, price: 10, url: `https://shop.example.com/${name}`, image_url: runtime.photoUrl(name) })),
        );
        await app.admin('PUT', '/v1/blocks/broken', testBlock({ id: 'broken', source: [{ from: 'products', ids: broken.map((name) => `p-${name}`) }] }));
        const { response, pixels } = await app.open('broken', { u: 'alice' });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-opentime-fallback')).toBe('static');
        expect(response.headers.get('x-opentime-error')).toBe('IMAGE_FETCH_FAILED');
        expect([pixels.width, pixels.height]).toEqual([1200, 600]);
        // The generic image: the block's white background with its headline, no product colours.
        expect(pixels.share([255, 255, 255])).toBeGreaterThan(0.8);
      });

      it('draws the block’s configured fallback image when nothing can be shown', async () => {
        await app.admin(
          'PUT',
          '/v1/blocks/banner',
          testBlock({ id: 'banner', source: [{ from: 'cart' }], fallback: { url: 'https://shop.example.com/', image: runtime.photoUrl('orange') } }),
        );
        const { response, pixels } = await app.open('banner', { u: 'nobody' });
        expect(response.headers.get('x-opentime-fallback')).toBe('static');
        expect(pixels.share(PHOTO_COLORS.orange)).toBeGreaterThan(0.95);
      });

      it('draws the headline card when the configured fallback image under templates/ is missing', async () => {
        await app.admin(
          'PUT',
          '/v1/blocks/banner',
          testBlock({ id: 'banner', source: [{ from: 'cart' }], fallback: { url: 'https://shop.example.com/', image: 'fallback/no-such-file.png' } }),
        );
        const { response, pixels } = await app.open('banner', { u: 'nobody' });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-opentime-fallback')).toBe('static');
        expect(pixels.share([255, 255, 255])).toBeGreaterThan(0.8);
        // Dark headline text is drawn, not just a flat colour.
        expect(pixels.share([17, 17, 17], undefined, 40)).toBeGreaterThan(0.005);
      });

      it('serves the static fallback when a photo is slower than its budget', async () => {
        const slowApp = await seed(runtime, await runtime.createApp({ OPENTIME_PHOTO_TIMEOUT_MS: '300' }));
        try {
          await slowApp.admin('PUT', '/v1/catalog/products', [
            { id: 'p-slow', title: 'Slow photo', price: 10, url: 'https://shop.example.com/s', image_url: runtime.photoUrl('slow') },
          ]);
          await slowApp.admin('PUT', '/v1/blocks/slow', testBlock({ id: 'slow', slots: 1, source: [{ from: 'products', ids: ['p-slow'] }] }));
          const started = Date.now();
          const { response } = await slowApp.open('slow', {});
          expect(Date.now() - started).toBeLessThan(3000);
          expect(response.status).toBe(200);
          expect(response.headers.get('x-opentime-fallback')).toBe('static');
        } finally {
          await slowApp.close();
        }
      });

      it('serves the last generic render when the store stops answering', async () => {
        await app.open('grid', {});
        await app.breakStore();
        const { response, pixels } = await app.open('grid', { u: 'alice' });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-opentime-fallback')).toBe('last-generic');
        expect(pixels.share(PHOTO_COLORS.teal, slotBox(pixels, 0))).toBeGreaterThan(0.25);
      });

      it('logs the route and outcome of each open, never the subscriber or email', async () => {
        const lines = await app.logsOf(async () => {
          await app.open('grid', { u: 'grace@example.com', m: 'spring' });
          await app.click('grid', 0, { u: 'grace@example.com', m: 'spring' });
          await app.settle();
        });
        expect(lines.some((l) => l.includes('/i/:file') && l.includes('"status":200'))).toBe(true);
        expect(lines.join('\n')).not.toContain('grace');
      });
    });

    describe('GET /c/:block/:slot', () => {
      it('redirects to the product the open showed in that slot, with the block’s UTM parameters', async () => {
        await added('henry', 'p-red');
        await viewed('henry', 'p-blue');
        await app.open('grid', { u: 'henry', m: 'spring' });
        await app.settle();
        const first = await app.click('grid', 0, { u: 'henry', m: 'spring' }, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone)' } });
        expect(first.status).toBe(302);
        const location = new URL(first.headers.get('location') as string);
        expect(location.origin + location.pathname).toBe('https://shop.example.com/products/red');
        expect(location.searchParams.get('utm_source')).toBe('email');
        expect(location.searchParams.get('utm_campaign')).toBe('cart');
        expect((await app.click('grid', 1, { u: 'henry', m: 'spring' })).headers.get('location')).toMatch(/\/products\/blue\?/);
      });

      it('keeps an earlier click on what was shown after a purchase changes the next render', async () => {
        await added('iris', 'p-green');
        await app.open('grid', { u: 'iris', m: 'm1' });
        await app.settle();
        await bought('iris', ['p-green']);
        expect((await app.click('grid', 0, { u: 'iris', m: 'm1' })).headers.get('location')).toMatch(/\/products\/green\?/);
        const { pixels } = await app.open('grid', { u: 'iris', m: 'm2' });
        expect(pixels.share(PHOTO_COLORS.green)).toBeLessThan(0.005);
      });

      it('decides at click time when images were off (no open record)', async () => {
        await added('jack', 'p-orange');
        const click = await app.click('grid', 0, { u: 'jack', m: 'never-opened' });
        expect(click.status).toBe(302);
        expect(click.headers.get('location')).toMatch(/\/products\/orange\?/);
      });

      it('sends an empty slot, a bad slot and an unknown subscriber’s empty block to the fallback URL', async () => {
        await app.admin('PUT', '/v1/blocks/cart-only', testBlock({ id: 'cart-only', source: [{ from: 'cart' }] }));
        for (const [block, slot] of [
          ['cart-only', 0],
          ['grid', 7],
          ['grid', 'x'],
          ['grid', -1],
        ] as const) {
          const click = await app.click(block, slot, { u: 'kate' });
          expect(click.status).toBe(302);
          expect(click.headers.get('location')).toBe('https://shop.example.com/');
        }
      });

      it('answers an unknown block with a page, not an open redirect', async () => {
        const click = await app.click('nope', 0, { u: 'kate' });
        expect(click.status).toBe(404);
        expect(await click.text()).toContain('no longer available');
      });

      it('counts clicks by people, not HEAD requests or link scanners', async () => {
        await app.settle();
        const count = async () => (await countersOf(app)).clicks ?? 0;
        const before = await count();
        expect((await app.click('grid', 0, { u: 'lee' }, { method: 'HEAD' })).status).toBe(302);
        await app.click('grid', 0, { u: 'lee' }, { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel)' } });
        await app.click('grid', 0, { u: 'lee' }, { headers: { 'user-agent': 'Proofpoint URL Defense' } });
        await app.settle();
        expect(await count()).toBe(before);
        await app.click('grid', 0, { u: 'lee' }, { headers: { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15' } });
        await app.settle();
        expect(await count()).toBe(before + 1);
      });
    });

    describe('signed opens', () => {
      const KEYS = 'w2:spec-signing-key-two,w1:spec-signing-key-one';

      it('shows a block that requires a signature to a token, a URL signature or a JWT, and the generic image without one', async () => {
        const signedApp = await runtime.createApp({ OPENTIME_SIGNING_KEYS: KEYS });
        try {
          await seed(
            runtime,
            signedApp,
            testBlock({ id: 'signed', require_signature: true, source: [{ from: 'cart' }, { from: 'products', ids: ['p-teal', 'p-purple', 'p-orange'] }] }),
          );
          await shopper(signedApp).added('zoë', 'p-red');
          const red = (pixels: Pixels) => pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0));

          expect(red((await signedApp.open('signed', { u: 'zoë', m: 'm' })).pixels)).toBeLessThan(0.01);
          const tokens = (await (await signedApp.admin('POST', '/v1/tokens', { ids: ['zoë'] })).json()) as { k: string; tokens: Array<{ token: string }> };
          expect(tokens.k).toBe('w2');
          expect(red((await signedApp.open('signed', { u: 'zoë', m: 'm', k: 'w2', t: tokens.tokens[0]?.token as string })).pixels)).toBeGreaterThan(0.25);
          const signed = (await (await signedApp.admin('POST', '/v1/sign', { urls: [`/i/signed.png?u=${encodeURIComponent('zoë')}&m=m`] })).json()) as { urls: string[] };
          expect(red(await signedApp.pixelsOf(await signedApp.request(signed.urls[0] as string)))).toBeGreaterThan(0.25);
          const { Signer, parseSigningKeys } = await import('../../src/core/audience/signing.ts');
          const jwt = await new Signer(parseSigningKeys(KEYS)).jwt('zoë', 'w1');
          expect(red((await signedApp.open('signed', { u: 'zoë', m: 'm', k: 'w1', jwt })).pixels)).toBeGreaterThan(0.25);
          // A subscriber token is no JWT: each use has its own key.
          const asJwt = `${jwt.slice(0, jwt.lastIndexOf('.'))}.${tokens.tokens[0]?.token as string}`;
          expect(red((await signedApp.open('signed', { u: 'zoë', m: 'm', k: 'w2', jwt: asJwt })).pixels)).toBeLessThan(0.01);
        } finally {
          await signedApp.close();
        }
      });
    });
  });
}
