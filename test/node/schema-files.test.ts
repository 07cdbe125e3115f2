import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/adapters/node/files.ts';
import { jsonSchemas } from '../../src/core/blocks/json-schema.ts';

describe('JSON Schema files for editors', () => {
  it('are committed and current (run `npm run schema` after changing a block schema)', async () => {
    for (const [file, schema] of Object.entries(jsonSchemas())) {
      const committed = JSON.parse(await readFile(join(PROJECT_ROOT, 'templates', 'schema', file), 'utf8'));
      expect(committed, file).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });

  it('are named by every starter block’s $schema', async () => {
    const dir = join(PROJECT_ROOT, 'templates');
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json'))) {
      expect(JSON.parse(await readFile(join(dir, file), 'utf8')).$schema, file).toBe('./schema/block.json');
    }
  });
});
