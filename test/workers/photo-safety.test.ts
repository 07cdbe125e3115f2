import { describe, expect, it } from 'vitest';
import { workersImageFetcher, type WorkersFetcherOptions } from '../../src/adapters/image/workers-fetch.ts';
import { ImageFetchError } from '../../src/core/images/fetch-error.ts';
import { addressRange, checkImageUrl, parseHostPatterns, type ImageUrlPolicy } from '../../src/core/images/url-safety.ts';
import { photoHits } from './helpers/app.ts';
import { PHOTO_ORIGIN } from './photo-server.ts';

/**
 * The photo checks inside workerd: its own URL parser must normalize hosts
 * the way the checks expect, and the Workers fetcher must check every hop
 * itself (there is no DNS lookup to hook here; Cloudflare's edge keeps
 * fetches out of private networks). The photo service answers 502 to any
 * origin but its own, so a hop that was not refused would fail differently.
 */
const box = { width: 200, height: 200 };

function verdict(url: string, policy: ImageUrlPolicy = {}): string {
  try {
    checkImageUrl(url, policy);
    return 'ok';
  } catch (error) {
    if (error instanceof ImageFetchError) return error.reason;
    throw error;
  }
}

function fetcher(options: Partial<WorkersFetcherOptions> = {}) {
  const counts = new Map<string, number>();
  const images = workersImageFetcher({ timeoutMs: 3000, failureTtlMs: 1, count: (name) => counts.set(name, (counts.get(name) ?? 0) + 1), ...options });
  return { images, counts: () => Object.fromEntries(counts) };
}

async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ImageFetchError)) throw new Error(`expected an ImageFetchError, got ${String(error)}`);
  return `${error.refused ? 'refused' : 'failed'}.${error.reason}`;
}

describe('photo URL checks in workerd', () => {
  it('refuses internal addresses in every spelling workerd’s URL parser accepts', () => {
    for (const url of [
      'http://2130706433/a.png',
      'http://0x7f.1/a.png',
      'http://127.1/a.png',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[fd00:ec2::254]/',
      'http://localhost/a.png',
      'http://metadata.google.internal/',
    ]) {
      expect(verdict(url), url).toBe('address');
    }
    expect(verdict('https://cdn.shop.example/a.png')).toBe('ok');
    expect(verdict('https://cdn.shop.example:8443/a.png')).toBe('port');
    expect(verdict('https://u:p@cdn.shop.example/a.png')).toBe('credentials');
    expect(verdict('https://other.example/a.png', { hosts: parseHostPatterns('*.shop.example').patterns })).toBe('host');
    expect(addressRange('::ffff:a00:1')).toBe('private');
  });

  it('fetches from an allowed host and refuses others without fetching', async () => {
    const { images, counts } = fetcher({ policy: { hosts: parseHostPatterns('photos.test').patterns } });
    expect((await images.fetchImage(`${PHOTO_ORIGIN}/teal.png`, box)).width).toBe(400);
    expect(await reason(images.fetchImage('http://cdn.elsewhere.example/a.png', box))).toBe('refused.host');
    expect(await reason(images.fetchImage('http://10.0.0.1/a.png', box))).toBe('refused.host');
    expect(counts()).toEqual({ 'images.fetched': 1, 'images.failed': 2, 'images.refused.host': 2 });
  });

  it('refuses a redirect to the metadata address or loopback, checking each hop before fetching it', async () => {
    const { images, counts } = fetcher();
    const to = (target: string) => `${PHOTO_ORIGIN}/redirect.png?to=${encodeURIComponent(target)}`;
    expect(await reason(images.fetchImage(to('http://169.254.169.254/latest/meta-data/'), box))).toBe('refused.address');
    expect(await reason(images.fetchImage(to('http://127.0.0.1/a.png'), box))).toBe('refused.address');
    expect(await reason(images.fetchImage(to('http://[::1]/a.png'), box))).toBe('refused.address');
    expect(await reason(images.fetchImage(to('file:///etc/passwd'), box))).toBe('refused.scheme');
    expect((await images.fetchImage(to(`${PHOTO_ORIGIN}/purple.png`), box)).width).toBe(400);
    expect(counts()).toEqual({ 'images.failed': 4, 'images.refused.address': 3, 'images.refused.scheme': 1, 'images.fetched': 1 });
  });

  it('follows redirects up to the limit and refuses a longer chain', async () => {
    const { images } = fetcher({ maxRedirects: 3 });
    expect((await images.fetchImage(`${PHOTO_ORIGIN}/hop-2.png`, box)).width).toBe(400);
    const before = await photoHits('red');
    expect(await reason(images.fetchImage(`${PHOTO_ORIGIN}/hop-3.png`, box))).toBe('refused.redirects');
    expect(await photoHits('red')).toBe(before);
  });

  it('counts refused types, sizes and pixel counts, and missing photos as failed', async () => {
    const { images, counts } = fetcher();
    expect(await reason(images.fetchImage(`${PHOTO_ORIGIN}/html.png`, box))).toBe('refused.type');
    expect(await reason(images.fetchImage(`${PHOTO_ORIGIN}/garbage.png`, box))).toBe('refused.type');
    expect(await reason(images.fetchImage(`${PHOTO_ORIGIN}/huge.png`, box))).toBe('refused.size');
    expect(await reason(images.fetchImage(`${PHOTO_ORIGIN}/giant.png`, box))).toBe('refused.pixels');
    expect(await reason(images.fetchImage(`${PHOTO_ORIGIN}/missing.png`, box))).toBe('failed.status');
    expect(counts()).toEqual({
      'images.failed': 5,
      'images.refused.type': 2,
      'images.refused.size': 1,
      'images.refused.pixels': 1,
      'images.failed.status': 1,
    });
  });
});
