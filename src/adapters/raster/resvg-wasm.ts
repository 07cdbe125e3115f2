import { Resvg, initWasm } from '@resvg/resvg-wasm';
import type { Rasterizer, RgbaImage } from '../../core/ports.ts';

/**
 * resvg compiled to WebAssembly, for runtimes without native addons
 * (Cloudflare Workers). The caller hands over the module (`index_bg.wasm`,
 * which Workers import as a compiled module); it is instantiated once per
 * isolate. A failed init rejects, here and for every render after it, with
 * the cause: an image route then serves its fallback and says why, instead
 * of a rasterizer that silently draws nothing.
 *
 * Each render allocates in wasm memory, which JavaScript's garbage collector
 * does not see: the Resvg and RenderedImage objects are freed explicitly, or
 * a long-lived isolate would grow until it is killed.
 */
export type ResvgWasmModule = WebAssembly.Module | ArrayBuffer | Uint8Array;

let ready: Promise<void> | undefined;

export function initResvgWasm(wasm: ResvgWasmModule): Promise<void> {
  ready ??= initWasm(wasm as Parameters<typeof initWasm>[0]).catch((error: unknown) => {
    ready = undefined;
    throw new Error('[opentime] [resvg-wasm] could not load index_bg.wasm', { cause: error });
  });
  return ready;
}

type Rendered = ReturnType<InstanceType<typeof Resvg>['render']>;

async function render<T>(svg: string, scale: number, read: (image: Rendered) => T): Promise<T> {
  if (!ready) throw new Error('[opentime] [resvg-wasm] initResvgWasm() was not called before rendering');
  await ready;
  // Text arrives as glyph outlines (satori embeds them), so no fonts are loaded here.
  const resvg = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: false } });
  try {
    const image = resvg.render();
    try {
      return read(image);
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/** resvg hands out premultiplied RGBA (tiny-skia's pixmap); the port promises straight alpha. */
function unpremultiply(data: Uint8Array): void {
  for (let i = 3; i < data.length; i += 4) {
    const a = data[i] as number;
    if (a === 0 || a === 255) continue;
    for (let c = i - 3; c < i; c++) data[c] = Math.min(255, Math.round(((data[c] as number) * 255) / a));
  }
}

export function resvgWasmRasterizer(): Rasterizer {
  return {
    name: 'resvg-wasm',
    rasterize(svg, scale) {
      return render(svg, scale, (image) => image.asPng());
    },
    rasterizeRgba(svg, scale): Promise<RgbaImage> {
      return render(svg, scale, (image) => {
        // `pixels` copies out of wasm memory, so the copy outlives free().
        const data = new Uint8Array(image.pixels);
        unpremultiply(data);
        return { width: image.width, height: image.height, data };
      });
    },
  };
}
