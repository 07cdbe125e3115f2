import { LRUCache } from 'lru-cache';
import type { BlockConfig, StoredBlock } from './blocks/schema.ts';
import { withBudget } from './budget.ts';
import type { Counters } from './counters.ts';
import { candidateIds, decide, trendingScopes, type DecideInput, type Decision } from './decide/decide.ts';
import type { AppDeps } from './deps.ts';
import { AppError, describeError, errorCode, type ErrorCode } from './errors.ts';
import type { Lookups } from './lookups.ts';
import type { OpenKey } from './ports.ts';
import type { Profile } from './profiles/profile.ts';
import { solidPng } from './render/png.ts';
import { digest, renderKey } from './render/render-key.ts';
import type { GridRender, Renderer } from './render/renderer.ts';
import { resolveSubjectKeys, type SubjectKeyer } from './subjects.ts';
import type { TemplateRegistry } from './templates/registry.ts';

export interface OpenRequest {
  blockId: string;
  /** The subscriber id from the ESP merge tag (`u=`), if any. */
  subject?: string | undefined;
  /** The message or campaign id (`m=`), if any. */
  messageId?: string | undefined;
  /** Image proxies and scanners fetch too; they do not count as opens. */
  machine: boolean;
}

export type Fallback = 'last-generic' | 'static' | 'blank';

export interface OpenImage {
  png: Uint8Array;
  /** hit: served from the render cache; coalesced: waited for the same render in flight. */
  cache: 'hit' | 'miss' | 'coalesced' | 'fallback';
  fallback?: Fallback;
  error?: ErrorCode;
  personal: boolean;
}

/** A product whose photo would not load is left out of decisions for this long. */
const BROKEN_PHOTO_MS = 60_000;
/** Re-decide at most this many times when photos fail, then fall back. */
const MAX_PHOTO_RETRIES = 2;
const BLANK_SIZE = { width: 1200, height: 600 };
const BLANK_COLOR = '#ffffff';

export function openKey(blockId: string, subjectKey: string, messageId: string | undefined): OpenKey {
  return { blockId, subjectKey, messageId: messageId ?? '' };
}

/**
 * The open path: block → profile → trending and catalog → decide → render
 * (cached by decision, one render per key at a time) → remember what was
 * shown. Whatever fails, the answer is an image: the last generic render of
 * the block, its static fallback, or at worst a blank.
 */
export class OpenService {
  private readonly inflight = new Map<string, Promise<GridRender>>();
  private readonly brokenPhotos = new LRUCache<string, true>({ max: 10_000, ttl: BROKEN_PHOTO_MS });
  /** The render key last recorded for each open: a re-open that shows the same thing writes nothing. */
  private readonly recorded = new LRUCache<string, string>({ max: 100_000, ttl: 60_000 });
  /** The render key of each block's latest non-personal render: what to show if the store goes away. */
  private readonly lastGeneric = new Map<string, string>();
  private blank: Promise<Uint8Array> | undefined;
  private readonly deps: AppDeps;
  private readonly lookups: Lookups;
  private readonly counters: Counters;
  private readonly renderer: Renderer;
  private readonly keyer: SubjectKeyer;
  private readonly templates: TemplateRegistry;

  constructor(deps: AppDeps, lookups: Lookups, counters: Counters, renderer: Renderer, keyer: SubjectKeyer, templates: TemplateRegistry) {
    this.deps = deps;
    this.lookups = lookups;
    this.counters = counters;
    this.renderer = renderer;
    this.keyer = keyer;
    this.templates = templates;
  }

  private budget<T>(work: Promise<T>, what: string): Promise<T> {
    return withBudget(work, this.deps.config.storeTimeoutMs, what);
  }

  /** The canonical subject key for a `u=` value, following identify/alias links. */
  async subjectKey(subject: string): Promise<string> {
    const key = await this.keyer.userKey(subject);
    const resolved = await this.budget(resolveSubjectKeys(this.deps.store, [key]), 'resolving the subscriber');
    return resolved.get(key) ?? key;
  }

