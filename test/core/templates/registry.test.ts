import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../../src/adapters/store/memory.ts';
import type { Assets } from '../../../src/core/ports.ts';
import { TemplateRegistry } from '../../../src/core/templates/registry.ts';

describe('TemplateRegistry', () => {
  it('reads only the shipped names from templates/, so unknown names leave nothing behind', async () => {
    const reads: string[] = [];
    const assets: Assets = {
      async read(path) {
        reads.push(path);
        return path === 'hero.html' ? new TextEncoder().encode('<div>hero</div>') : undefined;
      },
    };
    const registry = new TemplateRegistry(memoryStore(), assets, 0);
    for (let i = 0; i < 100; i++) expect(await registry.get(`no-such-template-${i}`)).toBeUndefined();
    expect((await registry.get('hero'))?.origin).toBe('built-in');
    expect((await registry.get('hero'))?.source).toBe('<div>hero</div>');
    expect(reads).toEqual(['hero.html']);
  });
});
