import { beforeEach, describe, expect, it } from 'vitest';
import { testBlock } from '../helpers/app.ts';
import { PHOTO_COLORS } from '../helpers/photo-server.ts';
import { useSeededApp } from '../helpers/node-runtime.ts';
import { slotBox } from '../helpers/pixels.ts';

const { app, photos } = useSeededApp();

const added = (userId: string, productId: string) => app.send('track', { userId, event: 'Product Added', properties: { product_id: productId } });
const viewed = (userId: string, productId: string, category?: string) =>
  app.send('track', { userId, event: 'Product Viewed', properties: { product_id: productId, ...(category ? { category } : {}) } });
const hex = (rgb: readonly number[]) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

function heroBlock(extra: object = {}) {
  return {
    kind: 'hero',
    size: { width: 600, height: 300 },
    fallback: { url: 'https://shop.example.com/' },
    variants: [
      {
        id: 'shoes',
        when: { '==': [{ var: 'profile.last_category' }, 'shoes'] },
        headline: 'New running shoes',
        url: 'https://shop.example.com/shoes',
        background: { color: hex(PHOTO_COLORS.green) },
      },
      {
        id: 'vip',
        when: { '==': [{ var: 'params.tier' }, 'vip'] },
        headline: 'For our VIPs',
        url: 'https://shop.example.com/vip',
        background: { image: photos.url('blue') },
      },
      {
        id: 'night',
        when: { '>=': [{ var: 'open.hour' }, 20] },
        headline: 'Night owl deals',
        url: 'https://shop.example.com/night',
        background: { image: photos.url('missing'), color: hex(PHOTO_COLORS.purple) },
      },
    ],
    default: { id: 'default', headline: 'Our new season', cta: 'Shop now', url: 'https://shop.example.com/new', background: { color: hex(PHOTO_COLORS.orange) } },
    ...extra,
  };
}

describe('hero block', () => {
  beforeEach(async () => {
    const put = await app.admin('PUT', '/v1/blocks/hero', heroBlock());
    expect(put.status).toBe(200);
  });

  it('shows the default variant when no rule matches, and its click goes to its URL', async () => {
    const { response, pixels } = await app.open('hero', { u: 'new-person', m: 'm1' });
    expect(response.status).toBe(200);
    expect([pixels.width, pixels.height]).toEqual([1200, 600]);
    expect(pixels.share(PHOTO_COLORS.orange)).toBeGreaterThan(0.5);
    await app.settle();
    const click = await app.click('hero', 0, { u: 'new-person', m: 'm1' });
    expect(click.headers.get('location')).toBe('https://shop.example.com/new');
  });

  it('chooses by the subscriber’s last category, and the click follows what the open showed', async () => {
    await viewed('runner', 'p-red', 'shoes');
    const { pixels } = await app.open('hero', { u: 'runner', m: 'm1' });
    expect(pixels.share(PHOTO_COLORS.green)).toBeGreaterThan(0.5);
    await app.settle();
    // The subscriber browses something else; the click still goes where the image pointed.
    await viewed('runner', 'p-purple', 'home');
    expect((await app.click('hero', 0, { u: 'runner', m: 'm1' })).headers.get('location')).toBe('https://shop.example.com/shoes');
  });

  it('chooses by a URL parameter from the ESP and draws the variant’s background photo with legible text', async () => {
    const { pixels } = await app.open('hero', { u: 'someone', tier: 'vip' });
    // The photo fills the block, unshaded at the right edge; the left is shaded for the headline.
    expect(pixels.share(PHOTO_COLORS.blue, { x: 1170, y: 0, width: 30, height: 600 }, 30)).toBeGreaterThan(0.9);
    expect(pixels.share([255, 255, 255], { x: 0, y: 0, width: 700, height: 600 }, 30)).toBeGreaterThan(0.01);
  });

  it('chooses by the local hour of the open, and keeps the colour when the photo fails', async () => {
    app.clock.set(Date.parse('2026-06-01T12:30:00Z'));
    const { pixels } = await app.open('hero', { tz: 'Asia/Tokyo' }); // 21:30 in Tokyo
    expect(pixels.share(PHOTO_COLORS.purple)).toBeGreaterThan(0.5);
    const daytime = await app.open('hero', { tz: 'Europe/London' }); // 13:30 in London
    expect(daytime.pixels.share(PHOTO_COLORS.orange)).toBeGreaterThan(0.5);
  });

  it('refuses rules that cannot run and templates that do not exist', async () => {
    const bad = await app.admin(
      'PUT',
      '/v1/blocks/hero',
      heroBlock({ template: 'nope', variants: [{ id: 'x', headline: 'x', url: 'https://x.example.com/', when: { frobnicate: [1] } }] }),
    );
    expect(bad.status).toBe(400);
    const details = (await bad.json()).error.details as Array<{ path: string; message: string }>;
    expect(details.map((d) => d.path).sort()).toEqual(['template', 'variants[0].when']);
  });

  it('records the A/B arm so that clicks and stats follow it', async () => {
    await app.admin(
      'PUT',
      '/v1/blocks/ab',
      heroBlock({
        variants: [
          {
            id: 'test',
            split: {
              arms: [
                { id: 'a', weight: 1, headline: 'A', url: 'https://shop.example.com/a', background: { color: hex(PHOTO_COLORS.red) } },
                { id: 'b', weight: 1, headline: 'B', url: 'https://shop.example.com/b', background: { color: hex(PHOTO_COLORS.teal) } },
              ],
            },
          },
        ],
      }),
    );
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const { pixels } = await app.open('ab', { u: `ab-${i}`, m: 'm' });
      const arm = pixels.share(PHOTO_COLORS.red) > 0.5 ? 'a' : 'b';
      seen.add(arm);
      await app.settle();
      const click = await app.click('ab', 0, { u: `ab-${i}`, m: 'm' }, { headers: { 'user-agent': 'Mozilla/5.0 (Macintosh) Safari/605' } });
      expect(click.headers.get('location')).toBe(`https://shop.example.com/${arm}`);
      // The same subscriber sees the same arm at every open.
      const again = await app.open('ab', { u: `ab-${i}`, m: 'm2' });
      expect(again.pixels.share(PHOTO_COLORS.red) > 0.5 ? 'a' : 'b').toBe(arm);
    }
    expect([...seen].sort()).toEqual(['a', 'b']);
    await app.settle();
    const counters = (await (await app.admin('GET', '/v1/stats')).json()).counters as Record<string, number>;
    expect((counters['block.ab.arm.a.clicks'] ?? 0) + (counters['block.ab.arm.b.clicks'] ?? 0)).toBe(12);
  });
});

