import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSdk, fakeStorage, fakeTransport, ldProducts } from '../helpers/sdk.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-06-01T12:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

const FLUSH_MS = 1000;

describe('the snippet core: payloads and batching', () => {
  it('sends Segment payloads in one batch a second after the first event', async () => {
    const { client, transport } = createSdk();
    client.page();
    client.track('Product Viewed', { product_id: 'p-red' });
    client.track('Product Added', { product_id: 'p-red', quantity: 2 });
    await vi.advanceTimersByTimeAsync(FLUSH_MS - 1);
    expect(transport.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(transport.sent).toHaveLength(1);

    const [sent] = transport.sent;
    expect(sent?.url).toBe('https://shop.example.com/ot/v1/batch');
    expect(sent?.unloading).toBe(false);
    expect(sent?.body.writeKey).toBe('browser-key-0123456789');
    expect(sent?.body.sentAt).toBe('2026-06-01T12:00:01.000Z');
    const [page, viewed, added] = sent?.body.batch ?? [];
    expect(page).toMatchObject({ type: 'page', properties: { path: '/p/red', title: 'Red', url: 'https://shop.example.com/p/red' } });
    expect(viewed).toMatchObject({
      type: 'track',
      event: 'Product Viewed',
      properties: { product_id: 'p-red' },
      timestamp: '2026-06-01T12:00:00.000Z',
      context: { page: { path: '/p/red' }, userAgent: 'Test/1.0', locale: 'en-US', library: { name: 'opentime.js' } },
    });
    expect(added).toMatchObject({ event: 'Product Added', properties: { quantity: 2 } });
    // One anonymous id for the visitor, one messageId per event.
    expect(new Set(sent?.body.batch.map((e) => e.anonymousId)).size).toBe(1);
    expect(new Set(sent?.body.batch.map((e) => e.messageId)).size).toBe(3);
    expect(viewed?.userId).toBeUndefined();
  });

  it('sends at once when a batch is full', async () => {
    const { client, transport } = createSdk({ maxBatch: 5 });
    for (let i = 0; i < 5; i++) client.track('Product Viewed', { product_id: `p-${i}` });
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.sent).toHaveLength(1);
    expect(transport.sent[0]?.body.batch).toHaveLength(5);
  });

  it('keeps one request in flight at a time and sends what came meanwhile next', async () => {
    const transport = fakeTransport();
    let release: (status: number) => void = () => undefined;
    const send = transport.send;
    transport.send = (url, body, unloading) => {
      void send(url, body, unloading);
      return new Promise<number>((resolve) => (release = resolve));
    };
    const { client } = createSdk({ transport });
    client.track('Product Viewed', { product_id: 'a' });
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    client.track('Product Viewed', { product_id: 'b' });
    await vi.advanceTimersByTimeAsync(FLUSH_MS * 5);
    expect(transport.sent).toHaveLength(1);
    release(200);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.sent).toHaveLength(2);
    expect(transport.sent[1]?.body.batch.map((e) => (e.properties as { product_id: string }).product_id)).toEqual(['b']);
  });

  it('drops an event over 32 KB with a console message and sends the rest', async () => {
    const { client, transport, logs } = createSdk();
    client.track('Huge', { blob: 'x'.repeat(33 * 1024) });
    client.track('Product Viewed', { product_id: 'p-red' });
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(transport.events().map((e) => e.event)).toEqual(['Product Viewed']);
    expect(logs.join('\n')).toContain('over 32 KB');
  });

  it('ignores track without an event name', async () => {
    const { client, transport, logs } = createSdk();
    client.track('', {});
    client.track(undefined);
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(transport.sent).toHaveLength(0);
    expect(logs).toHaveLength(2);
  });
});

