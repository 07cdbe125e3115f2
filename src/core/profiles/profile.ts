import type { Activity } from './activity.ts';
import type { Scores } from './scores.ts';

/**
 * What opentime remembers about one subscriber: only what open-time content
 * needs, in bounded lists, never a raw event history. Times are epoch ms.
 */
export interface ProductRef {
  id: string;
  at: number;
  /** Views and cart lines: the unit price the event carried, for `price_drop`. */
  price?: number;
}

export interface CartLine extends ProductRef {
  quantity: number;
}

export interface Purchase extends ProductRef {
  orderId?: string;
}

export interface Profile {
  firstSeen: number;
  lastSeen: number;
  /** Most recent first, one entry per product. */
  viewed: ProductRef[];
  /** Most recent change first. */
  cart: CartLine[];
  /** Time of the last full cart snapshot (Cart Viewed, Checkout Started); older adds are stale. */
  cartSnapshotAt?: number;
  /** Recent removals, so that an add delivered late does not bring a removed item back. */
  cartRemovals: ProductRef[];
  /** Most recent first, one entry per product (its latest purchase). */
  purchased: Purchase[];
  lastCategory?: { name: string; at: number };
  searches: Array<{ query: string; at: number }>;
  /** Last time each track event happened, e.g. `Checkout Started` (for rules and countdowns). */
  lastEventAt: Record<string, number>;
  orders: number;
  /** Traits from identify, without contact data (email, phone, address). */
  traits: Record<string, string | number | boolean | null>;
  /** Visits, opens, clicks, page reading and orders, in bounded lists (absent in profiles from before scores). */
  activity?: Activity;
  /** The scores as of the latest event (profiles/scores.ts); rules read them as of the open. */
  scores?: Scores;
}

export const PROFILE_LIMITS = {
  viewed: 50,
  cart: 50,
  cartRemovals: 20,
  purchased: 100,
  searches: 10,
  eventNames: 50,
  traits: 50,
  traitChars: 200,
  queryChars: 200,
} as const;

export function emptyProfile(at: number): Profile {
  return {
    firstSeen: at,
    lastSeen: at,
    viewed: [],
    cart: [],
    cartRemovals: [],
    purchased: [],
    searches: [],
    lastEventAt: {},
    orders: 0,
    traits: {},
  };
}

/** Keeps one entry per id (the latest), newest first, at most `limit`. */
export function latestById<T extends ProductRef>(items: readonly T[], limit: number): T[] {
  const byId = new Map<string, T>();
  for (const item of items) {
    const seen = byId.get(item.id);
    if (seen === undefined || item.at > seen.at) byId.set(item.id, item);
  }
  return [...byId.values()].sort((a, b) => b.at - a.at).slice(0, limit);
}

export function purchasedAt(profile: Profile, productId: string): number | undefined {
  return profile.purchased.find((p) => p.id === productId)?.at;
}
