import type { Source } from '../blocks/product-grid.ts';
import { effectivePrice, type Attributes, type Product } from '../catalog/product.ts';
import { trendingScope } from '../decide/trending.ts';
import type { Profile } from '../profiles/profile.ts';
import type { Neighbour, NeighbourList } from './neighbours.ts';

/**
 * The recommendation sources of a product grid, each a pure ranking of
 * product ids from the subscriber's profile, the neighbour lists of the
 * products they touched (their "seeds"), the catalog and the shared ranked
 * lists. docs/recommendations.md explains each in a marketer's words; the
 * weights below are the ones it names.
 */
export const RECOMMEND_SOURCES = ['viewed_together', 'bought_together', 'similar', 'for_you', 'new_arrivals', 'price_drop'] as const;
export type RecommendSource = (typeof RECOMMEND_SOURCES)[number];

export function isRecommendSource(from: string): from is RecommendSource {
  return (RECOMMEND_SOURCES as readonly string[]).includes(from);
}

/** The products a subscriber touched that recommendations start from: at most this many, most recent first. */
export const MAX_SEEDS = 6;
/** How much a seed counts by what the subscriber did with it: a cart line says most. */
export const SEED_WEIGHTS = { cart: 3, purchased: 2, viewed: 1 } as const;
/** Each older seed counts this much of the one before it. */
export const SEED_RECENCY = 0.75;
/** for_you: the share of bought-together, viewed-together and category affinity in the blend. */
export const FOR_YOU_BLEND = { bought_together: 0.6, viewed_together: 0.2, category: 0.2 } as const;
/** for_you: this many of the subscriber's favourite categories add their trending products. */
export const AFFINITY_CATEGORIES = 3;
/** similar: how much shared attributes, a near price and co-occurrence count. */
export const SIMILAR_BLEND = { attributes: 0.4, price: 0.4, neighbours: 0.2 } as const;
/** similar: this many of the most recent seeds are matched. */
export const SIMILAR_SEEDS = 3;
/**
 * The best this many neighbours of each seed, and of each category's trending
 * list, are candidates: an open loads each candidate from the catalog, and a
 * product past them would rarely outrank those before it.
 */
export const NEIGHBOURS_PER_SEED = 20;
export const CATEGORY_CANDIDATES = 30;

export interface Seed {
  id: string;
  did: keyof typeof SEED_WEIGHTS;
  weight: number;
}

/** A ranked product and why it is there: the seed it came from, or the price it had when the subscriber saw it. */
export interface Ranked {
  id: string;
  seed?: string;
  was?: number;
}

export type NeighbourLists = Readonly<Record<NeighbourList, ReadonlyMap<string, readonly Neighbour[]>>>;

export const NO_NEIGHBOURS: NeighbourLists = { viewed_together: new Map(), bought_together: new Map() };

export interface RecommendContext {
  profile: Profile | undefined;
  /** Catalog entries of the seeds and the candidates. */
  products: ReadonlyMap<string, Product>;
  trending: ReadonlyMap<string, readonly string[]>;
  neighbours: NeighbourLists;
}

/** The subscriber's seeds: cart lines, views and purchases by recency, one per product, weighted by what was done and how long ago. */
export function seedsOf(profile: Profile | undefined): Seed[] {
  if (!profile) return [];
  const touched = [
    ...profile.cart.map((r) => ({ id: r.id, at: r.at, did: 'cart' as const })),
    ...profile.viewed.map((r) => ({ id: r.id, at: r.at, did: 'viewed' as const })),
    ...profile.purchased.map((r) => ({ id: r.id, at: r.at, did: 'purchased' as const })),
  ].sort((a, b) => b.at - a.at || SEED_WEIGHTS[b.did] - SEED_WEIGHTS[a.did] || (a.id < b.id ? -1 : 1));
  const seeds: Seed[] = [];
  const taken = new Set<string>();
  for (const t of touched) {
    if (taken.has(t.id)) continue;
    taken.add(t.id);
    seeds.push({ id: t.id, did: t.did, weight: SEED_WEIGHTS[t.did] * SEED_RECENCY ** seeds.length });
    if (seeds.length >= MAX_SEEDS) break;
  }
  return seeds;
}

/** The neighbour lists a source reads. */
export function neighbourListsOf(from: Source['from']): NeighbourList[] {
  if (from === 'viewed_together' || from === 'bought_together') return [from];
  if (from === 'for_you' || from === 'similar') return ['bought_together', 'viewed_together'];
  return [];
}

/** The category lists (trending scopes) a source reads, given the seeds' catalog entries. */
export function seedCategoryScopes(from: Source['from'], seeds: readonly Seed[], products: ReadonlyMap<string, Product>): string[] {
  if (from === 'similar') return seeds.slice(0, SIMILAR_SEEDS).flatMap((s) => categoryScopes(products.get(s.id)?.category));
  if (from === 'for_you') return topCategories(seeds, products).flatMap((c) => categoryScopes(c));
  return [];
}

