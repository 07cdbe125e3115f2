import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteStore } from '../../src/adapters/store/sqlite.ts';
import { blockSchema } from '../../src/core/blocks/schema.ts';
import { productSchema } from '../../src/core/catalog/product.ts';
import { ingestEvents } from '../../src/core/events/ingest.ts';
import { normalizeEvent } from '../../src/core/events/normalize.ts';
import { createSubjectKeyer } from '../../src/core/audience/subjects.ts';
import { testBlock, testCatalog } from '../helpers/app.ts';
import { PHOTO_COLORS, PHOTO_SERVER_ENV, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { decode, slotBox } from '../helpers/pixels.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SECRET = 'cli-test-secret-0123456789';
let dir: string;
let photos: PhotoServer;

/** Runs `opentime …` as a user would (`npx opentime` runs this file). */
async function opentime(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['src/opentime.mjs', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...PHOTO_SERVER_ENV, OPENTIME_DATA_DIR: dir, OPENTIME_SECRET: SECRET, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opentime-cli-'));
  photos = await startPhotoServer();
  const store = sqliteStore({ path: join(dir, 'opentime.db') });
  const now = Date.now();
  await store.putProducts(
    testCatalog(photos).map((p) => productSchema.parse(p)),
    now,
  );
  await store.putBlock(blockSchema.parse(testBlock()), now);
  await store.putBlock(blockSchema.parse(JSON.parse(await readFile(join(ROOT, 'templates/countdown-sale.json'), 'utf8'))), now);
  const added = normalizeEvent({ userId: 'cli-shopper', event: 'Product Added', properties: { product_id: 'p-red' } }, 'track', now);
  await ingestEvents({ store, keyer: createSubjectKeyer(SECRET) }, [added], now);
  await store.close();
});
afterAll(async () => {
  await photos.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npx opentime', () => {
  it('validate: exit 0 for the starter blocks and templates', async () => {
    const result = await opentime(['validate', 'templates/cart-reminder.json', 'templates/picked-for-you.json', 'templates/hero.html', 'templates/product-grid.html']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('All 4 files valid.');
  });

  it('validate: exit 1 with every problem by JSON path', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ id: 'x', size: { width: 600, height: 300 }, slots: 3, source: [{ from: 'cart' }, { from: 'wishlist' }], fallback: { url: 'ftp://x' } }));
    const result = await opentime(['validate', bad]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'source[1].from: expected one of cart, recently_viewed, purchased, viewed_together, bought_together, similar, for_you, price_drop, trending, bestsellers, new_arrivals, products',
    );
    expect(result.stdout).toContain('fallback.url: expected an http(s) URL');
  });

  it('validate: a block may use a template given in the same run, and not one that does not exist', async () => {
    const template = join(dir, 'my-card.html');
    await writeFile(template, '<div style="display: flex; width: 600px; height: 300px">{{ params.headline }}</div>');
    const block = join(dir, 'uses-card.json');
    await writeFile(block, JSON.stringify(testBlock({ id: 'uses-card', template: 'my-card' })));
    expect((await opentime(['validate', template, block])).code).toBe(0);
    const alone = await opentime(['validate', block]);
    expect(alone.code).toBe(1);
    expect(alone.stdout).toContain('template: no template named "my-card"');
  });

  it('render: previews a stored block as a subscriber and writes the PNG', async () => {
    const out = join(dir, 'preview.png');
    const result = await opentime(['render', 'grid', '--subscriber', 'cli-shopper', '--out', out]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const pixels = await decode(new Uint8Array(await readFile(out)));
    expect([pixels.width, pixels.height]).toEqual([1200, 600]);
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
  });

  it('render: names a block of photos, sent as a JPEG, .jpg when --out is not given', async () => {
    const file = join(dir, 'photos.json');
    const store = sqliteStore({ path: join(dir, 'opentime.db') });
    const photoProducts = (['red', 'green', 'blue'] as const).map((color) =>
      productSchema.parse({ id: `shot-${color}`, title: `A ${color} shot`, price: 40, url: `https://shop.example.com/${color}`, image_url: photos.url(`photo-${color}`) }),
    );
    await store.putProducts(photoProducts, Date.now());
    await store.close();
    await writeFile(file, JSON.stringify(testBlock({ id: 'shots', source: [{ from: 'products', ids: photoProducts.map((p) => p.id) }] })));
    const result = await promisify(execFile)(process.execPath, [join(ROOT, 'src/opentime.mjs'), 'render', file], {
      cwd: dir,
      env: { ...process.env, ...PHOTO_SERVER_ENV, OPENTIME_DATA_DIR: dir, OPENTIME_SECRET: SECRET },
    });
    expect(result.stdout).toContain('shots.jpg');
    expect(result.stdout).toContain('image/jpeg');
    const bytes = new Uint8Array(await readFile(join(dir, 'shots.jpg')));
    expect([bytes[0], bytes[1], bytes[2]]).toEqual([0xff, 0xd8, 0xff]);
  });

  it('render: previews a block file as of another moment, without storing it', async () => {
    const file = join(dir, 'hero.json');
    await writeFile(
      file,
      JSON.stringify({
        id: 'hero-preview',
        kind: 'hero',
        size: { width: 600, height: 300 },
        fallback: { url: 'https://shop.example.com/' },
        variants: [
          { id: 'xmas', when: { '==': [{ var: 'open.date' }, '2026-12-24'] }, headline: 'Merry Christmas', url: 'https://shop.example.com/x', background: { color: '#1eaa3c' } },
        ],
        default: { id: 'default', headline: 'Hello', url: 'https://shop.example.com/', background: { color: '#1e46dc' } },
      }),
    );
    const out = join(dir, 'hero.png');
    expect((await opentime(['render', file, '--at', '2026-12-24T12:00:00Z', '--out', out])).code).toBe(0);
    expect((await decode(new Uint8Array(await readFile(out)))).share(PHOTO_COLORS.green)).toBeGreaterThan(0.5);
    expect((await opentime(['render', file, '--at', '2026-12-26T12:00:00Z', '--out', out])).code).toBe(0);
    expect((await decode(new Uint8Array(await readFile(out)))).share(PHOTO_COLORS.blue)).toBeGreaterThan(0.5);
  });

  it('render: a preview writes nothing, so a first_open block is not frozen on it and /v1/stats does not count it', async () => {
    const locked = { ...testBlock({ id: 'cli-locked' }), lock: { policy: 'first_open' } };
    let store = sqliteStore({ path: join(dir, 'opentime.db') });
    await store.putBlock(blockSchema.parse(locked), Date.now());
    await store.close();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const result = await opentime([
      'render',
      'cli-locked',
      '--subscriber',
      'cli-shopper',
      '--message',
      'm-1',
      '--at',
      tomorrow,
      '--user-agent',
      'Mozilla/5.0 Firefox/140.0',
      '--out',
      join(dir, 'locked.png'),
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    store = sqliteStore({ path: join(dir, 'opentime.db') });
    try {
      const subjectKey = await createSubjectKeyer(SECRET).userKey('cli-shopper');
      expect(await store.getOpenRecord({ blockId: 'cli-locked', subjectKey, messageId: 'm-1' }, Date.now())).toBeUndefined();
      expect(Object.keys(await store.readCounters()).filter((name) => name.startsWith('opens') || name.startsWith('renders'))).toEqual([]);
      expect((await store.getProfile(subjectKey))?.lastEventAt['Email Opened']).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('render: exit 1 and says so when only a fallback could be drawn', async () => {
    const result = await opentime(['render', 'no-such-block', '--out', join(dir, 'none.png')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('fallback (blank: BLOCK_NOT_FOUND)');
  });

  it('links: prints a grid sliced, each product its own image and link, with the ESP’s merge tags', async () => {
    const result = await opentime(['links', 'templates/cart-reminder.json', '--esp', 'mailchimp', '--origin', 'https://live.example.com']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('<table role="presentation"');
    for (const slot of [0, 1, 2]) {
      expect(result.stdout).toContain(`<a href="https://live.example.com/c/cart-reminder/${slot}?u=*|URL:CUSTOMER_ID|*&amp;m=*|CAMPAIGN_UID|*"`);
      expect(result.stdout).toContain(`<img src="https://live.example.com/i/cart-reminder/${slot}.png?u=*|URL:CUSTOMER_ID|*&amp;m=*|CAMPAIGN_UID|*"`);
    }
    expect((await opentime(['links', 'templates/cart-reminder.json', '--esp', 'aol'])).code).toBe(2);
  });

  it('links --whole: the grid as one image in one link', async () => {
    const result = await opentime(['links', 'templates/cart-reminder.json', '--esp', 'customerio', '--origin', 'https://live.example.com', '--whole']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('<a href="https://live.example.com/c/cart-reminder/0?u={{ customer.id | url_encode }}&amp;m={{ campaign.id }}">');
    expect(result.stdout).toContain('<img src="https://live.example.com/i/cart-reminder.png?');
    expect(result.stdout).not.toContain('role="presentation"');
  });

  it('links: a stored countdown gets its animated .gif, and the alt text of its headline', async () => {
    const result = await opentime(['links', 'countdown-sale', '--esp', 'klaviyo', '--origin', 'https://live.example.com']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('<img src="https://live.example.com/i/countdown-sale.gif?');
    expect(result.stdout).toContain('alt="The holiday sale ends in"');
    expect(result.stdout).not.toContain('Picked for you');
  });

  it('links: the alt text is the block’s alt, else its headline, and --alt overrides both', async () => {
    const cart = await opentime(['links', 'templates/cart-reminder.json', '--esp', 'klaviyo']);
    expect(cart.stdout).toContain('alt="Still thinking about these?"');
    const withAlt = join(dir, 'with-alt.json');
    const block = JSON.parse(await readFile(join(ROOT, 'templates/cart-reminder.json'), 'utf8'));
    await writeFile(withAlt, JSON.stringify({ ...block, $schema: undefined, alt: 'Your cart: "3 items" & more' }));
    expect((await opentime(['links', withAlt, '--esp', 'klaviyo'])).stdout).toContain('alt="Your cart: &quot;3 items&quot; &amp; more"');
    expect((await opentime(['links', withAlt, '--esp', 'klaviyo', '--alt', 'Your picks'])).stdout).toContain('alt="Your picks"');
  });

  it('links: without --origin, the local server on PORT, or OPENTIME_PUBLIC_URL', async () => {
    const local = await opentime(['links', 'templates/cart-reminder.json', '--esp', 'klaviyo'], { PORT: '8790' });
    expect(local.stdout).toContain('<img src="http://localhost:8790/i/cart-reminder/head.png?');
    const configured = await opentime(['links', 'templates/cart-reminder.json', '--esp', 'klaviyo'], { PORT: '8790', OPENTIME_PUBLIC_URL: 'https://live.example.com/' });
    expect(configured.stdout).toContain('<img src="https://live.example.com/i/cart-reminder/0.png?');
    const bad = await opentime(['links', 'templates/cart-reminder.json', '--esp', 'klaviyo', '--origin', 'live.example.com']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--origin "live.example.com" is not an http(s) URL');
  });

  it('tokens: prints a CSV of subscriber tokens that the server accepts', async () => {
    const result = await opentime(['tokens', 'cli-shopper', 'a,b']);
    expect(result.code).toBe(0);
    const [header, first, second] = result.stdout.trim().split('\n');
    expect(header).toBe('id,opentime_token');
    expect(second).toMatch(/^"a,b",[A-Za-z0-9_-]{22}$/);
    const token = (first as string).split(',')[1] as string;
    const { Signer } = await import('../../src/core/audience/signing.ts');
    const { appConfig, parseConfig } = await import('../../src/core/config.ts');
    const config = appConfig(parseConfig({ OPENTIME_SECRET: SECRET }), { adminKeys: [], writeKeys: [], secret: SECRET });
    expect(await new Signer(config.signingKeys).verify(`/i/grid.png?u=cli-shopper&k=k1&t=${token}`)).toBe(true);
  });

  it('signing-keys: the secrets with which Braze’s HMAC and SFMC’s JWT make proofs the server accepts', async () => {
    const result = await opentime(['signing-keys']);
    expect(result.code).toBe(0);
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(','));
    expect(rows[0]).toEqual(['k', 'use', 'secret']);
    const secretOf = (use: string) => rows.find((r) => r[0] === 'k1' && r[1] === use)?.[2] as string;
    expect(secretOf('t')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secretOf('jwt')).not.toBe(secretOf('t'));
    expect(result.stdout).not.toContain(SECRET);
    const { createHmac } = await import('node:crypto');
    const { Jwt } = await import('hono/utils/jwt');
    const { Signer } = await import('../../src/core/audience/signing.ts');
    const { appConfig, parseConfig } = await import('../../src/core/config.ts');
    const server = new Signer(appConfig(parseConfig({ OPENTIME_SECRET: SECRET }), { adminKeys: [], writeKeys: [], secret: SECRET }).signingKeys);
    // Braze: {{${user_id} | hmac_sha256_base64: '<t secret>'}}, standard base64 and untruncated.
    const braze = createHmac('sha256', secretOf('t')).update('cli-shopper').digest('base64');
    expect(await server.verify(`/i/grid.png?u=cli-shopper&k=k1&t=${encodeURIComponent(braze)}`)).toBe(true);
    // SFMC: GetJWTByKeyName('opentime', 'HS256', '{"u":"…"}') with the jwt secret in Key Management.
    const sfmc = await Jwt.sign({ u: 'cli-shopper' }, secretOf('jwt'), 'HS256');
    expect(await server.verify(`/i/grid.png?u=cli-shopper&k=k1&jwt=${sfmc}`)).toBe(true);
    expect(await server.verify(`/i/grid.png?u=cli-shopper&k=k1&jwt=${await Jwt.sign({ u: 'cli-shopper' }, secretOf('t'), 'HS256')}`)).toBe(false);
  });

  it('links --sign: the token profile field, or the ESP’s own signing where it has one', async () => {
    const token = await opentime(['links', 'templates/cart-reminder.json', '--esp', 'klaviyo', '--sign', 'token']);
    expect(token.stdout).toContain("&amp;k=k1&amp;t={{ person|lookup:'opentime_token' }}");
    const braze = await opentime(['links', 'templates/cart-reminder.json', '--esp', 'braze', '--sign', 'template']);
    expect(braze.stdout).toContain("hmac_sha256_base64: 'YOUR_SIGNING_KEY' | url_param_escape");
    const sfmc = await opentime(['links', 'templates/cart-reminder.json', '--esp', 'sfmc', '--sign', 'template']);
    expect(sfmc.stdout).toContain('jwt=%%=GetJWTByKeyName(');
    expect((await opentime(['links', 'templates/cart-reminder.json', '--esp', 'mailchimp', '--sign', 'template'])).code).toBe(2);
  });

  it('exit 2 with the usage for an unknown command', async () => {
    const result = await opentime(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage:');
  });
});
