import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/adapters/node/files.ts';
import { productGridBlockSchema, type ProductGridBlock } from '../../../src/core/blocks/product-grid.ts';
import type { GridDecision, ShownProduct } from '../../../src/core/decide/decide.ts';
import type { Element } from '../../../src/core/render/elements.ts';
import { createRenderer, type Renderer } from '../../../src/core/render/renderer.ts';
import { splitTiles } from '../../../src/core/render/tiles.ts';
import type { ResolvedTemplate } from '../../../src/core/templates/registry.ts';
import { createTestApp, testBlock, type TestApp } from '../../helpers/app.ts';
import { startPhotoServer, type PhotoColor, type PhotoServer } from '../../helpers/photo-server.ts';

/**
 * Composited grids against the same decisions drawn whole, pixel by pixel:
 * what a subscriber sees must not depend on whether their decision was
 * drawn before. Real rendering (satori, resvg, sharp).
 */
let photos: PhotoServer;
let app: TestApp;
let composited: Renderer;
let whole: Renderer;
let block: ProductGridBlock;
let template: ResolvedTemplate;

beforeAll(async () => {
  photos = await startPhotoServer();
  app = await createTestApp();
  composited = app.opentime.services.renderer;
  const { deps } = app;
  whole = createRenderer({
    engine: app.opentime.services.engine,
    rasterizer: deps.rasterizer,
    images: deps.images,
    assets: deps.assets,
    fonts: deps.fonts,
    scale: 2,
    photoTimeoutMs: 3000,
    encoder: deps.encoder,
    layerCacheBytes: 0,
  });
  block = productGridBlockSchema.parse({ ...testBlock(), kind: 'product-grid', params: { headline: 'Still thinking about these?', cta: 'Shop now →' } });
  const found = await app.opentime.services.templates.get('product-grid');
  if (!found) throw new Error('product-grid template missing');
  template = found;
});

afterAll(async () => {
  await app.close();
  await photos.close();
});

function shown(color: PhotoColor, overrides: Partial<ShownProduct> = {}): ShownProduct {
  return {
    id: `p-${color}`,
    title: `${color} thing`,
    price: 40,
    currency: 'USD',
    url: `https://shop.example.com/${color}`,
    image_url: photos.url(color),
    source: 'cart',
    ...overrides,
  };
}

function decision(slots: Array<ShownProduct | null>): GridDecision {
  return { kind: 'product-grid', blockId: block.id, blockVersion: 1, personal: true, slots };
}

async function png(renderer: Renderer, d: GridDecision, t: ResolvedTemplate = template): Promise<Uint8Array> {
  const result = await renderer.renderGrid(block, d, t, Date.UTC(2026, 5, 1));
  if (!('png' in result)) throw new Error(`photos failed: ${result.failedProducts.join(', ')}`);
  return result.png;
}

/** Share of pixels whose colour differs by more than 16 in a channel (antialiasing differs by a step or two). */
async function differing(a: Uint8Array, b: Uint8Array): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((bytes) => sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
  if (!x || !y) throw new Error('not decoded');
  expect([x.info.width, x.info.height]).toEqual([y.info.width, y.info.height]);
  let count = 0;
  for (let i = 0; i < x.data.length; i += 3) {
    if (Math.max(...[0, 1, 2].map((c) => Math.abs((x.data[i + c] as number) - (y.data[i + c] as number)))) > 16) count++;
  }
  return count / (x.data.length / 3);
}

const drawn = () => composited.layers?.drawn ?? 0;

