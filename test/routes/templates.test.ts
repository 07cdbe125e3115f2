import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/adapters/node/files.ts';
import { blockSchema } from '../../src/core/blocks/schema.ts';
import { problemsFrom } from '../../src/core/shared/validation.ts';

describe('starter block configs in templates/', () => {
  it('are valid blocks whose file name is their id', async () => {
    const dir = join(PROJECT_ROOT, 'templates');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const parsed = blockSchema.safeParse(JSON.parse(await readFile(join(dir, file), 'utf8')));
      expect(parsed.success ? [] : problemsFrom(parsed.error), file).toEqual([]);
      expect(parsed.data?.id, file).toBe(file.replace(/\.json$/, ''));
    }
  });

  it('name fallback images that ship with them, as PNGs sharp at 2×', async () => {
    const dir = join(PROJECT_ROOT, 'templates');
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json'))) {
      const block = blockSchema.parse(JSON.parse(await readFile(join(dir, file), 'utf8')));
      const image = block.fallback.image;
      expect(image, `${file} has a fallback image`).toBeDefined();
      if (!image || /^https?:/.test(image)) continue;
      const meta = await sharp(await readFile(join(dir, image))).metadata();
      expect(meta.format, `${file}: ${image}`).toBe('png');
      expect(meta.width ?? 0, `${file}: ${image}`).toBeGreaterThanOrEqual(block.size.width * 2);
    }
  });
});
