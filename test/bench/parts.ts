import type { RunningServer } from '../../src/node.ts';
import { DEMO_BLOCK_ID, DEMO_PRODUCTS } from '../../src/demo/catalog.ts';
import { startCatalogPhotos } from './catalog-photos.ts';
import { percentile, type Row } from './stats.ts';

/**
 * The demo block sliced against whole, with photo-like product photos: for
 * decisions never drawn (their products and layer drawn before), the whole
 * image's cold open, then the same decision's five parts fetched together as
 * an email client does (head, three slots, foot), each part a new render.
 * Bytes as first served and once served again (a PNG is re-encoded with a
 * palette off the request path; a JPEG is sent as it is).
 */
export interface PartsBenchDeps {
  benchServer(env?: Record<string, string>): Promise<RunningServer>;
  cart(server: RunningServer, userIds: readonly string[], ids: readonly string[]): Promise<void>;
  triples: readonly string[][];
  rounds: number;
}

const PARTS = ['head', '0', '1', '2', 'foot'];
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export async function partsBench(deps: PartsBenchDeps): Promise<{ rows: Row[]; summary: Row }> {
  const server = await deps.benchServer({ OPENTIME_IMAGE_HOSTS: '127.0.0.1:*', OPENTIME_RATE_OPENS_PER_MINUTE: '1000000' });
  const photos = await startCatalogPhotos(DEMO_PRODUCTS.length);
  try {
    const products = await server.deps.store.getProducts(DEMO_PRODUCTS.map((p) => p.id));
    await server.deps.store.putProducts(
      DEMO_PRODUCTS.map((p, i) => ({ ...(products.get(p.id) as NonNullable<ReturnType<typeof products.get>>), image_url: photos.url(i) })),
      Date.now(),
    );
    const fetchBytes = async (path: string) => {
      const response = await fetch(`${server.url}${path}`);
      return { bytes: (await response.arrayBuffer()).byteLength, cache: response.headers.get('x-opentime-cache'), type: response.headers.get('content-type') ?? '' };
    };
    // Warm every product's tile and the layer, whole and sliced.
    for (let i = 0; i < 8; i++) {
      await deps.cart(server, [`parts-warm-${i}`], deps.triples[i * 40] as string[]);
      await fetchBytes(`/i/${DEMO_BLOCK_ID}.png?u=parts-warm-${i}&m=bench`);
      await Promise.all(PARTS.map((part) => fetchBytes(`/i/${DEMO_BLOCK_ID}/${part}.png?u=parts-warm-${i}&m=bench`)));
    }
    const wholeMs: number[] = [];
    const partsMs: number[] = [];
    const firstPartMs: number[] = [];
    let wholeBytes = 0;
    let partsBytes = 0;
    const partBytes = new Map<string, number[]>();
    const types = new Map<string, string>();
    const fresh = deps.triples.filter((_, i) => i % 40 !== 0);
    for (let i = 0; i < deps.rounds; i++) {
      const triple = fresh[i] as string[];
      await deps.cart(server, [`whole-${i}`, `sliced-${i}`], triple);
      let started = performance.now();
      const whole = await fetchBytes(`/i/${DEMO_BLOCK_ID}.png?u=whole-${i}&m=bench`);
      wholeMs.push(performance.now() - started);
      if (whole.cache !== 'miss') throw new Error(`whole open ${i} was ${whole.cache}`);
      wholeBytes += whole.bytes;
      started = performance.now();
      let first = 0;
      const parts = await Promise.all(
        PARTS.map(async (part) => {
          const answer = await fetchBytes(`/i/${DEMO_BLOCK_ID}/${part}.png?u=sliced-${i}&m=bench`);
          first ||= performance.now() - started;
          return { part, ...answer };
        }),
      );
      partsMs.push(performance.now() - started);
      firstPartMs.push(first);
      for (const { part, bytes, type } of parts) {
        partsBytes += bytes;
        partBytes.set(part, [...(partBytes.get(part) ?? []), bytes]);
        types.set(part, type.replace('image/', ''));
      }
    }
    // Served again, until the palette re-encodings (off the request path) have replaced the PNGs.
    const again = async (path: string) => {
      let smallest = Number.POSITIVE_INFINITY;
      for (let n = 0; n < 6; n++) {
        smallest = Math.min(smallest, (await fetchBytes(path)).bytes);
        await new Promise((r) => setTimeout(r, 150));
      }
      return smallest;
    };
    const wholeAgain = await again(`/i/${DEMO_BLOCK_ID}.png?u=whole-0&m=bench`);
    let partsAgain = 0;
    for (const part of PARTS) partsAgain += await again(`/i/${DEMO_BLOCK_ID}/${part}.png?u=sliced-0&m=bench`);
    const n = deps.rounds;
    const perPart = PARTS.map((part) => `${part} ${kb(percentile(partBytes.get(part) ?? [], 50))} ${types.get(part)}`).join(', ');
    const rows: Row[] = [
      {
        name: 'whole image, cold open over HTTP',
        median: percentile(wholeMs, 50),
        p99: percentile(wholeMs, 99),
        extra: `${kb(wholeBytes / n)} first served, ${kb(wholeAgain)} served again`,
      },
      {
        name: 'five parts of the same decision, fetched together',
        median: percentile(partsMs, 50),
        p99: percentile(partsMs, 99),
        extra: `${kb(partsBytes / n)} in all first served, ${kb(partsAgain)} served again`,
      },
      { name: '  the first part to arrive', median: percentile(firstPartMs, 50), p99: percentile(firstPartMs, 99), extra: perPart },
      {
        name: 'ratio parts / whole (bytes first served, median time)',
        extra: `${(partsBytes / wholeBytes).toFixed(2)}× bytes, ${(percentile(partsMs, 50) / percentile(wholeMs, 50)).toFixed(2)}× time`,
      },
    ];
    return {
      rows,
      summary: {
        name: '14. parts (photo-like) vs whole: bytes, time',
        extra: `${kb(partsBytes / n)} vs ${kb(wholeBytes / n)}, ${percentile(partsMs, 50).toFixed(1)} vs ${percentile(wholeMs, 50).toFixed(1)} ms`,
      },
    };
  } finally {
    await photos.close();
    await server.close();
  }
}
