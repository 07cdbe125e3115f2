import type { Variant } from '../blocks/hero.ts';
import type { ProductGridBlock, Source, SourceKind } from '../blocks/product-grid.ts';
import { CATEGORY_SOURCES, LAST_CATEGORY, PROFILE_SOURCES } from '../blocks/product-grid.ts';
import { effectivePrice, type Attributes, type Product } from '../catalog/product.ts';
import type { Profile } from '../profiles/profile.ts';
import type { Scores } from '../profiles/scores.ts';
import { passesFilter } from '../recommend/filter.ts';
import {
  NO_NEIGHBOURS,
  type RecommendSource,
  isRecommendSource,
  neighbourListsOf,
  recommend,
  recommendCandidates,
  seedCategoryScopes,
  seedsOf,
  type NeighbourLists,
  type Ranked,
} from '../recommend/sources.ts';
import type { NeighbourList } from '../recommend/neighbours.ts';
import { trendingScope, type RankedList } from './trending.ts';

/** What one slot shows: the product as it was at open time, and why it was chosen. */
export interface ShownProduct {
  id: string;
  title: string;
  price: number;
  sale_price?: number;
  currency: string;
  url: string;
  /** Absent for a product without a photo: templates draw a placeholder. */
  image_url?: string;
  /** The product's own extra fields (see catalog/attributes.ts), for templates. */
  attributes?: Attributes;
  source: SourceKind;
}

/**
 * Why a slot shows its product: the block's source (its position in
 * `source` and its `from`), the subscriber's product it was recommended
 * from (`seed`), and for a price drop the price they saw (`was`).
 */
export interface SlotWhy {
  source: number;
  from: SourceKind;
  seed?: string;
  was?: number;
}

/** What a product grid shows. (`kind` is absent in records written before heroes existed.) */
export interface GridDecision {
  kind?: 'product-grid';
  blockId: string;
  blockVersion: number;
  /** One entry per slot; null when no source had anything left for it. */
  slots: Array<ShownProduct | null>;
  /** One entry per slot, beside `slots`: why it shows what it does (absent in records written before explanations). */
  why?: Array<SlotWhy | null>;
  /** True when at least one slot came from the subscriber's own behaviour. */
  personal: boolean;
}

/** What a hero shows: the variant, the rule entry that chose it, and the A/B arm. */
export interface HeroDecision {
  kind: 'hero';
  blockId: string;
  blockVersion: number;
  variant: Variant;
  entry: string;
  arm?: string;
  /** The arm's share of the split's people when chosen, in percent (an optimised split's current allocation). */
  share?: number;
  personal: boolean;
}

export type Decision = GridDecision | HeroDecision;

export function isHero(decision: Decision): decision is HeroDecision {
  return decision.kind === 'hero';
}

export interface DecideInput {
  block: ProductGridBlock;
  blockVersion: number;
  profile: Profile | undefined;
  /** Catalog entries for every candidate id (see `candidateIds`). */
  products: ReadonlyMap<string, Product>;
  /** Ordered product ids per trending scope (see `trendingScopes`). */
  trending: ReadonlyMap<string, readonly string[]>;
  /** Products that cannot be shown right now (for example their photo did not load). */
  unavailable?: ReadonlySet<string>;
  /** Neighbour lists of the subscriber's seeds (see `neighbourReads`), for the recommendation sources. */
  neighbours?: NeighbourLists;
  /** The subscriber's scores as of the open, which source filters may read as `profile.*`. */
  scores?: Scores;
}

/**
 * Decide is pure: the same block, profile, catalog and trending lists give
 * the same decision, and the decision keys the render cache, so subscribers
 * with the same cart share one rendered image.
 */