  /**
   * The subject to personalise for, or undefined when the open is anonymous
   * or the subscriber is suppressed (then the block is generic and nothing
   * about the open is kept).
   */
  async trackedSubject(subject: string | undefined): Promise<string | undefined> {
    if (!subject) return undefined;
    const key = await this.keyer.userKey(subject);
    const resolved = await this.budget(resolveSubjectKeys(this.deps.store, [key]), 'resolving the subscriber');
    const canonical = resolved.get(key) ?? key;
    const suppressed = await this.budget(this.deps.store.getSuppressions([...new Set([key, canonical])]), 'reading suppressions');
    return suppressed.size > 0 ? undefined : canonical;
  }

  /** Everything decide needs for this block and subject, read within the store budget. */
  private async decisionInputs(stored: StoredBlock, subjectKey: string | undefined): Promise<DecideInput> {
    const block = stored.config;
    const profile: Profile | undefined = subjectKey
      ? await this.budget(this.deps.store.getProfile(subjectKey), 'reading the profile')
      : undefined;
    const trending = await this.budget(this.lookups.trendingLists(trendingScopes(block, profile)), 'reading trending products');
    const products = await this.budget(this.lookups.productsById(candidateIds(block, profile, trending)), 'reading the catalog');
    return { block, blockVersion: stored.version, profile, products, trending };
  }

  /** Decides with the products whose photos are known to be broken left out. */
  private decideWithout(inputs: DecideInput): Decision {
    return decide({ ...inputs, unavailable: new Set(this.brokenPhotos.keys()) });
  }

  /** Decides what the block shows for a subject right now (no rendering), and whether a profile was found. */
  async decideNow(stored: StoredBlock, subjectKey: string | undefined): Promise<{ decision: Decision; known: boolean }> {
    const inputs = await this.decisionInputs(stored, subjectKey);
    return { decision: this.decideWithout(inputs), known: inputs.profile !== undefined };
  }

  async open(request: OpenRequest): Promise<OpenImage> {
    let stored: StoredBlock | undefined;
    try {
      stored = await this.budget(this.lookups.block(request.blockId), 'reading the block');
    } catch (error) {
      stored = this.lookups.lastKnownBlock(request.blockId);
      if (!stored) return this.failed(undefined, error);
      return this.failed(stored.config, error);
    }
    if (!stored) {
      this.deps.logger.warn('open of an unknown block', { block: request.blockId });
      return { png: await this.blankPng(), cache: 'fallback', fallback: 'blank', error: 'BLOCK_NOT_FOUND', personal: false };
    }

    try {
      const subjectKey = await this.trackedSubject(request.subject);
      const inputs = await this.decisionInputs(stored, subjectKey);
      const rendered = await this.render(stored.config, () => this.decideWithout(inputs));
      if (!rendered) {
        // Nothing to show (empty catalog, everything out of stock): the block's generic image.
        this.count(stored.config.id, request, 'fallback');
        return this.staticImage(stored.config, undefined);
      }
      if (!rendered.decision.personal) this.lastGeneric.set(stored.config.id, rendered.key);
      if (subjectKey) this.remember(openKey(stored.config.id, subjectKey, request.messageId), rendered.decision, rendered.key);
      this.count(stored.config.id, request, rendered.decision.personal ? 'personal' : 'generic');
      return { png: rendered.png, cache: rendered.cache, personal: rendered.decision.personal };
    } catch (error) {
      return this.failed(stored.config, error);
    }
  }

