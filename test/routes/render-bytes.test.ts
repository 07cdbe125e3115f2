import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seeded, type TestApp } from '../helpers/app.ts';
import { PHOTO_COLORS, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { sameImage, slotBox } from '../helpers/pixels.ts';

let photos: PhotoServer;
let app: TestApp;

beforeAll(async () => {
  photos = await startPhotoServer();
  app = await seeded(await createTestApp(), photos);
});
afterAll(async () => {
  await app.close();
  await photos.close();
});

const stats = async () => ((await (await app.admin('GET', '/v1/stats')).json()) as { counters: Record<string, number> }).counters;

describe('bytes of a render served again', () => {
  it('are re-encoded smaller after the first open, off the request path, and look the same', async () => {
    await app.send('track', { userId: 'repeat', event: 'Product Added', properties: { product_id: 'p-red' } });
    const first = await app.open('grid', { u: 'repeat', m: 'm1' });
    expect(first.response.headers.get('x-opentime-cache')).toBe('miss');
    // The second open is answered with the first bytes, and starts the re-encoding.
    const second = await app.open('grid', { u: 'repeat', m: 'm2' });
    expect(second.response.headers.get('x-opentime-cache')).toBe('hit');
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    await app.settle();
    const third = await app.open('grid', { u: 'repeat', m: 'm3' });
    expect(third.bytes.byteLength).toBeLessThan(first.bytes.byteLength);
    expect(await sameImage(third.bytes, first.bytes)).toBe(true);
    expect(third.pixels.share(PHOTO_COLORS.red, slotBox(third.pixels, 0))).toBeGreaterThan(0.25);
    await app.settle();
    expect((await stats())['renders.recompressed']).toBe(1);
  });
});
