import { LRUCache } from 'lru-cache';
import type { BlockConfig, ProductGridBlock, StoredBlock } from '../blocks/schema.ts';
import { withBudget } from '../shared/budget.ts';
import type { RequesterClass } from '../audience/requester.ts';
import { candidateIds, decide, isHero, shownProduct, trendingScopes, type DecideInput, type Decision, type GridDecision, type HeroDecision } from '../decide/decide.ts';
import type { Product } from '../catalog/product.ts';
import { factIds, facts, isTimeZone, type OpenContext } from '../decide/facts.ts';
import { chooseVariant, findVariant } from '../decide/hero.ts';
import type { AppDeps } from '../deps.ts';
import { AppError, describeError, errorCode, type ErrorCode } from '../shared/errors.ts';
import type { Lookups } from '../content/lookups.ts';
import type { OpenWrites } from './writes.ts';
import type { OpenKey, OpenRecord } from '../ports.ts';
import type { Profile } from '../profiles/profile.ts';
import { solidPng } from '../render/png.ts';
import { digest, fingerprint } from '../render/render-key.ts';
import type { GridRender, Renderer } from '../render/renderer.ts';
import { resolveSubjectKeys, type SubjectKeyer } from '../audience/subjects.ts';
import type { TemplateRegistry } from '../templates/registry.ts';

export interface OpenRequest {
  blockId: string;
  userAgent?: string | undefined;
  /** The URL's other parameters (from the ESP's merge tags), for hero rules. */
  params?: Record<string, string>;
  /** The subscriber id from the ESP merge tag (`u=`), if any. */
  subject?: string | undefined;
  /** The message or campaign id (`m=`), if any. */
  messageId?: string | undefined;
  /** Image proxies and scanners fetch too; they do not count as opens. */
  machine: boolean;
  /** Who is fetching: a person, an image proxy, a scanner (see classify.ts). */
  requester?: RequesterClass;
  /** The URL carried a valid subscriber token or signature. */
  signed?: boolean;
}

export type Fallback = 'last-generic' | 'static' | 'blank';

interface Plan {
  first: Decision;
  again?: () => Decision | undefined;
  known: boolean;
}

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

/** Whether a profile says anything about shopping (engagement alone does not). */
function hasBehaviour(profile: Profile | undefined): boolean {
  return profile !== undefined && (profile.cart.length > 0 || profile.viewed.length > 0 || profile.purchased.length > 0 || profile.lastCategory !== undefined);
}

export function openKey(blockId: string, subjectKey: string, messageId: string | undefined): OpenKey {
  return { blockId, subjectKey, messageId: messageId ?? '' };
}

/**
 * The open path: block → profile → trending and catalog → decide → render
 * (cached by what the template sees, one render per key at a time) →
 * remember what was shown. Whatever fails, the answer is an image: the last
 * generic render of the block, its static fallback, or at worst a blank.
 * Every write (open record, engagement, counters, cached renders) goes
 * through `writes`, which a preview makes a no-op.
 */
export class OpenService {
  private readonly inflight = new Map<string, Promise<GridRender>>();
  /**
   * Renders finished in the last seconds, by key: an open whose cache lookup
   * was still on its way (the Cache API is a network call) when the render
   * it would have waited for finished must not start the same render again.
   */
  private readonly justRendered = new LRUCache<string, Promise<GridRender>>({ max: 1000, ttl: 5000 });
  private readonly brokenPhotos = new LRUCache<string, true>({ max: 10_000, ttl: BROKEN_PHOTO_MS });
  /** The render key last recorded for each open: a re-open that shows the same thing writes nothing. */
  private readonly recorded = new LRUCache<string, string>({ max: 100_000, ttl: 60_000 });
  /** Render keys whose cached PNG was encoded fast and can be made smaller when it is served again. */
  private readonly drafts = new LRUCache<string, true>({ max: 100_000 });
  /** Recompressions running now: one at a time, so that they never take both cores from opens. */
  private recompressing = 0;
  /** Layers and tiles drawn ahead of opens, one batch at a time (see `prepare`). */
  private preparing: Promise<void> = Promise.resolve();
  /** The render key of each block's latest non-personal render: what to show if the store goes away. */
  private readonly lastGeneric = new Map<string, string>();
  private blank: Promise<Uint8Array> | undefined;
  private readonly deps: AppDeps;
  private readonly lookups: Lookups;
  /** Everything an open writes (open records, engagement, counters, cached renders); nothing in a preview. */
  readonly writes: OpenWrites;
  private readonly renderer: Renderer;
  private readonly keyer: SubjectKeyer;
  private readonly templates: TemplateRegistry;

