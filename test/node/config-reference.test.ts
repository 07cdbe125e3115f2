import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/adapters/node/files.ts';
import { CONFIG_SETTINGS, LAUNCHER_SETTINGS, configSchema } from '../../src/core/config.ts';
import { REFERENCE_FILE, configReference, withReference } from '../../scripts/config-reference.ts';

/** Every `OPENTIME_*` (and the few unprefixed) name a source file reads from its environment. */
async function variablesRead(file: string): Promise<string[]> {
  const source = await readFile(join(PROJECT_ROOT, file), 'utf8');
  const names = [...source.matchAll(/(?:env|process\.env)(?:\.|\[['"])([A-Z][A-Z0-9_]+)/g)].map((m) => m[1] ?? '');
  return [...new Set(names)].filter((name) => name !== 'PATH');
}

describe('the configuration reference in docs/configuration.md', () => {
  it('is committed and current (run `npm run docs:config` after changing the config schema or its docs)', async () => {
    const committed = await readFile(REFERENCE_FILE, 'utf8');
    expect(committed).toBe(withReference(committed, configReference()));
  });

  it('lists every variable of the schema, and the launcher’s', async () => {
    const reference = configReference();
    for (const name of [...Object.keys(configSchema.shape), ...Object.keys(LAUNCHER_SETTINGS)]) expect(reference, name).toContain(`| \`${name}\` |`);
  });

  it('includes the signing and Workers settings the hand-written table had left out', () => {
    const reference = configReference();
    for (const name of ['OPENTIME_SIGNING_KEYS', 'OPENTIME_REQUIRE_SIGNATURE', 'OPENTIME_IMAGE_RESIZING']) expect(reference).toContain(`| \`${name}\` |`);
  });

  it('documents every variable the entries read, whether through the schema or not', async () => {
    const documented = new Set([...Object.keys(CONFIG_SETTINGS), ...Object.keys(LAUNCHER_SETTINGS)]);
    // Names the entries look up that are bindings, not settings.
    const bindings = new Set(['SUBJECTS', 'GLOBALS', 'TRIGGERS', 'TEMPLATES']);
    for (const file of ['src/node.ts', 'src/worker.ts', 'src/cli.ts', 'src/run-with-node.mjs', 'src/core/config.ts']) {
      for (const name of await variablesRead(file)) if (!bindings.has(name)) expect(documented.has(name), `${file} reads ${name}`).toBe(true);
    }
  });

  it('shows the schema’s own defaults and ranges', () => {
    const reference = configReference();
    expect(reference).toMatch(/\| `OPENTIME_STORE_TIMEOUT_MS` \| `50` \| an integer, 5–10,000 \|/);
    expect(reference).toMatch(/\| `OPENTIME_IMAGE_RESIZING` \| `none` \| one of `none`, `cloudflare` \| Workers only\./);
    expect(reference).toMatch(/\| `OPENTIME_REQUIRE_SIGNATURE` \| `0` \| a flag/);
  });

  it('refuses a file whose markers are gone, rather than appending a second table', () => {
    expect(() => withReference('# Configuration\n', configReference())).toThrow(/lost its markers/);
  });
});