  /** Renders a decision through the cache; photos that fail are left out and the block re-decided. */
  private async render(
    block: BlockConfig,
    decideNow: () => Decision,
  ): Promise<{ png: Uint8Array; key: string; decision: Decision; cache: OpenImage['cache'] } | undefined> {
    const template = await this.budget(this.templates.get(block.template), 'reading the template');
    if (!template) throw new AppError('RENDER_FAILED', 500, `block ${block.id} names template ${JSON.stringify(block.template)}, which does not exist`);
    for (let attempt = 0; attempt <= MAX_PHOTO_RETRIES; attempt++) {
      const decision = decideNow();
      if (decision.slots.every((s) => s === null)) {
        if (attempt === 0) return undefined;
        break; // every candidate's photo failed
      }
      const key = await renderKey(decision, block.size, this.deps.config.scale, template.digest);
      const cached = await this.deps.renderCache.get(key);
      if (cached) return { png: cached, key, decision, cache: 'hit' };

      let cache: OpenImage['cache'] = 'coalesced';
      let pending = this.inflight.get(key);
      if (!pending) {
        cache = 'miss';
        pending = this.renderer.renderGrid(block, decision, template, this.deps.clock.now()).finally(() => this.inflight.delete(key));
        this.inflight.set(key, pending);
        this.counters.add('renders');
      }
      const result = await pending;
      if ('png' in result) {
        if (cache === 'miss') await this.deps.renderCache.set(key, result.png);
        return { png: result.png, key, decision, cache };
      }
      for (const id of result.failedProducts) this.brokenPhotos.set(id, true);
      this.deps.logger.warn('product photos did not load', { block: block.id, products: result.failedProducts.length });
    }
    throw new AppError('IMAGE_FETCH_FAILED', 502, `product photos of block ${block.id} did not load`);
  }

  private remember(key: OpenKey, decision: Decision, renderKey: string): void {
    const id = JSON.stringify([key.blockId, key.subjectKey, key.messageId]);
    if (this.recorded.get(id) === renderKey) return;
    this.recorded.set(id, renderKey);
    const record = { decision, renderedAt: this.deps.clock.now() };
    this.deps.background(
      this.deps.store.putOpenRecord(key, record, this.deps.config.openRecordTtlSeconds).catch((error: unknown) => {
        this.recorded.delete(id);
        this.deps.logger.warn('open record not written', { block: key.blockId, error: describeError(error) });
      }),
    );
  }

  private count(blockId: string, request: OpenRequest, kind: 'personal' | 'generic' | 'fallback'): void {
    if (request.machine) {
      this.counters.add('opens.machine');
      return;
    }
    this.counters.add('opens');
    this.counters.add(`opens.${kind}`);
    this.counters.add(`block.${blockId}.opens`);
  }

  private async failed(block: BlockConfig | undefined, error: unknown): Promise<OpenImage> {
    const code = errorCode(error);
    this.deps.logger.warn('open served a fallback', { block: block?.id, code, error: describeError(error) });
    this.counters.add('opens.fallback');
    if (!block) return { png: await this.blankPng(), cache: 'fallback', fallback: 'blank', error: code, personal: false };
    const genericKey = this.lastGeneric.get(block.id);
    const generic = genericKey ? await this.deps.renderCache.get(genericKey) : undefined;
    if (generic) return { png: generic, cache: 'fallback', fallback: 'last-generic', error: code, personal: false };
    return this.staticImage(block, code);
  }

  /** The block's static image, rendered once per block version. */
  private async staticImage(block: BlockConfig, code: ErrorCode | undefined): Promise<OpenImage> {
    const result = (png: Uint8Array): OpenImage => {
      const image: OpenImage = { png, cache: 'fallback', fallback: 'static', personal: false };
      if (code) image.error = code;
      return image;
    };
    const key = `static:${await digest(JSON.stringify(block))}`;
    const cached = await this.deps.renderCache.get(key);
    if (cached) return result(cached);
    // The configured fallback image; if it cannot be drawn, the headline card; at worst a flat colour.
    const attempts = block.fallback.image ? [block, { ...block, fallback: { ...block.fallback, image: undefined } }] : [block];
    for (const attempt of attempts) {
      try {
        const png = await this.renderer.renderStatic(attempt);
        await this.deps.renderCache.set(key, png);
        return result(png);
      } catch (error) {
        this.deps.logger.error('static fallback could not be rendered', { block: block.id, error: describeError(error) });
      }
    }
    return result(await solidPng(block.size.width * this.deps.config.scale, block.size.height * this.deps.config.scale, block.params.background));
  }

  private blankPng(): Promise<Uint8Array> {
    this.blank ??= solidPng(BLANK_SIZE.width, BLANK_SIZE.height, BLANK_COLOR);
    return this.blank;
  }
}