function categoryScopes(category: string | undefined): string[] {
  return category === undefined ? [] : [trendingScope('trending', category)];
}

/** Ranked product ids of a recommendation source, best first, seeds left out. */
export function recommend(source: Source & { from: RecommendSource }, ctx: RecommendContext, category: string | undefined): Ranked[] {
  const seeds = seedsOf(ctx.profile);
  switch (source.from) {
    case 'viewed_together':
    case 'bought_together':
      return ranked(blend(seeds, ctx.neighbours, { [source.from]: 1 }), seeds);
    case 'for_you':
      return forYou(seeds, ctx);
    case 'similar':
      return similar(seeds, ctx);
    case 'new_arrivals': {
      const overall = ctx.trending.get(trendingScope('new_arrivals', undefined)) ?? [];
      if (category === undefined) return overall.map((id) => ({ id }));
      const inCategory = overall.filter((id) => sameCategory(ctx.products.get(id)?.category, category));
      return [...(ctx.trending.get(trendingScope('new_arrivals', category)) ?? []), ...inCategory].map((id) => ({ id }));
    }
    case 'price_drop':
      return priceDrops(ctx);
  }
}

/** Every id a recommendation source could rank, so the caller loads them in one read. */
export function recommendCandidates(from: Source['from'], ctx: Omit<RecommendContext, 'products'> & { products?: ReadonlyMap<string, Product> }): string[] {
  const seeds = seedsOf(ctx.profile);
  const ids = new Set<string>();
  for (const list of neighbourListsOf(from)) for (const seed of seeds) for (const n of topNeighbours(ctx.neighbours, list, seed.id)) ids.add(n.id);
  if (from === 'similar' || from === 'for_you') {
    for (const scope of seedCategoryScopes(from, seeds, ctx.products ?? new Map())) for (const id of (ctx.trending.get(scope) ?? []).slice(0, CATEGORY_CANDIDATES)) ids.add(id);
  }
  if (from === 'price_drop') for (const ref of [...(ctx.profile?.cart ?? []), ...(ctx.profile?.viewed ?? [])]) if (ref.price !== undefined) ids.add(ref.id);
  return [...ids];
}

function topNeighbours(neighbours: NeighbourLists, list: NeighbourList, id: string): readonly Neighbour[] {
  return (neighbours[list].get(id) ?? []).slice(0, NEIGHBOURS_PER_SEED);
}

interface Scored {
  score: number;
  seed: string;
  best: number;
}

/** Adds `amount` to a candidate's score, remembering the seed that gave it the most. */
function credit(scores: Map<string, Scored>, id: string, amount: number, seed: string): void {
  const s = scores.get(id);
  if (!s) scores.set(id, { score: amount, seed, best: amount });
  else {
    s.score += amount;
    if (amount > s.best) {
      s.best = amount;
      s.seed = seed;
    }
  }
}

/** Item-to-item aggregation: each seed's neighbours, scaled to its best, weighted by the seed and the list. */
function blend(
  seeds: readonly Seed[],
  neighbours: NeighbourLists,
  lists: Partial<Record<NeighbourList, number>>,
  scores = new Map<string, Scored>(),
  scale = 1,
): Map<string, Scored> {
  for (const [list, listWeight] of Object.entries(lists) as Array<[NeighbourList, number]>) {
    for (const seed of seeds) {
      const found = topNeighbours(neighbours, list, seed.id);
      const top = found[0]?.score ?? 0;
      if (top <= 0) continue;
      for (const n of found) credit(scores, n.id, scale * listWeight * seed.weight * (n.score / top), seed.id);
    }
  }
  return scores;
}

function ranked(scores: Map<string, Scored>, seeds: readonly Seed[]): Ranked[] {
  const seedIds = new Set(seeds.map((s) => s.id));
  return [...scores]
    .filter(([id]) => !seedIds.has(id))
    .sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1))
    .map(([id, s]) => ({ id, seed: s.seed }));
}

/** The seeds' categories by the weight of the seeds in them, heaviest first. */
function topCategories(seeds: readonly Seed[], products: ReadonlyMap<string, Product>): string[] {
  const weights = new Map<string, number>();
  for (const seed of seeds) {
    const category = products.get(seed.id)?.category?.toLowerCase();
    if (category) weights.set(category, (weights.get(category) ?? 0) + seed.weight);
  }
  return [...weights]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, AFFINITY_CATEGORIES)
    .map(([c]) => c);
}

/**
 * A blend over the seeds: their bought-together and viewed-together
 * neighbours, plus the trending products of the categories the subscriber
 * spends their attention on, each category by its share of the seeds' weight.
 */
