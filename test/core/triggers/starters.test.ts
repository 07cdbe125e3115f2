import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/adapters/node/files.ts';
import { triggerSchema } from '../../../src/core/triggers/schema.ts';

const dir = join(PROJECT_ROOT, 'templates', 'triggers');

describe('starter triggers in templates/triggers/', () => {
  it('are valid triggers, each named after its id, pointing editors at the schema', async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    for (const file of files) {
      const json = JSON.parse(await readFile(join(dir, file), 'utf8'));
      const parsed = triggerSchema.safeParse(json);
      expect(parsed.success, `${file}: ${parsed.error?.message}`).toBe(true);
      expect(`${json.id}.json`).toBe(file);
      expect(json.$schema, file).toBe('../schema/trigger.json');
    }
  });

  it('cover the moments shops trigger, and use blocks that ship as starters', async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    expect(files.sort()).toEqual([
      'abandoned-browse',
      'abandoned-cart',
      'abandoned-search',
      'back-in-stock',
      'post-purchase-cross-sell',
      'price-drop',
      'replenishment',
      'win-back',
    ]);
    const blocks = new Set((await readdir(join(PROJECT_ROOT, 'templates'))).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')));
    for (const file of files) {
      const trigger = triggerSchema.parse(JSON.parse(await readFile(join(dir, `${file}.json`), 'utf8')));
      for (const block of trigger.blocks) expect(blocks.has(block), `${file}: ${block}`).toBe(true);
    }
  });
});
