import { describe, expect, it } from 'vitest';
import { testBlock } from '../helpers/app.ts';
import { PHOTO_COLORS } from '../helpers/photo-server.ts';
import { useSeededApp } from '../helpers/node-runtime.ts';
import { slotBox } from '../helpers/pixels.ts';

/**
 * What an open does with photos the fetcher refuses: it still answers 200
 * with an image (the products whose photos loaded, else the block's
 * fallback), and the stats say why each photo was refused. The test app
 * allows only the photo server on 127.0.0.1 (test/helpers/app.ts).
 */

const { app, photos } = useSeededApp();

const stats = async () => ((await (await app.admin('GET', '/v1/stats')).json()) as { counters: Record<string, number> }).counters;

describe('photos the fetcher refuses', () => {
  it('answers the open with the block’s fallback and counts why each photo was refused', async () => {
    await app.admin('PUT', '/v1/catalog/products', [
      { id: 'p-metadata', title: 'Metadata', price: 10, url: 'https://shop.example.com/m', image_url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' },
      { id: 'p-html', title: 'HTML photo', price: 10, url: 'https://shop.example.com/h', image_url: photos.url('html') },
      { id: 'p-garbage', title: 'Garbage photo', price: 10, url: 'https://shop.example.com/g', image_url: photos.url('garbage') },
    ]);
    await app.admin('PUT', '/v1/blocks/hostile', testBlock({ id: 'hostile', source: [{ from: 'products', ids: ['p-metadata', 'p-html', 'p-garbage'] }] }));
    const { response, pixels } = await app.open('hostile', { u: 'alice' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-opentime-fallback')).toBe('static');
    expect([pixels.width, pixels.height]).toEqual([1200, 600]);
    await app.settle();
    const counters = await stats();
    // Every attempt is counted (the renderer may try a photo more than once while looking for a fallback).
    expect(counters['images.refused.host']).toBeGreaterThanOrEqual(1);
    expect(counters['images.refused.type']).toBeGreaterThanOrEqual(2);
    expect(counters['images.failed']).toBe((counters['images.refused.host'] ?? 0) + (counters['images.refused.type'] ?? 0));
  });

  it('leaves out a product whose photo is refused and shows the next one', async () => {
    await app.admin('PUT', '/v1/catalog/products', [
      { id: 'p-inside', title: 'Inside', price: 10, url: 'https://shop.example.com/i', image_url: 'http://localhost:6379/admin.png' },
    ]);
    await app.admin('PUT', '/v1/blocks/mixed', testBlock({ id: 'mixed', source: [{ from: 'products', ids: ['p-inside', 'p-red', 'p-blue'] }] }));
    const { response, pixels } = await app.open('mixed', { u: 'bob' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-opentime-fallback')).toBeNull();
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
    await app.settle();
    const counters = await stats();
    // Not on the test app's host list: 127.0.0.1:* is, the name localhost is not.
    expect(counters['images.refused.host']).toBeGreaterThanOrEqual(1);
    expect(counters['images.fetched']).toBeGreaterThanOrEqual(2);
  });
});
