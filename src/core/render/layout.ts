import satori, { init } from 'satori/standalone';
import type { FontSpec } from '../ports.ts';
import type { Element } from './elements.ts';
import { coverage, drawableTree } from './glyphs.ts';

/**
 * Satori's layout engine is WebAssembly; each platform loads the module its
 * own way (Node reads the file, Workers import it) and hands it here once.
 */
let ready: Promise<void> | undefined;

export function initLayout(wasm: ArrayBuffer | Uint8Array | WebAssembly.Module): Promise<void> {
  ready ??= init(wasm as Parameters<typeof init>[0]).catch((error: unknown) => {
    ready = undefined;
    throw new Error('[opentime] [layout] could not load satori layout.wasm', { cause: error });
  });
  return ready;
}

/** Where satori placed an element (CSS pixels, from the canvas's top-left corner). */
export interface PlacedNode {
  key?: string | number | undefined;
  left: number;
  top: number;
  width: number;
  height: number;
}

export async function toSvg(element: Element, width: number, height: number, fonts: readonly FontSpec[], onNode?: (node: PlacedNode) => void): Promise<string> {
  if (!ready) throw new Error('[opentime] [layout] initLayout() was not called before rendering');
  await ready;
  // Characters no font has are left out rather than drawn as empty boxes.
  const drawable = drawableTree(element, coverage(fonts));
  return satori(drawable as unknown as Parameters<typeof satori>[0], {
    width,
    height,
    fonts: fonts as FontSpec[],
    ...(onNode ? { onNodeDetected: onNode } : {}),
  });
}
