import { describe, expect, it } from 'vitest';
import { imageSize, workersImageFetcher } from '../../src/adapters/image/workers-fetch.ts';
import { photoHits, photoUrl } from './helpers/app.ts';

const box = { width: 200, height: 200 };

describe('the Workers image fetcher', () => {
  it('reads the size of a PNG, GIF and JPEG from its header', () => {
    const png = new Uint8Array(24);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 2, 0, 0, 0, 1, 0x2c]);
    expect(imageSize(png)).toEqual({ width: 512, height: 300 });
    const gif = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x40, 0x01, 0xf0, 0x00]);
    expect(imageSize(gif)).toEqual({ width: 320, height: 240 });
    // SOI, an APP0 segment to skip, a DHT (not a frame), then SOF2 (progressive) with 480×640.
    const jpeg = new Uint8Array([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc4, 0x00, 0x03, 0x00, 0xff, 0xc2, 0x00, 0x0b, 0x08, 0x01, 0xe0, 0x02, 0x80, 0x01, 0x01, 0x11, 0x00,
    ]);
    expect(imageSize(jpeg)).toEqual({ width: 640, height: 480 });
    expect(imageSize(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });

  it('embeds a photo as a data URI of its own type, fetched once for concurrent callers', async () => {
    const fetcher = workersImageFetcher({ timeoutMs: 2000 });
    const before = await photoHits('teal');
    const images = await Promise.all(Array.from({ length: 5 }, () => fetcher.fetchImage(photoUrl('teal'), box)));
    expect(images[0]?.dataUri).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    expect([images[0]?.width, images[0]?.height]).toEqual([400, 400]);
    expect(new Set(images.map((i) => i.dataUri)).size).toBe(1);
    await fetcher.fetchImage(photoUrl('teal'), { width: 50, height: 50 });
    expect((await photoHits('teal')) - before).toBe(1);
  });

  it('refuses photos it cannot or should not embed, saying why', async () => {
    const fetcher = workersImageFetcher({ timeoutMs: 2000, maxPixels: 8_000_000 });
    await expect(fetcher.fetchImage(photoUrl('html'), box)).rejects.toThrow(/text\/html, not an image/);
    await expect(fetcher.fetchImage(photoUrl('garbage'), box)).rejects.toThrow(/not a PNG, JPEG or GIF/);
    await expect(fetcher.fetchImage(photoUrl('webp'), box)).rejects.toThrow(/not a PNG, JPEG or GIF/);
    await expect(fetcher.fetchImage(photoUrl('missing'), box)).rejects.toThrow(/answered 404/);
    await expect(fetcher.fetchImage(photoUrl('huge'), box)).rejects.toThrow(/larger than 4194304 bytes|limit is 4194304/);
    await expect(fetcher.fetchImage(photoUrl('giant'), box)).rejects.toThrow(/9000×9000 pixels; the limit is 8000000/);
  });

  it('remembers a failure for a while instead of fetching again', async () => {
    const fetcher = workersImageFetcher({ timeoutMs: 2000, failureTtlMs: 60_000 });
    const before = await photoHits('missing');
    await expect(fetcher.fetchImage(photoUrl('missing'), box)).rejects.toThrow();
    await expect(fetcher.fetchImage(photoUrl('missing'), box)).rejects.toThrow();
    expect((await photoHits('missing')) - before).toBe(1);
  });

  it('stops waiting at the caller’s signal while the shared fetch goes on', async () => {
    const fetcher = workersImageFetcher({ timeoutMs: 10_000 });
    const started = Date.now();
    await expect(fetcher.fetchImage(photoUrl('slow'), box, AbortSignal.timeout(200))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
