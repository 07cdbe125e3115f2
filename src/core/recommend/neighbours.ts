import type { TrackedEvent } from '../events/normalize.ts';
import { ecommerceEvent, eventItems, eventProducts } from '../profiles/ecommerce.ts';
import type { Profile } from '../profiles/profile.ts';
import { compareCodePoints } from '../profiles/store-kit.ts';

/**
 * Item-to-item co-occurrence (Linden, Smith and York, 2003), counted as
 * events arrive: two products viewed by one subscriber within a session are
 * each other's `viewed_together` neighbours, two products in one order each
 * other's `bought_together` neighbours.
 *
 * Scores decay with time by forward decay: an increment at time t weighs
 * 2^((t − NEIGHBOUR_EPOCH_MS) / half-life), so a stored sum ranks the same
 * at any later moment without rewriting it, and its value now is the sum
 * divided by the weight of now. Every store applies `applyNeighbourIncrements`
 * (or, on Redis, the same three steps in a script): add, drop what has decayed
 * below the floor, keep the top NEIGHBOURS_PER_PRODUCT. So the same events give
 * the same lists in every store, and a list is bounded in size and in age.
 */
export const NEIGHBOUR_LISTS = ['viewed_together', 'bought_together'] as const;
export type NeighbourList = (typeof NEIGHBOUR_LISTS)[number];

/** Neighbours kept per product and list: the bound on memory (products × lists × K entries). */
export const NEIGHBOURS_PER_PRODUCT = 50;
/** A co-occurrence counts half as much after this long. */
export const NEIGHBOUR_HALF_LIFE_DAYS = 30;
/** An entry whose decayed score falls below this is dropped: one co-view is forgotten after 4 half-lives (120 days). */
export const NEIGHBOUR_FLOOR = 1 / 16;
/** A list not bumped for this long is removed whole by stores that expire keys (the age bound on storage). */
export const NEIGHBOUR_MAX_AGE_DAYS = 180;
/** Views this close together (either way) are one session. */
export const SESSION_GAP_MS = 30 * 60_000;
/** At most this many other views of the session, and products of one order, are paired: an order of 100 items is not 9,900 increments. */
export const MAX_PAIRED_ITEMS = 20;

/** The reference moment of forward decay (2024-01-01T00:00:00Z); weights stay finite for centuries after it. */
export const NEIGHBOUR_EPOCH_MS = Date.UTC(2024, 0, 1);
const HALF_LIFE_MS = NEIGHBOUR_HALF_LIFE_DAYS * 86_400_000;

export interface NeighbourIncrement {
  list: NeighbourList;
  productId: string;
  neighbourId: string;
  /** Forward-decayed weight (see `decayedWeight`). */
  weight: number;
}

export interface Neighbour {
  id: string;
  /** The score decayed to the moment asked for. */
  score: number;
}

/** The forward-decay weight of something that happened at `at`. */
export function decayedWeight(at: number): number {
  return 2 ** ((at - NEIGHBOUR_EPOCH_MS) / HALF_LIFE_MS);
}

/** The stored score below which an entry is gone at `now`. */
export function storedFloor(now: number): number {
  return NEIGHBOUR_FLOOR * decayedWeight(now);
}

/** Best first: higher score, then (for equal scores) the id later in code-point order, which is Redis's ZREVRANGE order. */
export function byRank(a: readonly [string, number], b: readonly [string, number]): number {
  return b[1] - a[1] || compareCodePoints(b[0], a[0]);
}

/**
 * One list's new entries: `increments` added in order, entries below the
 * floor at `now` dropped, the best NEIGHBOURS_PER_PRODUCT kept.
 */
export function applyNeighbourIncrements(current: Iterable<readonly [string, number]>, increments: Iterable<readonly [string, number]>, now: number): Array<[string, number]> {
  const scores = new Map<string, number>(current);
  for (const [id, weight] of increments) scores.set(id, (scores.get(id) ?? 0) + weight);
  const floor = storedFloor(now);
  return [...scores]
    .filter(([, score]) => score >= floor)
    .sort(byRank)
    .slice(0, NEIGHBOURS_PER_PRODUCT);
}

