import { PROFILE_LIMITS, latestById, type CartLine, type Profile } from './profile.ts';
import { storableTraits } from './traits.ts';
import { mergeActivity } from './activity.ts';
import { scoresOf } from './scores.ts';

/**
 * Merges the profile of an id that is being linked (an anonymous visitor who
 * identified, or an aliased previous id) into the profile it now belongs to.
 * `into` wins on conflicting traits; lists are unioned by time and keep one
 * entry per product, so merging the same lists twice changes nothing. Stores
 * delete the linked profile in the same step, so it is merged only once.
 */
export function mergeProfiles(into: Profile | undefined, from: Profile): Profile {
  if (!into) return from;
  const purchased = latestById([...into.purchased, ...from.purchased], PROFILE_LIMITS.purchased);
  const cartRemovals = latestById([...into.cartRemovals, ...from.cartRemovals], PROFILE_LIMITS.cartRemovals);
  const snapshots = [into.cartSnapshotAt, from.cartSnapshotAt].filter((x): x is number => x !== undefined);
  const merged: Profile = {
    firstSeen: Math.min(into.firstSeen, from.firstSeen),
    lastSeen: Math.max(into.lastSeen, from.lastSeen),
    viewed: latestById([...into.viewed, ...from.viewed], PROFILE_LIMITS.viewed),
    cart: mergeCarts(into.cart, from.cart).filter(
      (line) => !purchased.some((x) => x.id === line.id && x.at >= line.at) && !cartRemovals.some((x) => x.id === line.id && x.at >= line.at),
    ),
    cartRemovals,
    purchased,
    searches: [...into.searches, ...from.searches]
      .sort((a, b) => b.at - a.at)
      .filter((s, i, all) => all.findIndex((t) => t.query === s.query) === i)
      .slice(0, PROFILE_LIMITS.searches),
    lastEventAt: { ...from.lastEventAt },
    orders: into.orders + from.orders,
    traits: mergeTraits(into.traits, from.traits),
  };
  if (snapshots.length > 0) merged.cartSnapshotAt = Math.max(...snapshots);
  const activity = mergeActivity(into.activity, from.activity);
  if (activity) {
    merged.activity = activity;
    merged.scores = scoresOf(activity, merged.orders, merged.lastSeen);
  }
  for (const [name, at] of Object.entries(into.lastEventAt)) {
    merged.lastEventAt[name] = Math.max(at, merged.lastEventAt[name] ?? -Infinity);
  }
  // Two full profiles would make a profile over its limits that no later event shrinks again.
  const names = Object.entries(merged.lastEventAt);
  if (names.length > PROFILE_LIMITS.eventNames) {
    merged.lastEventAt = Object.fromEntries(names.sort((a, b) => b[1] - a[1]).slice(0, PROFILE_LIMITS.eventNames));
  }
  const category = [into.lastCategory, from.lastCategory].filter((c): c is NonNullable<Profile['lastCategory']> => c !== undefined).sort((a, b) => b.at - a.at)[0];
  if (category) merged.lastCategory = category;
  return merged;
}

/**
 * `into` wins on conflicts; traits only `from` has fill the room left, up to
 * the limit. Both are filtered again, so contact data that an older version
 * stored does not travel with a link.
 */
function mergeTraits(into: Profile['traits'], from: Profile['traits']): Profile['traits'] {
  const traits = storableTraits(into);
  let count = Object.keys(traits).length;
  for (const [key, value] of Object.entries(storableTraits(from))) {
    if (count >= PROFILE_LIMITS.traits) break;
    if (Object.hasOwn(traits, key)) continue;
    traits[key] = value;
    count++;
  }
  return traits;
}

/** The same item carted on two devices is one line with the larger quantity, not the sum. */
function mergeCarts(a: readonly CartLine[], b: readonly CartLine[]): CartLine[] {
  const byId = new Map<string, CartLine>();
  for (const line of [...a, ...b]) {
    const seen = byId.get(line.id);
    byId.set(line.id, seen ? { id: line.id, quantity: Math.max(seen.quantity, line.quantity), at: Math.max(seen.at, line.at) } : line);
  }
  return [...byId.values()].sort((x, y) => y.at - x.at).slice(0, PROFILE_LIMITS.cart);
}
