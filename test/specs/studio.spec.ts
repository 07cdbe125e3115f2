import { describe, expect, it } from 'vitest';
import type { BlockInput } from '../../src/core/blocks/schema.ts';
import { countersOf, errorOf, seed, type SpecApp, type SpecRuntime } from './harness.ts';
import { live } from './use-app.ts';
import { afterEach, beforeEach } from 'vitest';

/**
 * What the Studio relies on from the server, the same on Node and on
 * Workers: a sign-in that trades a key for an HttpOnly session cookie (CSRF
 * token on writes, a read-only viewer key), previews that go through the
 * open pipeline and write nothing (as a subscriber, at a moment, on a
 * client, as a draft), block versions with rollback, and the app's files.
 */
export const VIEWER_KEY = 'spec-viewer-key-0123456789';

const HERO = {
  id: 'evening-hero',
  kind: 'hero',
  size: { width: 600, height: 300 },
  params: { timezone: 'UTC' },
  variants: [{ id: 'evening', when: { '>=': [{ var: 'open.hour' }, 18] }, headline: 'Evening edit', url: 'https://shop.example.com/evening', background: { color: '#312e81' } }],
  default: { id: 'day', headline: 'Our new season', url: 'https://shop.example.com/', background: { color: '#f4efe6' } },
  fallback: { url: 'https://shop.example.com/' },
} satisfies BlockInput;
const EVENING = [0x31, 0x2e, 0x81] as const;
const DAY = [0xf4, 0xef, 0xe6] as const;

/** The cookie a sign-in set, as a browser would send it back. */
function cookieOf(response: Response): string {
  const header = response.headers.get('set-cookie') ?? '';
  return header.split(';')[0] ?? '';
}

