import { effectivePrice, type Product } from '../catalog/product.ts';
import type { Profile } from '../profiles/profile.ts';
import { scoresOf, type Scores } from '../profiles/scores.ts';

/**
 * What hero rules can look at, as one plain object for JSONLogic:
 * `profile.*` (behaviour), `open.*` (when and on what the email is opened)
 * and `params.*` (the URL's parameters, from the ESP's merge tags).
 */
export interface OpenContext {
  now: number;
  /** IANA zone for local time (`tz=` parameter, else the block's). */
  timezone: string;
  userAgent?: string | undefined;
  params: Record<string, string>;
  /** Who is fetching the image (see audience/requester.ts). */
  requester?: string;
}

export interface Facts {
  /** With the scores as of the open (profiles/scores.ts): engagement_score, engagement_tier, rfm_*, purchase_interval_days, days_to_next_purchase. */
  profile: Scores & {
    known: boolean;
    last_category: string | null;
    cart_count: number;
    cart_value: number;
    purchased_categories: string[];
    orders: number;
    days_since_last_visit: number | null;
    days_since_last_purchase: number | null;
    /** From the Email Opened / Email Link Clicked events opentime records at opens and clicks. */
    days_since_last_open: number | null;
    days_since_last_click: number | null;
    traits: Record<string, string | number | boolean | null>;
  };
  open: {
    hour: number;
    minute: number;
    weekday: string;
    date: string;
    time: string;
    timezone: string;
    device: 'mobile' | 'tablet' | 'desktop' | 'unknown';
  };
  params: Record<string, string>;
}

const DAY_MS = 86_400_000;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** Mobile, tablet or desktop from a User-Agent; image proxies hide it ("unknown"). */
export function deviceClass(userAgent: string | undefined): Facts['open']['device'] {
  if (!userAgent || /GoogleImageProxy|YahooMailProxy|^Mozilla\/5\.0$/i.test(userAgent.trim())) return 'unknown';
  if (/iPad|Tablet|Android(?!.*Mobile)/i.test(userAgent)) return 'tablet';
  if (/Mobi|iPhone|iPod|Android|Windows Phone/i.test(userAgent)) return 'mobile';
  if (/Windows NT|Macintosh|X11|Linux x86_64|CrOS/i.test(userAgent)) return 'desktop';
  return 'unknown';
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function localTime(now: number, timezone: string): Facts['open'] {
  const zone = isTimeZone(timezone) ? timezone : 'UTC';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short' })
      .formatToParts(new Date(now))
      .map((p) => [p.type, p.value]),
  );
  const hour = Number(parts.hour) % 24;
  const minute = Number(parts.minute);
  return {
    hour,
    minute,
    weekday: WEEKDAYS.find((d) => d === String(parts.weekday).slice(0, 3).toLowerCase()) ?? 'sun',
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`,
    timezone: zone,
    device: 'unknown',
  };
}

/** The catalog ids `facts` needs to price the cart and name purchased categories. */
export function factIds(profile: Profile | undefined): string[] {
  if (!profile) return [];
  return [...new Set([...profile.cart.map((l) => l.id), ...profile.purchased.slice(0, 50).map((p) => p.id)])];
}

export function facts(profile: Profile | undefined, products: ReadonlyMap<string, Product>, context: OpenContext): Facts {
  const open = { ...localTime(context.now, context.timezone), device: deviceClass(context.userAgent) };
  const lastPurchase = profile?.purchased.reduce((latest, p) => Math.max(latest, p.at), -Infinity);
  const purchasedCategories = new Set<string>();
  for (const purchase of profile?.purchased ?? []) {
    const category = products.get(purchase.id)?.category;
    if (category) purchasedCategories.add(category.toLowerCase());
  }
  let cartValue = 0;
  for (const line of profile?.cart ?? []) {
    const product = products.get(line.id);
    if (product) cartValue += effectivePrice(product).price * line.quantity;
  }
  const days = (at: number | undefined) => (at === undefined || !Number.isFinite(at) ? null : Math.floor((context.now - at) / DAY_MS));
  return {
    profile: {
      known: profile !== undefined,
      last_category: profile?.lastCategory?.name.toLowerCase() ?? null,
      cart_count: profile?.cart.reduce((n, l) => n + l.quantity, 0) ?? 0,
      cart_value: Math.round(cartValue * 100) / 100,
      purchased_categories: [...purchasedCategories],
      orders: profile?.orders ?? 0,
      days_since_last_visit: days(profile?.lastSeen),
      days_since_last_purchase: days(lastPurchase),
      days_since_last_open: days(profile?.lastEventAt['Email Opened']),
      days_since_last_click: days(profile?.lastEventAt['Email Link Clicked']),
      traits: { ...(profile?.traits ?? {}) },
      ...scoresOf(profile?.activity, profile?.orders ?? 0, context.now),
    },
    open,
    params: { ...context.params },
  };
}