describe('the snippet core: identity', () => {
  it('keeps the anonymous id, adds the user id after identify, and starts over on reset', async () => {
    const { client, transport, storage } = createSdk();
    client.track('Product Viewed', { product_id: 'a' });
    const anonymous = client.user().anonymousId;
    client.identify('c-1042', { plan: 'gold' });
    client.track('Product Added', { product_id: 'a' });
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    const [viewed, identify, added] = transport.events();
    expect(viewed).toMatchObject({ anonymousId: anonymous });
    expect(viewed?.userId).toBeUndefined();
    expect(identify).toMatchObject({ type: 'identify', anonymousId: anonymous, userId: 'c-1042', traits: { plan: 'gold' } });
    expect(added).toMatchObject({ anonymousId: anonymous, userId: 'c-1042' });
    expect(storage.items.get('opentime.uid')).toBe('c-1042');

    client.reset();
    expect(client.user().userId).toBeNull();
    expect(client.user().anonymousId).not.toBe(anonymous);
  });

  it('sends the visitor’s consent with every later event, in Segment’s shape, and keeps it across pages', async () => {
    const storage = fakeStorage();
    const { client, transport, logs } = createSdk({ storage });
    client.track('Product Viewed', { product_id: 'a' });
    client.consent({ Personalization: false, Analytics: true });
    client.track('Product Added', { product_id: 'a' });
    client.consent({ Analytics: false });
    client.consent({ Personalization: 'no' });
    client.consent('yes');
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    const [before, after] = transport.events();
    expect((before?.context as Record<string, unknown>).consent).toBeUndefined();
    expect((after?.context as Record<string, unknown>).consent).toEqual({ categoryPreferences: { Personalization: false, Analytics: true } });
    expect(logs.filter((l) => l.includes('opentime.consent takes'))).toHaveLength(2);

    const nextPage = createSdk({ storage });
    nextPage.client.track('Cart Viewed');
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    const [later] = nextPage.transport.events();
    expect((later?.context as Record<string, unknown>).consent).toEqual({ categoryPreferences: { Personalization: false, Analytics: false } });
  });

  it('sends the userHash given to identify with every later event of that user, across pages, and forgets it on reset or another user', async () => {
    const storage = fakeStorage();
    const { client, transport } = createSdk({ storage });
    client.track('Product Viewed', { product_id: 'a' });
    client.identify('c-1042', { plan: 'gold' }, { userHash: 'hash-of-c-1042' });
    client.track('Product Added', { product_id: 'a' });
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    const [viewed, identify, added] = transport.events();
    expect((viewed?.context as Record<string, unknown>).userHash).toBeUndefined();
    expect((identify?.context as Record<string, unknown>).userHash).toBe('hash-of-c-1042');
    expect((added?.context as Record<string, unknown>).userHash).toBe('hash-of-c-1042');

    const nextPage = createSdk({ storage });
    nextPage.client.track('Cart Viewed');
    nextPage.client.identify('c-1042');
    nextPage.client.identify('someone-else');
    nextPage.client.track('Cart Viewed');
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    const hashes = nextPage.transport.events().map((e) => (e.context as Record<string, unknown>).userHash);
    expect(hashes).toEqual(['hash-of-c-1042', 'hash-of-c-1042', undefined, undefined]);

    nextPage.client.identify('c-1042', {}, { userHash: 'hash-of-c-1042' });
    nextPage.client.reset();
    expect(storage.items.get('opentime.uhash')).toBeUndefined();
  });

  it('finds the same visitor after a reload (first-party storage)', () => {
    const storage = fakeStorage();
    const first = createSdk({ storage }).client;
    first.identify('c-7');
    const again = createSdk({ storage }).client;
    expect(again.user()).toEqual(first.user());
  });
});

