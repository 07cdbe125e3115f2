import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/core/shared/errors.ts';
import type { Assets, ImageFetcher } from '../../../src/core/ports.ts';
import { loadBlockImage } from '../../../src/core/render/block-image.ts';
import { solidPng } from '../../../src/core/render/png.ts';

const png = await solidPng(2, 2, '#ff0000');
const files: Record<string, Uint8Array> = { 'fallback/red.png': png, 'fallback/notes.txt': new TextEncoder().encode('not an image') };
const assets: Assets = { read: async (path) => files[path] };
// The http(s) path is the image fetcher's (its own tests); here it only has to be the one called.
const images = { fetchImage: async (url: string) => ({ dataUri: `data:image/png;base64,fetched:${url}` }) } as unknown as ImageFetcher;
const deps = { images, assets, photoTimeoutMs: 1000 };
const pixels = { width: 600, height: 300 };

describe('a block’s own image', () => {
  it('embeds a PNG under templates/ as a data URI', async () => {
    expect(await loadBlockImage(deps, 'fallback/red.png', pixels)).toMatch(/^data:image\/png;base64,iVBOR/);
  });

  it('fetches an http(s) image through the image fetcher', async () => {
    expect(await loadBlockImage(deps, 'https://cdn.example.com/hero.jpg', pixels)).toBe('data:image/png;base64,fetched:https://cdn.example.com/hero.jpg');
  });

  it('refuses a file that is not an image, or is missing, as an upstream failure (502) for every kind', async () => {
    for (const source of ['fallback/notes.txt', 'fallback/missing.png']) {
      const error = await loadBlockImage(deps, source, pixels).catch((e: unknown) => e);
      expect(isAppError(error) && { code: error.code, status: error.status }).toEqual({ code: 'IMAGE_FETCH_FAILED', status: 502 });
    }
  });
});
