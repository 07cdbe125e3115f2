import { field } from '../events/mapping.ts';
import type { TrackedEvent } from '../events/normalize.ts';
import { ECOMMERCE_EVENTS, ecommerceEvent, eventItems, eventOrderId, eventProducts, type EventProduct } from './ecommerce.ts';
import { ignoredReason } from './ignored.ts';
import { storableTraits } from './traits.ts';
import { recordActivity } from './activity.ts';
import { scoresOf } from './scores.ts';
import { PROFILE_LIMITS, emptyProfile, latestById, type CartLine, type Profile, type ProductRef } from './profile.ts';

/**
 * The pure reducer: (profile, events) → profile. It never mutates its input
 * and gives the same answer whatever order the events arrive in, as far as
 * their timestamps allow: an add that happened before a purchase, a removal
 * or a cart snapshot does not bring the item back when it is delivered late.
 */
export function reduceProfile(profile: Profile | undefined, events: readonly TrackedEvent[]): Profile {
  if (events.length === 0 && profile) return profile;
  const ordered = [...events].sort((a, b) => a.timestamp - b.timestamp);
  let next = profile ? cloneProfile(profile) : emptyProfile(ordered[0]?.timestamp ?? 0);
  for (const event of ordered) next = applyEvent(next, event);
  next.scores = scoresOf(next.activity, next.orders, next.lastSeen);
  return next;
}

function cloneProfile(p: Profile): Profile {
  return {
    ...p,
    viewed: [...p.viewed],
    cart: [...p.cart],
    cartRemovals: [...p.cartRemovals],
    purchased: [...p.purchased],
    searches: [...p.searches],
    lastEventAt: { ...p.lastEventAt },
    traits: { ...p.traits },
  };
}

/** Applies one event to a profile that the reducer owns (already cloned). */
function applyEvent(p: Profile, event: TrackedEvent): Profile {
  const at = event.timestamp;
  p.firstSeen = Math.min(p.firstSeen, at);
  p.lastSeen = Math.max(p.lastSeen, at);

  // An event reported as ignored keeps nothing but the time the subscriber was seen.
  if (ignoredReason(event) !== undefined) return p;
  if (event.type === 'identify') {
    p.traits = mergeTraits(p.traits, event.traits);
    return p;
  }
  p.activity = recordActivity(p.activity, event);
  if (event.type !== 'track' || event.event === undefined) return p;

  const kind = ecommerceEvent(event.event);
  // `checkout_started` and `Checkout Started` are one event to rules and countdowns.
  recordEventTime(p, kind ? ECOMMERCE_EVENTS[kind] : event.event, at);
  const props = event.properties;
  switch (kind) {
    case 'productViewed':
    case 'productClicked': {
      for (const product of eventItems(props)) {
        p.viewed = latestById([withPrice({ id: product.id, at }, product), ...p.viewed], PROFILE_LIMITS.viewed);
        if (product.category) setCategory(p, product.category, at);
      }
      break;
    }
    case 'productAdded': {
      for (const product of eventItems(props)) addToCart(p, product, at);
      break;
    }
    case 'productRemoved': {
      for (const product of eventItems(props)) removeFromCart(p, product, at);
      break;
    }
    case 'cartViewed':
    case 'checkoutStarted': {
      const products = eventProducts(props);
      if (products) snapshotCart(p, products, at);
      break;
    }
    case 'orderCompleted': {
      completeOrder(p, eventProducts(props) ?? [], at, eventOrderId(props));
      break;
    }
    case 'productsSearched': {
      const given = field(props, 'query');
      const query = typeof given === 'string' ? given.trim().slice(0, PROFILE_LIMITS.queryChars) : '';
      // A repeated query keeps its latest time, even when an older search arrives late.
      if (query !== '' && !p.searches.some((s) => s.query === query && s.at >= at)) {
        p.searches = [{ query, at }, ...p.searches.filter((s) => s.query !== query)].sort((a, b) => b.at - a.at).slice(0, PROFILE_LIMITS.searches);
      }
      break;
    }
    case 'productListViewed':
    case 'productListFiltered': {
      const category = field(props, 'category');
      if (typeof category === 'string' && category.trim() !== '') setCategory(p, category.trim(), at);
      break;
    }
    default:
      break;
  }
  return p;
}