function forYou(seeds: readonly Seed[], ctx: RecommendContext): Ranked[] {
  const total = seeds.reduce((n, s) => n + s.weight, 0);
  if (total === 0) return [];
  const scores = blend(seeds, ctx.neighbours, { bought_together: FOR_YOU_BLEND.bought_together, viewed_together: FOR_YOU_BLEND.viewed_together }, new Map(), 1 / total);
  const categoryWeight = new Map<string, { weight: number; seed: string }>();
  for (const seed of seeds) {
    const category = ctx.products.get(seed.id)?.category?.toLowerCase();
    if (!category) continue;
    const entry = categoryWeight.get(category) ?? { weight: 0, seed: seed.id };
    entry.weight += seed.weight;
    categoryWeight.set(category, entry);
  }
  for (const category of topCategories(seeds, ctx.products)) {
    const list = (ctx.trending.get(trendingScope('trending', category)) ?? []).slice(0, CATEGORY_CANDIDATES);
    const { weight, seed } = categoryWeight.get(category) ?? { weight: 0, seed: '' };
    for (const [rank, id] of list.entries()) credit(scores, id, FOR_YOU_BLEND.category * (weight / total) * (1 - rank / list.length), seed);
  }
  return ranked(scores, seeds);
}

function sameCategory(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** The share of the seed's attributes the candidate has with the same value. */
function attributeOverlap(seed: Attributes | undefined, candidate: Attributes | undefined): number {
  const keys = Object.keys(seed ?? {});
  if (keys.length === 0) return 0;
  const same = keys.filter((k) => candidate?.[k] !== undefined && JSON.stringify(candidate[k]) === JSON.stringify(seed?.[k])).length;
  return same / keys.length;
}

/** 1 for the same price, falling to 0 as one price reaches double the other. */
function priceNearness(a: Product, b: Product): number {
  const pa = effectivePrice(a).price;
  const pb = effectivePrice(b).price;
  const high = Math.max(pa, pb);
  return high === 0 ? 1 : Math.max(0, 1 - Math.abs(pa - pb) / high);
}

/**
 * Products like the most recent seeds: in the same category, with the same
 * attributes, near in price, and a little for having been viewed or bought
 * with them. Candidates are the seeds' neighbours and their category's
 * trending products.
 */
function similar(seeds: readonly Seed[], ctx: RecommendContext): Ranked[] {
  const scores = new Map<string, Scored>();
  for (const seed of seeds.slice(0, SIMILAR_SEEDS)) {
    const product = ctx.products.get(seed.id);
    if (!product) continue;
    const near = new Map<string, number>();
    for (const list of ['bought_together', 'viewed_together'] as const) {
      const found = topNeighbours(ctx.neighbours, list, seed.id);
      const top = found[0]?.score ?? 0;
      for (const n of found) if (top > 0) near.set(n.id, Math.max(near.get(n.id) ?? 0, n.score / top));
    }
    const candidates = new Set([...near.keys(), ...(product.category ? (ctx.trending.get(trendingScope('trending', product.category)) ?? []).slice(0, CATEGORY_CANDIDATES) : [])]);
    for (const id of candidates) {
      const candidate = ctx.products.get(id);
      if (!candidate || id === seed.id) continue;
      if (product.category !== undefined && !sameCategory(candidate.category, product.category)) continue;
      const likeness =
        SIMILAR_BLEND.attributes * attributeOverlap(product.attributes, candidate.attributes) +
        SIMILAR_BLEND.price * priceNearness(product, candidate) +
        SIMILAR_BLEND.neighbours * (near.get(id) ?? 0);
      credit(scores, id, seed.weight * likeness, seed.id);
    }
  }
  return ranked(scores, seeds);
}

/** Viewed or carted products whose price now is below the price the subscriber saw, the largest fall first. */
function priceDrops(ctx: RecommendContext): Ranked[] {
  const seen = new Map<string, { price: number; at: number }>();
  for (const ref of [...(ctx.profile?.cart ?? []), ...(ctx.profile?.viewed ?? [])]) {
    if (ref.price === undefined) continue;
    const known = seen.get(ref.id);
    if (!known || ref.at > known.at) seen.set(ref.id, { price: ref.price, at: ref.at });
  }
  const drops: Array<{ id: string; was: number; fall: number; at: number }> = [];
  for (const [id, { price, at }] of seen) {
    const product = ctx.products.get(id);
    if (!product || price <= 0) continue;
    const now = effectivePrice(product).price;
    // A cent or more, so rounding in a shop's feed is not a price drop.
    if (price - now >= 0.01) drops.push({ id, was: price, fall: (price - now) / price, at });
  }
  return drops.sort((a, b) => b.fall - a.fall || b.at - a.at || (a.id < b.id ? -1 : 1)).map(({ id, was }) => ({ id, was }));
}