/** A stored list as a caller sees it at `now`: decayed scores, entries below the floor left out, best first. */
export function rankedNeighbours(stored: Iterable<readonly [string, number]>, now: number, limit = NEIGHBOURS_PER_PRODUCT): Neighbour[] {
  const floor = storedFloor(now);
  const weightNow = decayedWeight(now);
  return [...stored]
    .filter(([, score]) => score >= floor)
    .sort(byRank)
    .slice(0, limit)
    .map(([id, score]) => ({ id, score: score / weightNow }));
}

/** Groups increments by (list, product), in the order they came, for stores that apply one list at a time. */
export function groupIncrements(increments: readonly NeighbourIncrement[]): Map<string, { list: NeighbourList; productId: string; adds: Array<[string, number]> }> {
  const groups = new Map<string, { list: NeighbourList; productId: string; adds: Array<[string, number]> }>();
  for (const inc of increments) {
    const key = `${inc.list}\u0000${inc.productId}`;
    const group = groups.get(key) ?? { list: inc.list, productId: inc.productId, adds: [] };
    group.adds.push([inc.neighbourId, inc.weight]);
    groups.set(key, group);
  }
  return groups;
}

function pairs(list: NeighbourList, a: string, b: string, at: number, out: NeighbourIncrement[]): void {
  if (a === b) return;
  const weight = decayedWeight(at);
  out.push({ list, productId: a, neighbourId: b, weight }, { list, productId: b, neighbourId: a, weight });
}

/**
 * What freshly applied events add to the neighbour lists. An order pairs its
 * products with each other. A view pairs its product with the subscriber's
 * other views within SESSION_GAP_MS of it, read from the profile after the
 * view was applied: each pair of a session is counted once, by whichever of
 * its two views arrived second, whatever order they arrive in.
 */
export function neighbourIncrements(events: readonly TrackedEvent[], profileAfter: Profile | undefined, now: number): NeighbourIncrement[] {
  const out: NeighbourIncrement[] = [];
  const seenInBatch: Array<{ id: string; at: number }> = [];
  const ordered = [...events].sort((a, b) => a.timestamp - b.timestamp);
  for (const event of ordered) {
    if (event.type !== 'track') continue;
    const at = Math.min(event.timestamp, now);
    const kind = ecommerceEvent(event.event);
    if (kind === 'orderCompleted') {
      const ids = [...new Set((eventProducts(event.properties) ?? []).map((p) => p.id))].slice(0, MAX_PAIRED_ITEMS);
      for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) pairs('bought_together', ids[i] as string, ids[j] as string, at, out);
    } else if (kind === 'productViewed') {
      for (const item of eventItems(event.properties)) {
        // Views of this batch that came before this one pair here; those already stored pair below.
        const partners = new Map<string, number>();
        for (const seen of seenInBatch) if (Math.abs(seen.at - event.timestamp) <= SESSION_GAP_MS) partners.set(seen.id, seen.at);
        seenInBatch.push({ id: item.id, at: event.timestamp });
        for (const id of [...partners.keys()].slice(-MAX_PAIRED_ITEMS)) pairs('viewed_together', item.id, id, at, out);
      }
    }
  }
  if (profileAfter && seenInBatch.length > 0) {
    // Stored views of the session that are not in this batch: the batch's views were stored by now too.
    const batchIds = new Set(seenInBatch.map((s) => s.id));
    const stored = profileAfter.viewed.filter((v) => !batchIds.has(v.id));
    for (const view of seenInBatch) {
      const partners = stored.filter((v) => Math.abs(v.at - view.at) <= SESSION_GAP_MS).slice(0, MAX_PAIRED_ITEMS);
      for (const partner of partners) pairs('viewed_together', view.id, partner.id, Math.min(view.at, now), out);
    }
  }
  return out;
}

/** True when some event of the batch is a view or an order, which can add to a neighbour list. */
export function hasCoOccurrence(events: readonly TrackedEvent[]): boolean {
  return events.some((e) => e.type === 'track' && (ecommerceEvent(e.event) === 'productViewed' || ecommerceEvent(e.event) === 'orderCompleted'));
}

/** True when some event of the batch is a view: then its session's earlier views are read from the profile. */
export function hasViews(events: readonly TrackedEvent[]): boolean {
  return events.some((e) => e.type === 'track' && ecommerceEvent(e.event) === 'productViewed');
}