function recordEventTime(p: Profile, name: string, at: number): void {
  const key = name.slice(0, 200);
  if ((p.lastEventAt[key] ?? -Infinity) >= at) return;
  p.lastEventAt[key] = at;
  const names = Object.keys(p.lastEventAt);
  if (names.length > PROFILE_LIMITS.eventNames) {
    // Forget the event name seen longest ago.
    const oldest = names.reduce((a, b) => ((p.lastEventAt[a] ?? 0) <= (p.lastEventAt[b] ?? 0) ? a : b));
    delete p.lastEventAt[oldest];
  }
}

function setCategory(p: Profile, name: string, at: number): void {
  if (!p.lastCategory || p.lastCategory.at <= at) p.lastCategory = { name: name.slice(0, 200), at };
}

/** True when something that happened at or after `at` rules the line out. */
function supersededLine(p: Profile, productId: string, at: number): boolean {
  if (p.cartSnapshotAt !== undefined && p.cartSnapshotAt > at) return true;
  if (p.purchased.some((x) => x.id === productId && x.at >= at)) return true;
  return p.cartRemovals.some((x) => x.id === productId && x.at >= at);
}

function addToCart(p: Profile, product: EventProduct, at: number): void {
  if (supersededLine(p, product.id, at)) return;
  const line = p.cart.find((l) => l.id === product.id);
  const updated: CartLine = withPrice(
    line ? { ...line, quantity: Math.min(line.quantity + product.quantity, 999), at: Math.max(line.at, at) } : { id: product.id, quantity: product.quantity, at },
    product,
  );
  p.cart = [updated, ...p.cart.filter((l) => l.id !== product.id)].sort((a, b) => b.at - a.at).slice(0, PROFILE_LIMITS.cart);
  if (product.category) setCategory(p, product.category, at);
}

/** The price the event carried, when it did (an event without one keeps what was known). */
function withPrice<T extends ProductRef>(ref: T, product: EventProduct): T {
  return product.price === undefined ? ref : { ...ref, price: product.price };
}

function removeFromCart(p: Profile, product: EventProduct, at: number): void {
  const line = p.cart.find((l) => l.id === product.id);
  if (line && line.at <= at) {
    const remaining = product.quantityGiven ? line.quantity - product.quantity : 0;
    p.cart = remaining > 0 ? p.cart.map((l) => (l.id === product.id ? { ...l, quantity: remaining } : l)) : p.cart.filter((l) => l.id !== product.id);
    if (remaining > 0) return;
  }
  p.cartRemovals = latestById([{ id: product.id, at }, ...p.cartRemovals], PROFILE_LIMITS.cartRemovals);
}

function snapshotCart(p: Profile, products: EventProduct[], at: number): void {
  if (p.cartSnapshotAt !== undefined && p.cartSnapshotAt > at) return;
  // Lines changed after the snapshot stay as they are; the snapshot replaces the rest.
  const newer = p.cart.filter((l) => l.at > at);
  const fromSnapshot = products.filter((x) => !newer.some((l) => l.id === x.id) && !supersededLine(p, x.id, at)).map((x): CartLine => ({ id: x.id, quantity: x.quantity, at }));
  p.cart = dedupeLines([...newer, ...fromSnapshot]).slice(0, PROFILE_LIMITS.cart);
  p.cartSnapshotAt = at;
}

function dedupeLines(lines: CartLine[]): CartLine[] {
  const byId = new Map<string, CartLine>();
  for (const line of lines) {
    const seen = byId.get(line.id);
    byId.set(line.id, seen ? { ...seen, quantity: Math.min(seen.quantity + line.quantity, 999), at: Math.max(seen.at, line.at) } : line);
  }
  return [...byId.values()].sort((a, b) => b.at - a.at);
}

function completeOrder(p: Profile, products: EventProduct[], at: number, orderId: string | undefined): void {
  p.orders += 1;
  if (products.length === 0) return;
  const bought = products.map((x) => (orderId === undefined ? { id: x.id, at } : { id: x.id, at, orderId }));
  p.purchased = latestById([...bought, ...p.purchased], PROFILE_LIMITS.purchased);
  // Bought items leave the cart, unless they were added again after this order.
  const boughtIds = new Set(products.map((x) => x.id));
  p.cart = p.cart.filter((l) => !(boughtIds.has(l.id) && l.at <= at));
  for (const x of products) if (x.category) setCategory(p, x.category, at);
}

/** Stored traits are filtered again, so contact data kept by an older version leaves at the next identify. */
function mergeTraits(current: Profile['traits'], incoming: Record<string, unknown>): Profile['traits'] {
  const next = storableTraits(current);
  for (const [key, value] of Object.entries(storableTraits(incoming))) {
    next[key] = value;
    if (Object.keys(next).length > PROFILE_LIMITS.traits) delete next[key];
  }
  return next;
}
