import type { StoredBlock } from '../core/blocks/schema.ts';
import type { AppDeps } from '../core/deps.ts';
import type { OpenImage, OpenPipeline, OpenRequest } from '../core/open/pipeline.ts';
import type { Lookups } from '../core/content/lookups.ts';
import type { ByteCache, Store, StoredTemplate } from '../core/ports.ts';
import type { TemplateRegistry } from '../core/templates/registry.ts';

/** The preview under way: its moment, its block, and a draft template it draws with, if any. */
export interface PreviewNow {
  at: number;
  block: StoredBlock;
  template?: StoredTemplate;
}

/**
 * One preview at a time per instance, each at its own moment and with its
 * own block (a draft, or a hero forced to one variant): the preview app's
 * clock and its store's `getBlock` read the preview under way. Previews are
 * a person's clicks in the Studio, not an inbox's load, so a queue costs
 * nothing that matters, and the pipeline needs no per-request clock.
 */
export interface PreviewRun {
  open(now: PreviewNow, request: OpenRequest): Promise<OpenImage>;
}

/** How long a preview waits for each store call: a person previewing can wait for the store, an inbox cannot. */
const PREVIEW_STORE_TIMEOUT_MS = 2000;
const PREVIEW_LAYER_CACHE_BYTES = 16 * 1024 * 1024;

/** A render cache that never holds anything: a preview draws what it shows, never last minute's live image. */
const NO_CACHE: ByteCache = { get: async () => undefined, set: async () => undefined };

export function previewDeps(deps: AppDeps, current: () => PreviewNow | undefined): AppDeps {
  const store = new Proxy(deps.store, {
    get(target, property, receiver) {
      if (property === 'getBlock') {
        return async (id: string) => {
          const now = current();
          return now && now.block.config.id === id ? now.block : target.getBlock(id);
        };
      }
      if (property === 'getTemplate') {
        return async (name: string) => {
          const now = current();
          return now?.template && now.template.name === name ? now.template : target.getTemplate(name);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Store;
  return {
    ...deps,
    store,
    clock: { now: () => current()?.at ?? deps.clock.now() },
    renderCache: NO_CACHE,
    layerCacheBytes: Math.min(deps.layerCacheBytes ?? PREVIEW_LAYER_CACHE_BYTES, PREVIEW_LAYER_CACHE_BYTES),
    config: { ...deps.config, blockCacheMs: 0, storeTimeoutMs: Math.max(deps.config.storeTimeoutMs, PREVIEW_STORE_TIMEOUT_MS), demo: false },
  };
}

/** What a preview app lends the run: its pipeline, and its caches of blocks and templates, which each preview sets to its own. */
export interface PreviewParts {
  opens: Pick<OpenPipeline, 'open'>;
  lookups: Pick<Lookups, 'blockChanged'>;
  templates: Pick<TemplateRegistry, 'changed' | 'deleted'>;
  store: Pick<Store, 'getTemplate'>;
}

export function createPreviewRun(build: (current: () => PreviewNow | undefined) => PreviewParts): PreviewRun {
  let current: PreviewNow | undefined;
  const parts = build(() => current);
  let queue: Promise<unknown> = Promise.resolve();
  return {
    open(now, request) {
      const turn = queue.then(async () => {
        current = now;
        // The preview app's caches hold the block and template this preview draws, whatever the last one drew.
        parts.lookups.blockChanged(now.block);
        if (now.template) await parts.templates.changed(now.template);
        try {
          return await parts.opens.open(request);
        } finally {
          current = undefined;
          if (now.template) {
            const stored = await parts.store.getTemplate(now.template.name);
            if (stored) await parts.templates.changed(stored);
            else parts.templates.deleted(now.template.name);
          }
        }
      });
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}
