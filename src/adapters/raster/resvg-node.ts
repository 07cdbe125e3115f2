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
  };
}
