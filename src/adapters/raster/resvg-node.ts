import { renderAsync } from '@resvg/resvg-js';
import type { Rasterizer } from '../../core/ports.ts';

/**
 * resvg's native build. `renderAsync` runs on libuv's thread pool, so a
 * render does not block the event loop that is serving cache hits. Text
 * arrives as paths (satori embeds glyph outlines), so no system fonts are
 * loaded.
 */
export function resvgNodeRasterizer(): Rasterizer {
  return {
    name: 'resvg-node',
    async rasterize(svg, scale) {
      const image = await renderAsync(svg, {
        fitTo: { mode: 'zoom', value: scale },
        font: { loadSystemFonts: false },
        logLevel: 'off',
      });
      return new Uint8Array(image.asPng());
    },
    async rasterizeRgba(svg, scale) {
      const image = await renderAsync(svg, {
        fitTo: { mode: 'zoom', value: scale },
        font: { loadSystemFonts: false },
        logLevel: 'off',
      });
      const data = new Uint8Array(image.pixels);
      unpremultiply(data);
      return { width: image.width, height: image.height, data };
    },
  };
}

/** resvg hands out premultiplied RGBA (tiny-skia's pixmap); the port promises straight alpha. */
function unpremultiply(data: Uint8Array): void {
  for (let i = 3; i < data.length; i += 4) {
    const a = data[i] as number;
    if (a === 0 || a === 255) continue;
    for (let c = i - 3; c < i; c++) data[c] = Math.min(255, Math.round(((data[c] as number) * 255) / a));
  }
}
