import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Assets, FontSpec } from '../../core/ports.ts';

/** The project root: fonts/ and templates/ live beside src/. */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Files under one directory; a path that climbs out of it (`../`) is not found. */
export function directoryAssets(root: string): Assets {
  const base = resolve(root);
  return {
    async read(path) {
      const full = resolve(base, path);
      if (!full.startsWith(base + sep)) return undefined;
      try {
        return new Uint8Array(await readFile(full));
      } catch {
        return undefined;
      }
    },
  };
}

const FONT_FILES: ReadonlyArray<[file: string, weight: FontSpec['weight']]> = [
  ['Inter-Regular.ttf', 400],
  ['Inter-SemiBold.ttf', 600],
  ['Inter-Bold.ttf', 700],
];

/** The fonts templates may name, read once at start. */
export async function loadFonts(dir = resolve(PROJECT_ROOT, 'fonts')): Promise<FontSpec[]> {
  return Promise.all(
    FONT_FILES.map(async ([file, weight]) => {
      const bytes = await readFile(resolve(dir, file));
      const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      return { name: 'Inter', data, weight, style: 'normal' as const };
    }),
  );
}

export async function layoutWasm(): Promise<Uint8Array> {
  return new Uint8Array(await readFile(resolve(PROJECT_ROOT, 'node_modules/satori/layout.wasm')));
}