  constructor(deps: AppDeps, lookups: Lookups, writes: OpenWrites, renderer: Renderer, keyer: SubjectKeyer, templates: TemplateRegistry) {
    this.deps = deps;
    this.lookups = lookups;
    this.writes = writes;
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

  /**
   * A block that requires a signature shows personal content only to a
   * signed request; any other gets the generic block, exactly as an unknown
   * subscriber would, so enumerating `u=` values shows nobody's products.
   */
  mayPersonalise(block: BlockConfig, request: { subject?: string | undefined; signed?: boolean | undefined }): boolean {
    if (!request.subject) return false;
    if (!(block.require_signature ?? this.deps.config.requireSignature) || request.signed) return true;
    this.writes.count('requests.unsigned');
    return false;
  }

  /**
   * Whether opens of this block are personal only when signed (its own
   * setting, else the instance's). A block that cannot be read is taken to
   * require one: the open is answered with a fallback anyway.
   */
  async requiresSignature(blockId: string): Promise<boolean> {
    try {
      const stored = await this.budget(this.lookups.block(blockId), 'reading the block');
      return stored?.config.require_signature ?? this.deps.config.requireSignature;
    } catch {
      return true;
    }
  }

  /** Everything a product grid's decide needs, read within the store budget. */
  private async gridInputs(block: ProductGridBlock, version: number, profile: Profile | undefined): Promise<DecideInput> {
    const trending = await this.budget(this.lookups.trendingLists(trendingScopes(block, profile)), 'reading trending products');
    const products = await this.budget(this.lookups.productsById(candidateIds(block, profile, trending)), 'reading the catalog');
    return { block, blockVersion: version, profile, products, trending };
  }

  /** Decides with the products whose photos are known to be broken left out. */
  private decideWithout(inputs: DecideInput): GridDecision {
    return decide({ ...inputs, unavailable: new Set(this.brokenPhotos.keys()) });
  }

  /**
   * A decision for this block and subject now. `again` decides anew after
   * photos failed (a grid leaves the broken products out); `known` says
   * whether the subscriber has a profile.
   */
  private async plan(stored: StoredBlock, subjectKey: string | undefined, context: OpenContext): Promise<Plan> {
    const block = stored.config;
    const profile: Profile | undefined = subjectKey ? await this.budget(this.deps.store.getProfile(subjectKey), 'reading the profile') : undefined;
    if (block.kind === 'hero') {
      const products = await this.budget(this.lookups.productsById(factIds(profile)), 'reading the catalog');
      // Apple's privacy proxy fetches ahead of time and keeps the image: show what the block says holds whenever it is read.
      const prefetched = context.requester === 'apple_proxy' && block.prefetch ? findVariant(block, block.prefetch.variant) : undefined;
      const choice = prefetched ? { variant: prefetched, entry: 'prefetch' } : chooseVariant(block, facts(profile, products, context), subjectKey);
      const decision: HeroDecision = {
        kind: 'hero',
        blockId: block.id,
        blockVersion: stored.version,
        variant: choice.variant,
        entry: choice.entry,
        personal: profile !== undefined && choice.entry !== 'default',
      };
      if (choice.arm !== undefined) decision.arm = choice.arm;
      return { first: decision, known: hasBehaviour(profile) };
    }
    if (block.kind !== 'product-grid') throw new AppError('RENDER_FAILED', `block ${block.id} is a ${block.kind}, which this route does not draw`);
    const inputs = await this.gridInputs(block, stored.version, profile);
    return { first: this.decideWithout(inputs), again: () => this.decideWithout(inputs), known: hasBehaviour(profile) };
  }

  /** Decides what the block shows for a subject right now (no rendering), and whether the subscriber has any shopping behaviour. */
  async decideNow(stored: StoredBlock, subjectKey: string | undefined, context: Partial<OpenContext> = {}): Promise<{ decision: Decision; known: boolean }> {
    const plan = await this.plan(stored, subjectKey, this.openContext(stored.config, context));
    return { decision: plan.first, known: plan.known };
  }

  /** When and how the email is being opened, for hero rules. */
  private openContext(block: BlockConfig, request: Partial<OpenContext> & { timezone?: string }): OpenContext {
    const params = request.params ?? {};
    const zone = params.tz !== undefined && isTimeZone(params.tz) ? params.tz : block.kind === 'hero' ? block.params.timezone : 'UTC';
    const context: OpenContext = { now: this.deps.clock.now(), timezone: zone, userAgent: request.userAgent, params };
    if (request.requester !== undefined) context.requester = request.requester;
    return context;
  }

  /** The open record's decision, when the block's lock policy says it still holds. */
  private async lockedDecision(block: BlockConfig, key: OpenKey | undefined): Promise<Decision | undefined> {
    if (!key || block.lock.policy === 'live') return undefined;
    const record = await this.budget(this.deps.store.getOpenRecord(key, this.deps.clock.now()), 'reading the open record');
    if (!record) return undefined;
    if (block.lock.policy === 'first_open') return record.decision;
    return this.deps.clock.now() - record.renderedAt < block.lock.minutes * 60_000 ? record.decision : undefined;
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

    const block = stored.config;
    try {
      const subjectKey = this.mayPersonalise(block, request) ? await this.trackedSubject(request.subject) : undefined;
      const key = subjectKey ? openKey(block.id, subjectKey, request.messageId) : undefined;
      const locked = await this.lockedDecision(block, key);
      const plan: Plan = locked
        ? { first: locked, known: true }
        : await this.plan(stored, subjectKey, this.openContext(block, { userAgent: request.userAgent, params: request.params ?? {}, ...(request.requester ? { requester: request.requester } : {}) }));
      const rendered = await this.render(block, plan);
      if (!rendered) {
        // Nothing to show (empty catalog, everything out of stock): the block's generic image.
        this.count(block.id, request, 'fallback');
        return this.staticImage(block, undefined);
      }
      if (!rendered.decision.personal) this.lastGeneric.set(block.id, rendered.key);
      // A locked decision keeps its first record; machines never lock one in.
      if (key && !locked && !(request.machine && block.lock.policy !== 'live')) this.remember(key, rendered.decision, rendered.key, request.requester);
      if (subjectKey && !request.machine) this.writes.opened(subjectKey, block.id, request.messageId);
      this.count(block.id, request, rendered.decision.personal ? 'personal' : 'generic');
      return { png: rendered.png, cache: rendered.cache, personal: rendered.decision.personal };
    } catch (error) {
      return this.failed(block, error);
    }
  }

  /** Renders a decision through the cache; photos that fail are left out and the block re-decided. */
  private async render(block: BlockConfig, plan: Plan): Promise<{ png: Uint8Array; key: string; decision: Decision; cache: OpenImage['cache'] } | undefined> {
    if (block.kind === 'countdown') throw new AppError('RENDER_FAILED', `block ${block.id} is a countdown`);
    const template = await this.budget(this.templates.get(block.template), 'reading the template');
    if (!template) throw new AppError('RENDER_FAILED', `block ${block.id} names template ${JSON.stringify(block.template)}, which does not exist`);
    let decision: Decision | undefined = plan.first;
    for (let attempt = 0; attempt <= MAX_PHOTO_RETRIES && decision; attempt++) {
      if (!isHero(decision) && decision.slots.every((s) => s === null)) {
        if (attempt === 0) return undefined;
        break; // every candidate's photo failed
      }
      // One moment for the key and the drawing: the key is what the template will see.
      const now = this.deps.clock.now();
      const key = this.renderer.key(block, decision, template, now);
      const cached = await this.deps.renderCache.get(key);
      if (cached) {
        this.recompress(key, cached);
        return { png: cached, key, decision, cache: 'hit' };
      }

      let cache: OpenImage['cache'] = 'coalesced';
      let pending = this.inflight.get(key) ?? this.justRendered.get(key);
      if (!pending) {
        cache = 'miss';
        const work =
          block.kind === 'hero' && isHero(decision)
            ? this.renderer.renderHero(block, decision, template, now)
            : block.kind === 'product-grid' && !isHero(decision)
              ? this.renderer.renderGrid(block, decision, template, now)
              : Promise.reject(new AppError('RENDER_FAILED', `block ${block.id} changed kind since this decision`));
        const rendering = work.finally(() => this.inflight.delete(key));
        // Only a drawn image is kept: a failure is decided again by the next open.
        rendering.then((result) => 'png' in result && this.justRendered.set(key, rendering), () => undefined);
        pending = rendering;
        this.inflight.set(key, pending);
        this.writes.count('renders');
      }
      else this.writes.count('renders.coalesced');
      const result = await pending;
      if ('png' in result) {
        if (cache === 'miss') {
          await this.writes.cacheRender(key, result.png);
          if (result.draft && this.writes.live) this.drafts.set(key, true);
        }
        return { png: result.png, key, decision, cache };
      }
      for (const id of result.failedProducts) this.brokenPhotos.set(id, true);
      this.deps.logger.warn('product photos did not load', { block: block.id, products: result.failedProducts.length });
      decision = plan.again?.();
    }
    throw new AppError('IMAGE_FETCH_FAILED', `product photos of block ${block.id} did not load`);
  }

  /**
   * A PNG encoded fast for its first open is served again: it is made
   * smaller off the request path (palette quantisation takes 50–100 ms), and
   * the smaller bytes replace it in the cache. One at a time; a hit that
   * finds one running leaves the key for a later hit.
   */
  private recompress(key: string, png: Uint8Array): void {
    const encoder = this.deps.encoder;
    if (!encoder?.recompress || this.recompressing > 0 || !this.drafts.has(key)) return;
    this.drafts.delete(key);
    this.recompressing++;
    this.deps.background(
      encoder
        .recompress(png)
        .then(async (smaller) => {
          if (smaller.byteLength >= png.byteLength) return;
          await this.writes.cacheRender(key, smaller);
          this.writes.count('renders.recompressed');
        })
        .catch((error: unknown) => this.deps.logger.warn('render not recompressed', { error: describeError(error) }))
        .finally(() => this.recompressing--),
    );
  }

  /**
   * Draws ahead, off the request path, the layers and product tiles that
   * opens of product grids will composite: after a catalog change the
   * changed products' tiles (in decisions of each block's slot count), after
   * a block change its generic decision. One batch at a time, and only while
   * the layer cache has room, so a large catalog does not evict what opens
   * are using.
   */
  prepare(change: { products?: readonly Product[]; block?: StoredBlock }): void {
    const layers = this.renderer.layers;
    if (!layers) return;
    const work = async () => {
      const blocks = change.block ? [change.block] : await this.deps.store.listBlocks();
      for (const stored of blocks) {
        const block = stored.config;
        if (block.kind !== 'product-grid') continue;
        const template = await this.templates.get(block.template);
        if (!template) continue;
        const decisions: GridDecision[] = [];
        if (change.products) {
          const shown = change.products.filter((p) => p.in_stock).map((p) => shownProduct(p, 'products'));
          for (let i = 0; i < shown.length; i += block.slots) {
            decisions.push({ kind: 'product-grid', blockId: block.id, blockVersion: stored.version, slots: shown.slice(i, i + block.slots), personal: false });
          }
        } else {
          const { decision } = await this.decideNow(stored, undefined);
          if (!isHero(decision)) decisions.push(decision);
        }
        for (const decision of decisions) {
          if (!layers.hasRoom()) return;
          await this.renderer.prepareGrid(block, decision, template, this.deps.clock.now());
        }
      }
    };
    this.preparing = this.preparing.then(work).catch((error: unknown) => this.deps.logger.warn('layers not prepared', { error: describeError(error) }));
    this.deps.background(this.preparing);
  }

  /** Resolves when the layers and tiles asked for so far are drawn (tests, the bench). */
  prepared(): Promise<void> {
    return this.preparing;
  }

  private remember(key: OpenKey, decision: Decision, renderKey: string, requester: RequesterClass | undefined): void {
    const id = JSON.stringify([key.blockId, key.subjectKey, key.messageId]);
    // A fingerprint, not the key: a hundred thousand whole keys would be a hundred megabytes.
    const shown = fingerprint(renderKey);
    if (this.recorded.get(id) === shown) return;
    this.recorded.set(id, shown);
    const record: OpenRecord = { decision, renderedAt: this.deps.clock.now(), ...(requester ? { requester } : {}) };
    this.deps.background(
      this.writes.putOpenRecord(key, record, this.deps.config.openRecordTtlSeconds).catch((error: unknown) => {
        this.recorded.delete(id);
        this.deps.logger.warn('open record not written', { block: key.blockId, error: describeError(error) });
      }),
    );
  }

  private count(blockId: string, request: OpenRequest, kind: 'personal' | 'generic' | 'fallback'): void {
    if (request.requester) this.writes.count(`opens.by.${request.requester}`);
    if (request.machine) {
      this.writes.count('opens.machine');
      return;
    }
    this.writes.count('opens');
    this.writes.count(`opens.${kind}`);
    this.writes.count(`block.${blockId}.opens`);
  }

  private async failed(block: BlockConfig | undefined, error: unknown): Promise<OpenImage> {
    const code = errorCode(error);
    this.deps.logger.warn('open served a fallback', { block: block?.id, code, error: describeError(error) });
    this.writes.count('opens.fallback');
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
        await this.writes.cacheRender(key, png);
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