describe('the snippet core: retries and persistence', () => {
  it('retries with exponential backoff while the API fails, then sends and stops', async () => {
    const transport = fakeTransport();
    transport.replies = [503, 503, 0, 502, 200];
    const { client, storage } = createSdk({ transport });
    const start = Date.now();
    client.track('Product Added', { product_id: 'p-red' });
    await vi.advanceTimersByTimeAsync(60_000);
    // First try after the batching delay, then 1, 2, 4 and 8 seconds later (jitter fixed at ×1 here).
    expect(transport.sent.map((s) => s.at - start)).toEqual([1000, 2000, 4000, 8000, 16000]);
    const ids = new Set(transport.sent.map((s) => s.body.batch[0]?.messageId));
    expect(ids.size).toBe(1);
    expect(storage.queue()).toEqual([]);
  });

  it('backs off with jitter between half and all of the delay', async () => {
    const transport = fakeTransport();
    transport.replies = [503, 503, 200];
    const { client } = createSdk({ transport, random: 0 });
    const start = Date.now();
    client.track('Product Added', { product_id: 'p-red' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(transport.sent.map((s) => s.at - start)).toEqual([1000, 1500, 2500]);
  });

  it('keeps events in storage while offline and sends them when the browser is back online', async () => {
    const transport = fakeTransport();
    transport.online = false;
    const { client, storage } = createSdk({ transport });
    client.track('Product Added', { product_id: 'p-red' });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(transport.sent).toHaveLength(0);
    expect(storage.queue().map((e) => e.m.event)).toEqual(['Product Added']);
    transport.online = true;
    // The page's online event calls flush.
    client.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.events().map((e) => e.event)).toEqual(['Product Added']);
    expect(storage.queue()).toEqual([]);
  });

  it('sends events stored by an earlier page that could not send them (a reload loses nothing)', async () => {
    const storage = fakeStorage();
    const offline = fakeTransport();
    offline.online = false;
    const before = createSdk({ storage, transport: offline });
    before.client.track('Product Viewed', { product_id: 'a' });
    before.client.track('Product Added', { product_id: 'a' });
    before.client.flush(true);
    const stored = storage.queue().map((e) => e.m.messageId);
    expect(stored).toHaveLength(2);
    vi.clearAllTimers();

    const after = createSdk({ storage });
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(after.transport.events().map((e) => e.messageId)).toEqual(stored);
    expect(storage.queue()).toEqual([]);
  });

  it('keeps only the newest 200 events while it cannot send', async () => {
    const transport = fakeTransport();
    transport.online = false;
    const { client, storage } = createSdk({ transport });
    for (let i = 0; i < 250; i++) client.track('Product Viewed', { product_id: `p-${i}` });
    const queue = storage.queue();
    expect(queue).toHaveLength(200);
    expect((queue[0]?.m as { properties?: { product_id: string } }).properties?.product_id).toBe('p-50');
  });

  it('works from memory when storage refuses to write', async () => {
    const storage = fakeStorage();
    storage.broken = true;
    const { client, transport } = createSdk({ storage });
    client.track('Product Viewed', { product_id: 'a' });
    client.track('Product Viewed', { product_id: 'b' });
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(transport.events()).toHaveLength(2);
    expect(new Set(transport.events().map((e) => e.anonymousId)).size).toBe(1);
  });
});

describe('the snippet core: refused events', () => {
  it('halves a batch that the API refuses until the bad event is alone, delivers the rest and drops it', async () => {
    const transport = fakeTransport();
    transport.replies = [(sent) => (sent.body.batch.some((e) => e.event === 'Bad') ? 400 : 200)];
    const { client, storage, logs } = createSdk({ transport });
    for (const event of ['A', 'B', 'Bad', 'C']) client.track(event, {});
    await vi.advanceTimersByTimeAsync(10_000);
    const delivered = transport.sent.filter((s) => !s.body.batch.some((e) => e.event === 'Bad')).flatMap((s) => s.body.batch.map((e) => e.event));
    expect(delivered.sort()).toEqual(['A', 'B', 'C']);
    expect(transport.sent.at(-1)?.body.batch.map((e) => e.event)).not.toContain('Bad');
    expect(storage.queue()).toEqual([]);
    expect(logs.some((l) => l.includes('HTTP 400'))).toBe(true);
  });

  it('drops a batch refused with 401 or 403 instead of retrying forever', async () => {
    const transport = fakeTransport();
    transport.replies = [403];
    const { client, storage } = createSdk({ transport });
    client.track('Product Viewed', { product_id: 'a' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(transport.sent).toHaveLength(1);
    expect(storage.queue()).toEqual([]);
  });

  it('retries 429 and 408 like a server error', async () => {
    const transport = fakeTransport();
    transport.replies = [429, 408, 200];
    const { client, storage } = createSdk({ transport });
    client.track('Product Viewed', { product_id: 'a' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transport.sent).toHaveLength(3);
    expect(storage.queue()).toEqual([]);
  });
});

describe('the snippet core: leaving the page', () => {
  it('beacons the queue when the page is hidden, and confirms it with the next batch', async () => {
    const transport = fakeTransport();
    transport.replies = [-1, 200];
    const { client, storage } = createSdk({ transport });
    client.track('Product Added', { product_id: 'p-red' });
    client.flush(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.sent).toHaveLength(1);
    expect(transport.sent[0]?.unloading).toBe(true);
    // Handed to sendBeacon: the outcome is unknown, so it stays stored, marked.
    expect(storage.queue()).toHaveLength(1);
    expect(storage.queue()[0]?.b).toBeGreaterThan(0);
    // A second hide does not beacon it again.
    client.flush(true);
    expect(transport.sent).toHaveLength(1);

    client.track('Product Viewed', { product_id: 'p-blue' });
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(transport.sent[1]?.body.batch.map((e) => e.event)).toEqual(['Product Added', 'Product Viewed']);
    expect(storage.queue()).toEqual([]);
  });

  it('forgets a beaconed event after an hour instead of sending it again', async () => {
    const storage = fakeStorage();
    const transport = fakeTransport();
    transport.replies = [-1, 200];
    const { client } = createSdk({ storage, transport });
    client.track('Product Added', { product_id: 'p-red' });
    client.flush(true);
    await vi.advanceTimersByTimeAsync(0);
    vi.clearAllTimers();
    vi.setSystemTime(Date.now() + 61 * 60 * 1000);
    const later = createSdk({ storage });
    later.client.track('Product Viewed', { product_id: 'p-blue' });
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(later.transport.events().map((e) => e.event)).toEqual(['Product Viewed']);
  });

  it('does not beacon while offline: the events wait in storage for the next page', async () => {
    const transport = fakeTransport();
    transport.online = false;
    const { client, storage } = createSdk({ transport });
    client.track('Product Added', { product_id: 'p-red' });
    client.flush(true);
    expect(transport.sent).toHaveLength(0);
    expect(storage.queue()[0]?.b).toBe(0);
  });
});

describe('ldProducts (auto-capture of product views)', () => {
  it('reads a schema.org Product with an offer, a brand and an image', () => {
    expect(
      ldProducts({
        '@context': 'https://schema.org',
        '@type': 'Product',
        sku: 'p-red',
        name: 'The Red One',
        brand: { '@type': 'Brand', name: 'Acme' },
        category: 'shoes',
        image: ['https://cdn.example.com/red.jpg'],
        url: 'https://shop.example.com/p/red',
        offers: { '@type': 'Offer', price: '80.00', priceCurrency: 'USD' },
      }),
    ).toEqual([
      {
        product_id: 'p-red',
        sku: 'p-red',
        name: 'The Red One',
        brand: 'Acme',
        category: 'shoes',
        price: 80,
        currency: 'USD',
        url: 'https://shop.example.com/p/red',
        image_url: 'https://cdn.example.com/red.jpg',
      },
    ]);
  });

  it('finds products in @graph and arrays, prefers productID, and reads AggregateOffer and ImageObject', () => {
    const products = ldProducts([
      { '@type': 'BreadcrumbList' },
      {
        '@graph': [
          { '@type': 'Organization', name: 'Shop' },
          {
            '@type': ['Product', 'Thing'],
            productID: 'sku-1',
            sku: 'SKU-1-M',
            image: { '@type': 'ImageObject', url: 'https://cdn.example.com/1.jpg' },
            offers: [{ '@type': 'AggregateOffer', lowPrice: 19.5, priceCurrency: 'EUR' }],
          },
        ],
      },
    ]);
    expect(products).toEqual([{ product_id: 'sku-1', sku: 'SKU-1-M', price: 19.5, currency: 'EUR', image_url: 'https://cdn.example.com/1.jpg' }]);
  });

  it('skips products without an id and anything that is not a product', () => {
    expect(ldProducts({ '@type': 'Product', name: 'No id' })).toEqual([]);
    expect(ldProducts({ '@type': 'Offer', sku: 'x' })).toEqual([]);
    expect(ldProducts('not json-ld')).toEqual([]);
    expect(ldProducts({ '@type': 'http://schema.org/Product', sku: 'x', offers: { price: '' } })).toEqual([{ product_id: 'x', sku: 'x' }]);
  });
});
