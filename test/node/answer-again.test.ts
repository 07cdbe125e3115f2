import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node.ts';
import { memoryLogger } from '../helpers/app.ts';
import { decode } from '../helpers/pixels.ts';

/**
 * An image asked again through Node's own listener, answered from what the
 * instance just answered: the same picture, each open counted, the
 * subscriber's allowance spent as by any open, and an event heard at once.
 */
const WRITE_KEY = 'again-write-key-0123456789';
const ADMIN_KEY = 'again-admin-key-0123456789';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
const DARK = [31, 41, 55] as const;
const LIGHT = [250, 240, 200] as const;
const hex = (rgb: readonly number[]) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'opentime-again-'));
  server = await startServer({
    env: {
      PORT: '0',
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_WRITE_KEY: WRITE_KEY,
      OPENTIME_ADMIN_KEY: ADMIN_KEY,
      OPENTIME_SECRET: 'again-secret-0123456789abcdef',
      OPENTIME_DEMO: '0',
      OPENTIME_RATE_OPENS_PER_MINUTE: '4',
    },
    logger: memoryLogger(),
  });
  const hero = {
    kind: 'hero',
    size: { width: 300, height: 100 },
    fallback: { url: 'https://shop.example.com/' },
    variants: [{ id: 'cart', when: { '>': [{ var: 'profile.cart_count' }, 0] }, headline: 'Your cart', url: 'https://shop.example.com/cart', background: { color: hex(DARK) } }],
    default: { id: 'default', headline: 'New season', url: 'https://shop.example.com/', background: { color: hex(LIGHT) } },
  };
  const put = await fetch(`${server.url}/v1/blocks/hero`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(hero),
  });
  expect(put.status).toBe(200);
});
afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const track = (userId: string, event: string) =>
  fetch(`${server.url}/v1/track`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId, event, properties: { product_id: 'p-1', quantity: 1 } }),
  });
async function open(u: string) {
  const response = await fetch(`${server.url}/i/hero.png?u=${u}&m=spring`, { headers: { 'user-agent': BROWSER } });
  const pixels = await decode(new Uint8Array(await response.arrayBuffer()));
  return { response, dark: pixels.share(DARK) > 0.5, light: pixels.share(LIGHT) > 0.5 };
}
const counters = async () => {
  await server.opentime.services.counters.flush();
  return server.deps.store.readCounters();
};

describe('an image asked again', () => {
  it('shows the same answer, counts every open, and spends the allowance like any open', async () => {
    expect((await track('erin', 'Product Added')).status).toBe(200);
    const before = (await counters())['block.hero.opens'] ?? 0;
    for (let i = 0; i < 4; i++) {
      const again = await open('erin');
      expect(again.dark).toBe(true);
      expect(again.response.headers.get('x-opentime-rate-limited')).toBeNull();
    }
    expect((await counters())['block.hero.opens']).toBe(before + 4);
    // The fifth open in the minute is past the allowance: the generic image, whatever was kept.
    const limited = await open('erin');
    expect(limited.response.headers.get('x-opentime-rate-limited')).toBe('subscriber');
    expect(limited.light).toBe(true);
    expect((await counters())['opens.rate_limited']).toBe(1);
  });

  it('shows an event at the next open', async () => {
    const first = await open('frank');
    expect(first.light).toBe(true);
    expect((await open('frank')).light).toBe(true); // kept, and answered again
    expect((await track('frank', 'Product Added')).status).toBe(200);
    expect((await open('frank')).dark).toBe(true);
    expect((await track('frank', 'Product Removed')).status).toBe(200);
    expect((await open('frank')).light).toBe(true);
  });
});