describe('lock policy', () => {
  const grid = (lock: { policy: 'live' } | { policy: 'sticky'; minutes: number } | { policy: 'first_open' }) =>
    testBlock({ id: 'locked', lock, source: [{ from: 'cart' }, { from: 'products', ids: ['p-teal', 'p-purple', 'p-orange'] }] });

  it('live: every open decides again', async () => {
    await app.admin('PUT', '/v1/blocks/locked', grid({ policy: 'live' }));
    await added('liv', 'p-red');
    await app.open('locked', { u: 'liv', m: 'm' });
    await app.settle();
    await added('liv', 'p-blue');
    const { pixels } = await app.open('locked', { u: 'liv', m: 'm' });
    expect(pixels.share(PHOTO_COLORS.blue, slotBox(pixels, 0))).toBeGreaterThan(0.25);
  });

  it('first_open: a re-open shows what the first open showed, for that message only', async () => {
    await app.admin('PUT', '/v1/blocks/locked', grid({ policy: 'first_open' }));
    await added('fo', 'p-red');
    await app.open('locked', { u: 'fo', m: 'm' });
    await app.settle();
    await added('fo', 'p-blue');
    app.clock.advance(7 * 86_400_000);
    const again = await app.open('locked', { u: 'fo', m: 'm' });
    expect(again.pixels.share(PHOTO_COLORS.red, slotBox(again.pixels, 0))).toBeGreaterThan(0.25);
    const otherEmail = await app.open('locked', { u: 'fo', m: 'another' });
    expect(otherEmail.pixels.share(PHOTO_COLORS.blue, slotBox(otherEmail.pixels, 0))).toBeGreaterThan(0.25);
  });

  it('sticky: the first decision holds for its minutes, then opens decide again', async () => {
    await app.admin('PUT', '/v1/blocks/locked', grid({ policy: 'sticky', minutes: 30 }));
    await added('st', 'p-red');
    await app.open('locked', { u: 'st', m: 'm' });
    await app.settle();
    await added('st', 'p-blue');
    app.clock.advance(10 * 60_000);
    const within = await app.open('locked', { u: 'st', m: 'm' });
    expect(within.pixels.share(PHOTO_COLORS.red, slotBox(within.pixels, 0))).toBeGreaterThan(0.25);
    app.clock.advance(25 * 60_000);
    const after = await app.open('locked', { u: 'st', m: 'm' });
    expect(after.pixels.share(PHOTO_COLORS.blue, slotBox(after.pixels, 0))).toBeGreaterThan(0.25);
  });

  it('a machine open (a link scanner) never locks a first_open decision', async () => {
    await app.admin('PUT', '/v1/blocks/locked', grid({ policy: 'first_open' }));
    await added('mo', 'p-red');
    await app.open('locked', { u: 'mo', m: 'm' }, { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel)' } });
    await app.settle();
    await added('mo', 'p-blue');
    const person = await app.open('locked', { u: 'mo', m: 'm' }, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile' } });
    expect(person.pixels.share(PHOTO_COLORS.blue, slotBox(person.pixels, 0))).toBeGreaterThan(0.25);
  });
});

describe('templates through the admin API', () => {
  const simple = (color: string) =>
    `<div style="display: flex; width: {{ block.width }}px; height: {{ block.height }}px; background-color: ${color}">{% for product in products %}<img src="{{ product.image_url }}" width="100" height="100">{% endfor %}<span>{{ params.headline }}</span></div>`;

  it('adds a template without a restart; a new version is rendered at the next open, never a stale one', async () => {
    const first = await app.request('/v1/templates/custom', {
      method: 'PUT',
      headers: { authorization: `Bearer test-admin-key-0123456789` },
      body: simple(hex(PHOTO_COLORS.purple)),
    });
    expect(first.status).toBe(200);
    expect((await first.json()).version).toBe(1);
    await app.admin('PUT', '/v1/blocks/custom', testBlock({ id: 'custom', template: 'custom', source: [{ from: 'products', ids: ['p-red'] }] }));
    const v1 = await app.open('custom', {});
    expect(v1.pixels.share(PHOTO_COLORS.purple)).toBeGreaterThan(0.8);

    const second = await app.request('/v1/templates/custom', {
      method: 'PUT',
      headers: { authorization: `Bearer test-admin-key-0123456789` },
      body: simple(hex(PHOTO_COLORS.teal)),
    });
    expect((await second.json()).version).toBe(2);
    const v2 = await app.open('custom', {});
    expect(v2.response.headers.get('x-opentime-cache')).toBe('miss');
    expect(v2.pixels.share(PHOTO_COLORS.teal)).toBeGreaterThan(0.8);
  });

  const putTemplate = (name: string, body: string) => app.request(`/v1/templates/${name}`, { method: 'PUT', headers: { authorization: `Bearer test-admin-key-0123456789` }, body });
  const colour = (condition: string) =>
    `<div style="display: flex; width: {{ block.width }}px; height: {{ block.height }}px; background-color: {% if ${condition} %}${hex(PHOTO_COLORS.purple)}{% else %}${hex(PHOTO_COLORS.teal)}{% endif %}"><span>{{ params.headline }}</span></div>`;

  it('keys a render on what its template sees: an anonymous open is never served the image of a product in someone’s cart', async () => {
    expect((await putTemplate('in-cart', `{% assign first = products | first %}${colour("first.source == 'cart'")}`)).status).toBe(200);
    await app.admin('PUT', '/v1/blocks/in-cart', testBlock({ id: 'in-cart', template: 'in-cart', slots: 1, source: [{ from: 'cart' }, { from: 'products', ids: ['p-red'] }] }));
    await added('carted', 'p-red');
    const mine = await app.open('in-cart', { u: 'carted', m: 'm' });
    expect(mine.pixels.share(PHOTO_COLORS.purple)).toBeGreaterThan(0.8);
    // The same product, from another source: another image.
    const anonymous = await app.open('in-cart', {});
    expect(anonymous.response.headers.get('x-opentime-cache')).toBe('miss');
    expect(anonymous.pixels.share(PHOTO_COLORS.teal)).toBeGreaterThan(0.8);
  });

  it('draws a template that reads the time once a minute, and one that does not (though its text says "now") once', async () => {
    expect((await putTemplate('noon', colour("now contains 'T12:00'"))).status).toBe(200);
    await app.admin('PUT', '/v1/blocks/noon', testBlock({ id: 'noon', template: 'noon', source: [{ from: 'products', ids: ['p-red'] }] }));
    expect((await putTemplate('timeless', simple(hex(PHOTO_COLORS.purple)).replace('</div>', '<span>Shop now, today only</span></div>'))).status).toBe(200);
    await app.admin('PUT', '/v1/blocks/timeless', testBlock({ id: 'timeless', template: 'timeless', source: [{ from: 'products', ids: ['p-red'] }] }));
    const first = await app.open('noon', {});
    expect(first.pixels.share(PHOTO_COLORS.purple)).toBeGreaterThan(0.8);
    await app.open('timeless', {});
    app.clock.advance(30_000);
    expect((await app.open('noon', {})).response.headers.get('x-opentime-cache')).toBe('hit');
    app.clock.advance(60_000);
    const later = await app.open('noon', {});
    expect(later.response.headers.get('x-opentime-cache')).toBe('miss');
    expect(later.pixels.share(PHOTO_COLORS.teal)).toBeGreaterThan(0.8);
    expect((await app.open('timeless', {})).response.headers.get('x-opentime-cache')).toBe('hit');
  });

  it('refuses a template that does not parse or uses tags opentime cannot draw, listing every problem', async () => {
    const response = await app.request('/v1/templates/broken', {
      method: 'PUT',
      headers: { authorization: `Bearer test-admin-key-0123456789` },
      body: '<div style="background: url(https://evil.example.com/x.png)"><table><tr><td>{{ params.headline }}</td></tr></table></div>',
    });
    expect(response.status).toBe(400);
    const messages = ((await response.json()).error.details as Array<{ message: string }>).map((d) => d.message).join('\n');
    expect(messages).toMatch(/url\(\) and imports are not allowed/);
    expect(messages).toMatch(/<table> is not supported/);
    const liquid = await app.request('/v1/templates/broken', { method: 'PUT', headers: { authorization: `Bearer test-admin-key-0123456789` }, body: '<div>{% if %}</div>' });
    expect(liquid.status).toBe(400);
    expect((await liquid.json()).error.message).toMatch(/Liquid/);
  });

  it('escapes hostile product titles: they render as text, run nothing and fetch nothing', async () => {
    await app.request('/v1/templates/titles', {
      method: 'PUT',
      headers: { authorization: `Bearer test-admin-key-0123456789` },
      body: '<div style="display: flex; width: 600px; height: 300px; background-color: #ffffff">{% for product in products %}<div style="font-size: 30px; color: #000000">{{ product.title }}</div>{% endfor %}</div>',
    });
    await app.admin('PUT', '/v1/catalog/products', [
      {
        id: 'evil',
        title: `<img src="${photos.url('red')}" width="600" height="300"> {{ 7 | times: 6 }}`,
        price: 1,
        url: 'https://shop.example.com/e',
        image_url: photos.url('green'),
      },
    ]);
    await app.admin('PUT', '/v1/blocks/titles', testBlock({ id: 'titles', template: 'titles', source: [{ from: 'products', ids: ['evil'] }] }));
    const before = photos.hits.get('/red.png') ?? 0;
    const { pixels } = await app.open('titles', {});
    expect(pixels.share(PHOTO_COLORS.red)).toBeLessThan(0.001);
    expect(pixels.share([0, 0, 0], undefined, 60)).toBeGreaterThan(0.005);
    expect(photos.hits.get('/red.png') ?? 0).toBe(before);
  });

  it('serves a template’s source and lists stored and built-in templates', async () => {
    const response = await app.admin('GET', '/v1/templates/product-grid');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-opentime-template')).toBe('built-in');
    expect(await response.text()).toMatch(/for product in products/);
    const list = await (await app.admin('GET', '/v1/templates')).json();
    expect(list.builtIn).toEqual(['product-grid', 'product-row', 'hero']);
  });

  it('draws the product-row template with sale prices', async () => {
    await app.admin(
      'PUT',
      '/v1/blocks/rows',
      testBlock({ id: 'rows', template: 'product-row', slots: 2, size: { width: 600, height: 320 }, source: [{ from: 'products', ids: ['p-green', 'p-blue'] }] }),
    );
    const { response, pixels } = await app.open('rows', {});
    expect(response.headers.get('x-opentime-fallback')).toBeNull();
    expect(pixels.share(PHOTO_COLORS.green, { x: 0, y: 0, width: 400, height: 360 })).toBeGreaterThan(0.05);
    expect(pixels.share(PHOTO_COLORS.blue, { x: 0, y: 320, width: 400, height: 280 })).toBeGreaterThan(0.05);
  });
});

describe('email engagement', () => {
  const lastEvents = async (id: string) => ((await (await app.admin('GET', `/v1/profiles/${id}`)).json()).profile?.lastEventAt ?? {}) as Record<string, number>;

  it('records Email Opened for a person’s open and Email Link Clicked for a click, not for machines', async () => {
    await added('engaged', 'p-red');
    expect((await app.request('/i/grid.png?u=engaged&m=m1', { method: 'HEAD' })).status).toBe(200);
    await app.open('grid', { u: 'engaged', m: 'm1' }, { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel)' } });
    await app.settle();
    expect(await lastEvents('engaged')).not.toHaveProperty('Email Opened');

    await app.open('grid', { u: 'engaged', m: 'm1' }, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile' } });
    await app.settle();
    expect((await lastEvents('engaged'))['Email Opened']).toBe(app.clock.now());
    await app.click('grid', 0, { u: 'engaged', m: 'm1' }, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile' } });
    await app.settle();
    expect((await lastEvents('engaged'))['Email Link Clicked']).toBe(app.clock.now());
  });

  it('lets a hero re-engage subscribers who have not opened for a while', async () => {
    await app.admin(
      'PUT',
      '/v1/blocks/winback',
      heroBlock({
        variants: [
          {
            id: 'winback',
            when: { '>': [{ var: 'profile.days_since_last_open' }, 30] },
            headline: 'We miss you',
            url: 'https://shop.example.com/back',
            background: { color: hex(PHOTO_COLORS.red) },
          },
        ],
      }),
    );
    await app.open('grid', { u: 'sleepy', m: 'old' }, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile' } });
    await app.settle();
    app.clock.advance(45 * 86_400_000);
    const { pixels } = await app.open('winback', { u: 'sleepy', m: 'new' }, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile' } });
    expect(pixels.share(PHOTO_COLORS.red)).toBeGreaterThan(0.5);
  });
});

describe('who opened it', () => {
  const grid = testBlock({ id: 'frozen', lock: { policy: 'first_open' }, source: [{ from: 'cart' }, { from: 'products', ids: ['p-teal', 'p-purple', 'p-orange'] }] });

  it('keeps the requester class with the open record and in the stats; Apple’s prefetch neither counts nor locks', async () => {
    await app.admin('PUT', '/v1/blocks/frozen', grid);
    await added('mpp', 'p-red');
    await app.open('frozen', { u: 'mpp', m: 'm' }, { headers: { 'user-agent': 'Mozilla/5.0' } });
    await app.settle();
    await added('mpp', 'p-blue');
    const gmail = await app.open(
      'frozen',
      { u: 'mpp', m: 'm' },
      { headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)' } },
    );
    expect(gmail.pixels.share(PHOTO_COLORS.blue, slotBox(gmail.pixels, 0))).toBeGreaterThan(0.25);
    await app.settle();
    const counters = (await (await app.admin('GET', '/v1/stats')).json()).counters as Record<string, number>;
    expect(counters['opens.by.apple_proxy']).toBe(1);
    expect(counters['opens.by.gmail_proxy']).toBe(1);
    expect(counters.opens).toBe(1);
    const keyer = app.opentime.services.keyer;
    const record = await app.deps.store.getOpenRecord({ blockId: 'frozen', subjectKey: await keyer.userKey('mpp'), messageId: 'm' }, app.clock.now());
    expect(record?.requester).toBe('gmail_proxy');
  });

  it('shows a hero’s declared prefetch variant to Apple’s proxy', async () => {
    await app.admin(
      'PUT',
      '/v1/blocks/tonight',
      heroBlock({
        variants: [{ id: 'absolute', when: { '==': [1, 0] }, headline: 'Ends Fri 23:59 ET', url: 'https://shop.example.com/sale', background: { color: hex(PHOTO_COLORS.teal) } }],
        prefetch: { variant: 'absolute' },
      }),
    );
    const apple = await app.open('tonight', { u: 'x' }, { headers: { 'user-agent': 'Mozilla/5.0' } });
    expect(apple.pixels.share(PHOTO_COLORS.teal)).toBeGreaterThan(0.5);
    const person = await app.open('tonight', { u: 'x' }, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile' } });
    expect(person.pixels.share(PHOTO_COLORS.orange)).toBeGreaterThan(0.5);
    const bad = await app.admin('PUT', '/v1/blocks/tonight', heroBlock({ prefetch: { variant: 'nope' } }));
    expect((await bad.json()).error.details).toEqual([{ path: 'prefetch.variant', message: 'no variant named "nope"' }]);
  });

  it('does not count a click within seconds of the send (ts=) — a scanner’s', async () => {
    await app.settle();
    const before = ((await (await app.admin('GET', '/v1/stats')).json()).counters.clicks ?? 0) as number;
    const ts = String(Math.floor(app.clock.now() / 1000));
    const browser = { headers: { 'user-agent': 'Mozilla/5.0 (Macintosh) Safari/605' } };
    await app.click('grid', 0, { u: 'quick', ts }, browser);
    app.clock.advance(60_000);
    await app.click('grid', 0, { u: 'quick', ts }, browser);
    await app.settle();
    expect((await (await app.admin('GET', '/v1/stats')).json()).counters.clicks).toBe(before + 1);
  });
});
