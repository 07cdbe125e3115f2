import { ecommerceEvent, eventOrderId } from '../profiles/ecommerce.ts';
import { field } from '../events/mapping.ts';
import type { TrackedEvent } from '../events/normalize.ts';
import { resolveSubjectKeys, type SubjectKeyer } from '../audience/subjects.ts';
import type { SubjectStore } from '../ports.ts';
import type { OrderFact } from './facts.ts';

/** An order's value: `revenue`, else `total` (else `value`), else the sum of its products (price × quantity), never negative. */
export function orderRevenue(props: Record<string, unknown>): number {
  // `value` is GA4's `purchase` and, as `$value`, Klaviyo's `Placed Order`.
  for (const name of ['revenue', 'total', 'value']) {
    const value = amount(field(props, name));
    if (value !== undefined) return value;
  }
  const products = field(props, 'products') ?? field(props, 'items');
  if (!Array.isArray(products)) return 0;
  let sum = 0;
  for (const item of products.slice(0, 100)) {
    const price = amount(field(item, 'price')) ?? 0;
    const quantity = amount(field(item, 'quantity')) ?? 1;
    sum += price * quantity;
  }
  return Math.round(sum * 100) / 100;
}

function amount(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n >= 0 && n < 1e12 ? n : undefined;
}

/** An ISO 4217 code, upper-cased; `USD` when the order names none (Segment's default). */
export function orderCurrency(props: Record<string, unknown>): string {
  const value = field(props, 'currency');
  return typeof value === 'string' && /^[A-Za-z]{3}$/.test(value.trim()) ? value.trim().toUpperCase() : 'USD';
}

/** The order in an `Order Completed` (under any name the event mapping accepts), else undefined. */
export function orderOf(event: TrackedEvent, subjectKey: string): OrderFact | undefined {
  if (event.type !== 'track' || ecommerceEvent(event.event) !== 'orderCompleted') return undefined;
  const props = event.properties;
  return {
    subjectKey,
    orderId: eventOrderId(props),
    messageId: event.messageId,
    revenue: orderRevenue(props),
    currency: orderCurrency(props),
    at: event.timestamp,
  };
}

/**
 * The orders among applied events, each under its subscriber's canonical
 * key (links followed), for the report writer. Duplicates by messageId were
 * never applied; duplicates by order_id are the writer's claim.
 */
export async function appliedOrders(
  deps: { keyer: SubjectKeyer; store: Pick<SubjectStore, 'getLinks'> },
  events: readonly TrackedEvent[],
  applied: readonly string[],
): Promise<OrderFact[]> {
  const fresh = new Set(applied);
  const orders: OrderFact[] = [];
  for (const event of events) {
    if (!fresh.has(event.messageId) || event.type !== 'track' || ecommerceEvent(event.event) !== 'orderCompleted') continue;
    const own = event.userId !== undefined ? await deps.keyer.userKey(event.userId) : await deps.keyer.anonymousKey(event.anonymousId as string);
    const key = (await resolveSubjectKeys(deps.store, [own])).get(own) ?? own;
    const order = orderOf(event, key);
    if (order) orders.push(order);
  }
  return orders;
}