export function decide(input: DecideInput): GridDecision {
  const { block, profile } = input;
  const chosen: ShownProduct[] = [];
  const why: SlotWhy[] = [];
  const taken = new Set<string>();
  let personal = false;

  for (const [index, source] of block.source.entries()) {
    let fromThisSource = 0;
    const max = source.limit ?? block.slots;
    for (const ranked of rankedIds(source, profile, input.trending, input.products, input.neighbours ?? NO_NEIGHBOURS)) {
      const id = ranked.id;
      if (chosen.length >= block.slots || fromThisSource >= max) break;
      if (taken.has(id) || input.unavailable?.has(id)) continue;
      const product = input.products.get(id);
      if (!product || !matches(product, source, input.scores) || excluded(id, source, profile)) continue;
      taken.add(id);
      chosen.push(shownProduct(product, source.from));
      why.push({ source: index, from: source.from, ...(ranked.seed === undefined ? {} : { seed: ranked.seed }), ...(ranked.was === undefined ? {} : { was: ranked.was }) });
      fromThisSource++;
      if ((PROFILE_SOURCES as readonly string[]).includes(source.from)) personal = true;
    }
    if (chosen.length >= block.slots) break;
  }

  const slots: Array<ShownProduct | null> = Array.from({ length: block.slots }, (_, i) => chosen[i] ?? null);
  const reasons: Array<SlotWhy | null> = Array.from({ length: block.slots }, (_, i) => why[i] ?? null);
  return { kind: 'product-grid', blockId: block.id, blockVersion: input.blockVersion, slots, why: reasons, personal };
}

/** The products a source offers, best first, with why. */
function rankedIds(
  source: Source,
  profile: Profile | undefined,
  trending: ReadonlyMap<string, readonly string[]>,
  products: ReadonlyMap<string, Product>,
  neighbours: NeighbourLists,
): Ranked[] {
  if (source.from === 'new_arrivals' || isRecommendSource(source.from)) {
    return recommend(source as Source & { from: RecommendSource }, { profile, products, trending, neighbours }, resolveCategory(source, profile));
  }
  return sourceIds(source, profile, trending, products).map((id) => ({ id }));
}

/** The product ids one of the profile's or shared lists offers, best first. */
function sourceIds(source: Source, profile: Profile | undefined, trending: ReadonlyMap<string, readonly string[]>, products?: ReadonlyMap<string, Product>): readonly string[] {
  switch (source.from) {
    case 'cart':
      return profile?.cart.map((line) => line.id) ?? [];
    case 'recently_viewed':
      return profile?.viewed.map((v) => v.id) ?? [];
    case 'purchased':
      return profile?.purchased.map((p) => p.id) ?? [];
    case 'trending':
    case 'bestsellers': {
      // A category's own list first (trending there, whatever the catalog
      // says), then the overall list's products of that category, so products
      // from events that carried no category still count. Without the catalog
      // (candidateIds), the overall list is taken whole.
      const overall = trending.get(trendingScope(source.from, undefined)) ?? [];
      const category = resolveCategory(source, profile);
      if (category === undefined) return overall;
      const inCategory = products ? overall.filter((id) => sameCategory(products.get(id)?.category, category)) : overall;
      return [...(trending.get(trendingScope(source.from, category)) ?? []), ...inCategory];
    }
    case 'products':
      return source.ids ?? [];
    default:
      return [];
  }
}

/** `profile.last_category` falls back to the whole catalog when the subscriber has none. */
export function resolveCategory(source: Source, profile: Profile | undefined): string | undefined {
  if (source.category === LAST_CATEGORY) return profile?.lastCategory?.name;
  return source.category;
}

