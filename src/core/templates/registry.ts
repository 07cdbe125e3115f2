import { LRUCache } from 'lru-cache';
import type { Assets, StoredTemplate, TemplateStore } from '../ports.ts';
import { digest } from '../render/render-key.ts';

/**
 * Where templates come from: one stored with PUT /v1/templates/:name (so
 * marketers change them without a deploy), else the file shipped in
 * templates/<name>.html. A template's digest is part of every render key, so
 * a changed template is never served from an old render.
 */
export interface ResolvedTemplate {
  name: string;
  source: string;
  /** `stored v3` or `built-in`. */
  origin: string;
  digest: string;
}

export const TEMPLATE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** The templates shipped in templates/. */
export const BUILT_IN_TEMPLATES = ['product-grid', 'product-row', 'hero'] as const;

type Missing = { missing: true };
const MISSING: Missing = { missing: true };

export class TemplateRegistry {
  private readonly stored: LRUCache<string, ResolvedTemplate | Missing>;
  private readonly builtIn = new Map<string, Promise<ResolvedTemplate | undefined>>();
  private readonly store: TemplateStore;
  private readonly assets: Assets;

  /** Told when a template changes through this instance (what was drawn with it is not answered again). */
  private readonly onChange: () => void;

  constructor(store: TemplateStore, assets: Assets, cacheMs: number, onChange: () => void = () => undefined) {
    this.store = store;
    this.assets = assets;
    this.onChange = onChange;
    this.stored = new LRUCache({ max: 1000, ttl: Math.max(1, cacheMs) });
  }

  async get(name: string): Promise<ResolvedTemplate | undefined> {
    if (!TEMPLATE_NAME_PATTERN.test(name)) return undefined;
    let stored = this.stored.get(name);
    if (stored === undefined) {
      const found = await this.store.getTemplate(name);
      stored = found ? await this.resolved(found) : MISSING;
      this.stored.set(name, stored);
    }
    if (!('missing' in stored)) return stored;
    return this.shipped(name);
  }

  /** The template shipped in templates/<name>.html, read once. */
  shipped(name: string): Promise<ResolvedTemplate | undefined> {
    // Only shipped names are read and kept: any other (a typo, a probe of GET /v1/templates/:name) would add an entry for good.
    if (!(BUILT_IN_TEMPLATES as readonly string[]).includes(name)) return Promise.resolve(undefined);
    let found = this.builtIn.get(name);
    if (!found) {
      found = this.assets.read(`${name}.html`).then(async (bytes) => {
        if (!bytes) return undefined;
        const source = new TextDecoder().decode(bytes);
        return { name, source, origin: 'built-in', digest: await digest(source) };
      });
      this.builtIn.set(name, found);
    }
    return found;
  }

  async changed(template: StoredTemplate): Promise<void> {
    this.stored.set(template.name, await this.resolved(template));
    this.onChange();
  }

  /** A stored template was deleted: its name resolves to the shipped template again, if there is one. */
  deleted(name: string): void {
    this.stored.set(name, MISSING);
    this.onChange();
  }

  private async resolved(template: StoredTemplate): Promise<ResolvedTemplate> {
    return { name: template.name, source: template.source, origin: `stored v${template.version}`, digest: await digest(template.source) };
  }
}