async function signIn(app: SpecApp, key: string): Promise<{ response: Response; cookie: string; csrf: string; role: string }> {
  const response = await app.request('/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
  const body = (await response.clone().json()) as { csrf?: string; role?: string };
  return { response, cookie: cookieOf(response), csrf: body.csrf ?? '', role: body.role ?? '' };
}

/** A stored block as the Studio edits it: its config, without the version and time the API adds. */
async function configOf(app: SpecApp, id: string): Promise<Record<string, unknown>> {
  const { version: _version, updatedAt: _updatedAt, ...config } = (await (await app.admin('GET', `/v1/blocks/${id}`)).json()) as Record<string, unknown>;
  return config;
}

export function describeStudio(runtime: SpecRuntime): void {
  describe('the Studio routes', () => {
    let current: SpecApp | undefined;
    beforeEach(async () => {
      current = await seed(runtime, await runtime.createApp({ OPENTIME_VIEWER_KEY: VIEWER_KEY }));
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });
    const app = live(() => current as SpecApp);

    describe('sign-in', () => {
      it('trades the admin key for an HttpOnly, SameSite=Strict cookie with an expiry, which the admin API accepts', async () => {
        const { response, cookie, csrf, role } = await signIn(app, runtime.adminKey);
        expect(response.status).toBe(200);
        const header = response.headers.get('set-cookie') ?? '';
        expect(header).toMatch(/^opentime_session=[\w-]+\.[\w-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict/);
        expect(role).toBe('admin');
        expect(csrf.length).toBeGreaterThan(20);
        // The key itself is nowhere in what the browser keeps.
        expect(header).not.toContain(runtime.adminKey);
        const again = await app.request('/v1/session', { headers: { cookie } });
        expect(await again.json()).toMatchObject({ role: 'admin', csrf });
        const blocks = await app.request('/v1/blocks', { headers: { cookie } });
        expect(blocks.status).toBe(200);
        expect(((await blocks.json()) as { blocks: Array<{ id: string; kind: string }> }).blocks).toEqual([expect.objectContaining({ id: 'grid', kind: 'product-grid' })]);
      });

      it('refuses a write with the cookie but without its CSRF token, and takes it with the token', async () => {
        const { cookie, csrf } = await signIn(app, runtime.adminKey);
        const body = { ...HERO };
        const refused = await app.request(`/v1/blocks/${HERO.id}`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expect(refused.status).toBe(403);
        expect((await errorOf(refused)).code).toBe('CSRF_TOKEN_MISSING');
        const wrong = await app.request(`/v1/blocks/${HERO.id}`, {
          method: 'PUT',
          headers: { cookie, 'x-opentime-csrf': `${csrf}x`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(wrong.status).toBe(403);
        const taken = await app.request(`/v1/blocks/${HERO.id}`, {
          method: 'PUT',
          headers: { cookie, 'x-opentime-csrf': csrf, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(taken.status).toBe(200);
      });

      it('says clearly that a wrong key is wrong, and accepts no forged or altered cookie', async () => {
        const wrong = await signIn(app, 'not-the-key-0123456789');
        expect(wrong.response.status).toBe(401);
        expect((await errorOf(wrong.response)).message).toMatch(/not an admin or viewer key/);
        expect(wrong.response.headers.get('set-cookie')).toBeNull();
        const { cookie } = await signIn(app, runtime.adminKey);
        const [payload, mac] = cookie.replace('opentime_session=', '').split('.') as [string, string];
        const forged = `opentime_session=${btoa(JSON.stringify({ r: 'admin', e: Date.now() + 1e9, n: 'x' })).replace(/=+$/, '')}.${mac}`;
        for (const bad of [forged, `opentime_session=${payload}.${mac.slice(1)}A`, 'opentime_session=garbage']) {
          const response = await app.request('/v1/blocks', { headers: { cookie: bad } });
          expect(response.status).toBe(401);
        }
      });

      it('limits sign-in attempts: past ten a minute even the right key waits, with Retry-After', async () => {
        for (let i = 0; i < 10; i++) expect((await signIn(app, `wrong-key-${i}-0123456789`)).response.status).toBe(401);
        const limited = await signIn(app, runtime.adminKey);
        expect(limited.response.status).toBe(429);
        expect(Number(limited.response.headers.get('retry-after'))).toBeGreaterThan(0);
        expect((await errorOf(limited.response)).message).toMatch(/too many sign-in attempts/);
      });

      it('limits each address on its own: a guesser elsewhere does not lock the marketer out', async () => {
        const from = (address: string, key: string) =>
          app.request('/v1/session', { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': address }, body: JSON.stringify({ key }) });
        for (let i = 0; i < 10; i++) expect((await from('203.0.113.9', `wrong-key-${i}-0123456789`)).status).toBe(401);
        expect((await from('203.0.113.9', runtime.adminKey)).status).toBe(429);
        expect((await from('198.51.100.4', runtime.adminKey)).status).toBe(200);
      });

      it('is accepted by another instance with the same keys: sessions are signed, not stored', async () => {
        const { cookie, csrf } = await signIn(app, runtime.adminKey);
        const other = await runtime.createApp({ OPENTIME_VIEWER_KEY: VIEWER_KEY });
        try {
          expect(await (await other.request('/v1/session', { headers: { cookie } })).json()).toMatchObject({ role: 'admin', csrf });
          const put = await other.request(`/v1/blocks/${HERO.id}`, {
            method: 'PUT',
            headers: { cookie, 'x-opentime-csrf': csrf, 'content-type': 'application/json' },
            body: JSON.stringify(HERO),
          });
          expect(put.status).toBe(200);
        } finally {
          await other.close();
        }
      });

      it('signs out by clearing the cookie', async () => {
        const out = await app.request('/v1/session', { method: 'DELETE' });
        expect(out.status).toBe(200);
        expect(out.headers.get('set-cookie')).toMatch(/^opentime_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/);
        expect((await app.request('/v1/session')).status).toBe(401);
      });

      it('lets a viewer key see everything and change nothing, by cookie or by bearer', async () => {
        const viewer = await signIn(app, VIEWER_KEY);
        expect(viewer.role).toBe('viewer');
        expect((await app.request('/v1/blocks/grid', { headers: { cookie: viewer.cookie } })).status).toBe(200);
        const put = await app.request('/v1/blocks/grid', {
          method: 'PUT',
          headers: { cookie: viewer.cookie, 'x-opentime-csrf': viewer.csrf, 'content-type': 'application/json' },
          body: '{}',
        });
        expect(put.status).toBe(403);
        expect((await errorOf(put)).code).toBe('FORBIDDEN');
        const bearer = { authorization: `Bearer ${VIEWER_KEY}` };
        expect((await app.request('/v1/stats', { headers: bearer })).status).toBe(200);
        expect((await app.request('/v1/blocks/grid', { method: 'DELETE', headers: bearer })).status).toBe(403);
        expect((await app.request('/v1/subjects/someone', { method: 'DELETE', headers: bearer })).status).toBe(403);
        // A preview of a draft changes nothing: a viewer may ask for one.
        const draft = await app.request('/v1/preview/grid.json', {
          method: 'POST',
          headers: { cookie: viewer.cookie, 'content-type': 'application/json' },
          body: JSON.stringify(await configOf(app, 'grid')),
        });
        expect(draft.status).toBe(200);
      });

      it('keeps the previews and the versions behind the sign-in', async () => {
        for (const path of ['/v1/preview/grid.png', '/v1/preview/grid.json', '/v1/blocks/grid/versions']) expect((await app.request(path)).status).toBe(401);
      });
    });

    describe('previews', () => {
      it('shows a subscriber their cart, says where each click goes, and writes nothing', async () => {
        await app.send('track', { userId: 'shopper', event: 'Product Added', properties: { product_id: 'p-red' } });
        await app.settle();
        // Photo fetches are counted wherever they come from; what a report reads (opens, clicks, blocks) must not move.
        const reported = async () => Object.fromEntries(Object.entries(await countersOf(app)).filter(([name]) => !name.startsWith('images.')));
        const before = await reported();
        const image = await app.admin('GET', '/v1/preview/grid.png?u=shopper');
        expect(image.status).toBe(200);
        expect(image.headers.get('x-opentime-preview')).toBe('1');
        const pixels = await app.pixelsOf(image);
        expect(pixels.width).toBe(1200);
        const account = (await (await app.admin('GET', '/v1/preview/grid.json?u=shopper')).json()) as {
          personal: boolean;
          products: Array<{ id: string; source: string }>;
          clicks: Array<{ slot: number; url: string; via: string }>;
        };
        expect(account.personal).toBe(true);
        expect(account.products[0]).toMatchObject({ id: 'p-red', source: 'cart' });
        expect(account.clicks[0]?.url).toMatch(/^https:\/\/shop\.example\.com\/products\/red\?utm_source=email/);
        expect(account.clicks).toHaveLength(3);
        await app.settle();
        expect(await reported()).toEqual(before);
        const store = await app.store();
        expect(await store.getOpenRecord({ blockId: 'grid', subjectKey: 'u:shopper', messageId: '' }, Date.now())).toBeUndefined();
      });

      it('travels in time: the evening variant at 18:00, the default in the morning', async () => {
        expect((await app.admin('PUT', `/v1/blocks/${HERO.id}`, HERO)).status).toBe(200);
        const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
        const evening = await app.admin('GET', `/v1/preview/${HERO.id}.png?at=${tomorrow}T18:00:00Z`);
        expect((await app.pixelsOf(evening)).share(EVENING)).toBeGreaterThan(0.5);
        const morning = await app.admin('GET', `/v1/preview/${HERO.id}.png?at=${tomorrow}T09:00:00Z`);
        expect((await app.pixelsOf(morning)).share(DAY)).toBeGreaterThan(0.5);
        const said = (await (await app.admin('GET', `/v1/preview/${HERO.id}.json?at=${tomorrow}T18:00:00Z`)).json()) as {
          variant: string;
          at: string;
          clicks: Array<{ url: string }>;
        };
        expect(said).toMatchObject({ variant: 'evening', at: `${tomorrow}T18:00:00.000Z` });
        expect(said.clicks[0]?.url).toBe('https://shop.example.com/evening');
        const forced = (await (await app.admin('GET', `/v1/preview/${HERO.id}.json?at=${tomorrow}T18:00:00Z&variant=day`)).json()) as { variant: string };
        expect(forced.variant).toBe('day');
      });

      it('names the client: Apple prefetch and the Gmail proxy are told apart', async () => {
        const apple = (await (await app.admin('GET', '/v1/preview/grid.json?u=shopper&client=apple')).json()) as { requester: string };
        const gmail = (await (await app.admin('GET', '/v1/preview/grid.json?u=shopper&client=gmail')).json()) as { requester: string };
        expect([apple.requester, gmail.requester]).toEqual(['apple_proxy', 'gmail_proxy']);
        // A grid cell asks once for both: the account and its image.
        const cell = (await (await app.admin('GET', '/v1/preview/grid.json?u=shopper&image=1')).json()) as { image: string; clicks: unknown[] };
        expect(cell.image).toMatch(/^data:image\/(png|jpeg);base64,/);
        expect(cell.clicks).toHaveLength(3);
        const bad = await app.admin('GET', '/v1/preview/grid.json?client=lotus-notes');
        expect(bad.status).toBe(400);
        expect((await errorOf(bad)).details).toEqual([expect.objectContaining({ path: 'client' })]);
        expect((await app.admin('GET', '/v1/preview/grid.json?at=yesterday')).status).toBe(400);
        expect((await app.admin('GET', '/v1/preview/nope.json')).status).toBe(404);
      });

      it('draws a draft that is not stored, and names a bad field by its path', async () => {
        const stored = await configOf(app, 'grid');
        const draft = { ...stored, params: { ...(stored.params as object), headline: 'Draft headline', background: '#123456' } };
        const response = await app.request('/v1/preview/grid.png', {
          method: 'POST',
          headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(draft),
        });
        expect(response.status).toBe(200);
        expect((await app.pixelsOf(response)).share([0x12, 0x34, 0x56])).toBeGreaterThan(0.3);
        const live = await app.open('grid', {});
        expect(live.pixels.share([0x12, 0x34, 0x56])).toBeLessThan(0.01);
        const bad = await app.request('/v1/preview/grid.png', {
          method: 'POST',
          headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ...draft, params: { ...draft.params, accent: 'red' } }),
        });
        expect(bad.status).toBe(400);
        expect((await errorOf(bad)).details).toEqual([expect.objectContaining({ path: 'params.accent' })]);
      });
    });

    describe('template drafts', () => {
      it('draws the stored block with a draft template, and names a Liquid error at its line and column', async () => {
        const source = await (await app.admin('GET', '/v1/templates/product-grid')).text();
        const text = { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'text/html' };
        const drawn = await app.request('/v1/preview/grid.png?template=product-grid', {
          method: 'POST',
          headers: text,
          body: source.replace('{{ params.headline }}', 'A draft headline'),
        });
        expect(drawn.status).toBe(200);
        expect(drawn.headers.get('content-type')).toMatch(/^image\//);
        const broken = await app.request('/v1/preview/grid.png?template=product-grid', { method: 'POST', headers: text, body: '<div>\n  {% if params.headline %}\n</div>' });
        expect(broken.status).toBe(400);
        const [problem] = (await errorOf(broken)).details as Array<{ line?: number; column?: number; message: string }>;
        expect(problem?.message).toMatch(/Liquid/);
        expect([problem?.line, problem?.column]).toEqual([2, 3]);
        // Nothing was stored: the template is still the shipped one.
        expect((await app.admin('GET', '/v1/templates/product-grid')).headers.get('x-opentime-template')).toBe('built-in');
      });

      it('names an HTML problem at its line and column in the draft', async () => {
        const text = { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'text/html' };
        const body = '<div style="display:flex">\n  <span>{{ params.headline }}</span>\n    <table>cells</table>\n</div>';
        const broken = await app.request('/v1/preview/grid.png?template=product-grid', { method: 'POST', headers: text, body });
        expect(broken.status, await broken.clone().text()).toBe(400);
        const problems = (await errorOf(broken)).details as Array<{ line?: number; column?: number; message: string }>;
        const table = problems.find((p) => p.message.includes('<table> is not supported'));
        expect([table?.line, table?.column]).toEqual([3, 5]);
      });
    });

    describe('versions', () => {
      it('lists what changed in each version and rolls back as a new version', async () => {
        const config = await configOf(app, 'grid');
        await app.admin('PUT', '/v1/blocks/grid', { ...config, params: { ...(config.params as object), headline: 'Second' } });
        const listed = (await (await app.admin('GET', '/v1/blocks/grid/versions')).json()) as { versions: Array<{ version: number; changes: string[] }> };
        expect(listed.versions.map((v) => v.version)).toEqual([2, 1]);
        expect(listed.versions[0]?.changes).toEqual(['params.headline']);
        const rolled = await app.admin('POST', '/v1/blocks/grid/rollback', { version: 1 });
        expect(await rolled.json()).toMatchObject({ version: 3, restored: 1 });
        expect(((await (await app.admin('GET', '/v1/blocks/grid')).json()) as { params: { headline: string } }).params.headline).toBe(
          (config.params as { headline: string }).headline,
        );
        expect((await app.admin('POST', '/v1/blocks/grid/rollback', { version: 9 })).status).toBe(404);
        expect((await app.admin('POST', '/v1/blocks/grid/rollback', { version: 'one' })).status).toBe(400);
        expect((await app.admin('GET', '/v1/blocks/grid/versions/2')).status).toBe(200);
      });
    });

    describe('the app', () => {
      it('serves the built page with a strict Content-Security-Policy, and its assets', async () => {
        const redirect = await app.request('/studio', { redirect: 'manual' });
        expect(redirect.status).toBe(308);
        const page = await app.request('/studio/');
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self';.*frame-ancestors 'none'/);
        const html = await page.text();
        const script = /src="\/studio\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
        expect(script).toBeDefined();
        // Nothing is loaded from another origin.
        expect(html).not.toMatch(/(src|href)="https?:/);
        const asset = await app.request(`/studio/${script}`);
        expect(asset.status).toBe(200);
        expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
        expect(asset.headers.get('cache-control')).toContain('immutable');
        expect((await app.request('/studio/assets/nope.js')).status).toBe(404);
        expect((await app.request('/studio/..%2Fhero.html')).status).toBe(404);
      });
    });
  });
}