function sameCategory(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

function matches(product: Product, source: Source, scores: Scores | undefined): boolean {
  if (!passesFilter(source.filter, product, scores)) return false;
  const where = source.where;
  if (where.in_stock && !product.in_stock) return false;
  if (where.category !== undefined && !sameCategory(product.category, where.category)) return false;
  const { price, was } = effectivePrice(product);
  if (where.on_sale !== undefined && (was !== undefined) !== where.on_sale) return false;
  if (where.min_price !== undefined && price < where.min_price) return false;
  if (where.max_price !== undefined && price > where.max_price) return false;
  return true;
}

function excluded(id: string, source: Source, profile: Profile | undefined): boolean {
  if (!profile) return false;
  for (const what of source.exclude) {
    if (what === 'purchased' && profile.purchased.some((p) => p.id === id)) return true;
    if (what === 'cart' && profile.cart.some((l) => l.id === id)) return true;
    if (what === 'viewed' && profile.viewed.some((v) => v.id === id)) return true;
  }
  return false;
}

/** A catalog product as a slot shows it (also used to draw products ahead of opens). */
export function shownProduct(product: Product, source: SourceKind): ShownProduct {
  const item: ShownProduct = {
    id: product.id,
    title: product.title,
    price: product.price,
    currency: product.currency,
    url: product.url,
    source,
  };
  if (product.image_url !== undefined) item.image_url = product.image_url;
  if (product.sale_price !== undefined) item.sale_price = product.sale_price;
  if (product.attributes !== undefined) item.attributes = product.attributes;
  return item;
}

/**
 * Every product id the block could show for this profile, so the caller can
 * load them in one read. `seedProducts` (the catalog entries of the seeds,
 * see `seedIds`) let `similar` and `for_you` name their categories' lists.
 */
export function candidateIds(
  block: ProductGridBlock,
  profile: Profile | undefined,
  trending: ReadonlyMap<string, readonly string[]>,
  neighbours: NeighbourLists = NO_NEIGHBOURS,
  seedProducts?: ReadonlyMap<string, Product>,
): string[] {
  const ids = new Set<string>();
  for (const source of block.source) {
    // Enough candidates to fill the block even if many are filtered out.
    const offered = source.from === 'new_arrivals' ? (trending.get(trendingScope('new_arrivals', resolveCategory(source, profile))) ?? []) : sourceIds(source, profile, trending);
    for (const id of offered.slice(0, 50)) ids.add(id);
    if (source.from === 'new_arrivals') for (const id of (trending.get(trendingScope('new_arrivals', undefined)) ?? []).slice(0, 50)) ids.add(id);
    if (isRecommendSource(source.from)) {
      for (const id of recommendCandidates(source.from, { profile, trending, neighbours, ...(seedProducts ? { products: seedProducts } : {}) })) ids.add(id);
    }
  }
  return [...ids];
}

/** The subscriber's products that the block's recommendation sources start from (their catalog entries are read first). */
export function seedIds(block: ProductGridBlock, profile: Profile | undefined): string[] {
  const needs = block.source.some((s) => s.from === 'similar' || s.from === 'for_you');
  return needs ? seedsOf(profile).map((s) => s.id) : [];
}

/** Which neighbour lists the block reads, and for which of the subscriber's products. */
export function neighbourReads(block: ProductGridBlock, profile: Profile | undefined): Array<{ list: NeighbourList; ids: string[] }> {
  const lists = new Set(block.source.flatMap((s) => neighbourListsOf(s.from)));
  const ids = seedsOf(profile).map((s) => s.id);
  return ids.length === 0 ? [] : [...lists].map((list) => ({ list, ids }));
}

/** The trending scopes the block reads for this profile (with `seedProducts`, also the seeds' categories'). */
export function trendingScopes(block: ProductGridBlock, profile: Profile | undefined, seedProducts?: ReadonlyMap<string, Product>): string[] {
  const scopes = new Set<string>();
  for (const source of block.source) {
    if ((CATEGORY_SOURCES as readonly string[]).includes(source.from)) {
      const list = source.from as RankedList;
      scopes.add(trendingScope(list, undefined));
      const category = resolveCategory(source, profile);
      if (category !== undefined) scopes.add(trendingScope(list, category));
    }
    if (seedProducts) for (const scope of seedCategoryScopes(source.from, seedsOf(profile), seedProducts)) scopes.add(scope);
  }
  return [...scopes];
}