describe('composited product grids', () => {
  it('look the same as the whole render: sale prices, hostile and long titles, fewer filled slots', async () => {
    const cases: GridDecision[] = [
      decision([shown('red', { sale_price: 29.5 }), shown('green'), shown('blue', { sale_price: 12 })]),
      decision([
        shown('orange', { title: '<img src=x onerror=alert(1)> {{ 7*7 }} {% raw %} and a title far too long to fit on two lines of a card' }),
        shown('purple', { title: 'Supercalifragilisticexpialidociousandevenlongerwithoutanyspace' }),
        shown('teal'),
      ]),
      decision([shown('red'), null, shown('teal')]),
      decision([shown('green'), null, null]),
    ];
    for (const d of cases) {
      const [a, b] = await Promise.all([png(composited, d), png(whole, d)]);
      expect(await differing(a, b)).toBeLessThan(0.0005);
    }
  });

  it('draws a decision never drawn from its products’ tiles, without laying anything out again', async () => {
    await png(composited, decision([shown('red'), shown('green'), shown('blue')]));
    const before = drawn();
    const fresh = decision([shown('blue'), shown('red'), shown('green')]);
    const bytes = await png(composited, fresh);
    expect(drawn()).toBe(before);
    expect(await differing(bytes, await png(whole, fresh))).toBeLessThan(0.0005);
  });

  it('holds at most 8 composites at once however many opens draw, and every one is drawn', async () => {
    const colors: PhotoColor[] = ['red', 'green', 'blue', 'orange', 'purple', 'teal'];
    await png(composited, decision([shown('red'), shown('green'), shown('blue')]));
    await png(composited, decision([shown('orange'), shown('purple'), shown('teal')]));
    const many = Array.from({ length: 24 }, (_, i) => decision([0, 1, 2].map((k) => shown(colors[(i + k * (1 + (i % 5))) % colors.length] as PhotoColor, { price: 10 + i }))));
    const turns = composited.layers?.composites;
    if (!turns) throw new Error('no layer cache');
    let maxHeld = 0;
    let maxQueued = 0;
    let finished = false;
    const all = Promise.all(many.map((d) => png(composited, d))).finally(() => (finished = true));
    while (!finished) {
      maxHeld = Math.max(maxHeld, turns.holding);
      maxQueued = Math.max(maxQueued, turns.queued);
      await new Promise((r) => setImmediate(r));
    }
    const images = await all;
    expect(maxHeld).toBeLessThanOrEqual(8);
    expect(maxQueued).toBeGreaterThan(0);
    expect(turns.holding).toBe(0);
    expect(await differing(images[23] as Uint8Array, await png(whole, many[23] as GridDecision))).toBeLessThan(0.0005);
  });

  it('draws a stored template without tile marks whole', async () => {
    const plain: ResolvedTemplate = { ...template, name: 'plain', origin: 'stored v1', source: template.source.replaceAll('data-tile ', ''), digest: 'plain-template' };
    const before = drawn();
    const d = decision([shown('orange'), shown('purple'), shown('teal')]);
    const bytes = await png(composited, d, plain);
    expect(drawn()).toBe(before);
    expect(await differing(bytes, await png(whole, d, plain))).toBeLessThan(0.0005);
  });

  it('draws whole a template whose layout shrinks its tiles below their declared size', async () => {
    // Three 400-px cards in a 566-px row: flex shrinks them, so a tile drawn at 400 px would not fit.
    const squeezed: ResolvedTemplate = {
      name: 'squeezed',
      origin: 'stored v1',
      digest: 'squeezed-template',
      source: `<div style="display: flex; width: 600px; height: 300px; padding: 17px; box-sizing: border-box; background-color: #fafafa; font-family: Inter">{% for product in products %}<div data-tile style="display: flex; flex-direction: column; width: 400px; height: 200px"><img src="{{ product.image_url }}" width="120" height="120" style="width: 120px; height: 120px"><div style="font-size: 16px">{{ product.title }}</div></div>{% endfor %}</div>`,
    };
    const d = decision([shown('red'), shown('green'), shown('blue')]);
    const [a, b] = await Promise.all([png(composited, d, squeezed), png(whole, d, squeezed)]);
    expect(await differing(a, b)).toBeLessThan(0.0005);
  });

  it('ships templates whose cards are tiles', async () => {
    for (const name of ['product-grid', 'product-row']) {
      const source = await readFile(resolve(PROJECT_ROOT, 'templates', `${name}.html`), 'utf8');
      expect(source).toContain('data-tile');
    }
  });
});

describe('splitTiles', () => {
  const card = (style: Record<string, string | number>, children: Element['props']['children'] = 'x'): Element => ({
    type: 'div',
    key: null,
    props: { tile: true, style, children },
  });
  const root = (style: Record<string, string | number>, ...children: Element[]): Element => ({ type: 'div', key: null, props: { style, children } });

  it('keeps placement on the layer’s empty box and inherited text styles with the tile', () => {
    const split = splitTiles(
      root(
        { display: 'flex', fontFamily: 'Inter', color: '#111', backgroundColor: '#fff' },
        card({ width: '100px', height: 80, marginLeft: 12, flexDirection: 'column', backgroundColor: '#eee' }),
      ),
    );
    expect(split?.tiles).toHaveLength(1);
    expect(split?.tiles[0]).toMatchObject({ width: 100, height: 80, inherited: [{ fontFamily: 'Inter', color: '#111' }] });
    expect(split?.tiles[0]?.element.props.style).toEqual({ width: '100px', height: 80, flexDirection: 'column', backgroundColor: '#eee' });
    const [layerCard] = split?.layer.props.children as Element[];
    expect(layerCard).toMatchObject({ key: 'tile:0', props: { style: { display: 'flex', width: '100px', height: 80, marginLeft: 12 } } });
  });

  it('refuses what a tile drawn alone could not reproduce', () => {
    expect(splitTiles(root({ display: 'flex' }, card({ width: 100 })))).toBeUndefined(); // no height
    expect(splitTiles(root({ display: 'flex' }, card({ width: '50%', height: 80 })))).toBeUndefined();
    expect(splitTiles(root({ display: 'flex', opacity: 0.5 }, card({ width: 100, height: 80 })))).toBeUndefined();
    expect(splitTiles(root({ display: 'flex', overflow: 'hidden' }, card({ width: 100, height: 80 })))).toBeUndefined();
    expect(splitTiles(root({ display: 'flex' }, card({ width: 100, height: 80 }, card({ width: 50, height: 50 }))))).toBeUndefined(); // nested
    expect(splitTiles(root({ display: 'flex' }, { type: 'div', key: null, props: { style: { width: 10, height: 10 } } }))).toBeUndefined(); // no tile at all
  });
});
