import { field } from '../events/mapping.ts';
import type { TrackedEvent } from '../events/normalize.ts';
import { looksLikeEmail } from '../audience/subjects.ts';
import { ECOMMERCE_EVENTS, ecommerceEvent, eventItems, type EcommerceEvent } from './ecommerce.ts';
import { storableTraits } from './traits.ts';

/**
 * Why an accepted event changes nothing opentime keeps, or undefined when
 * it does. The events answer counts these as `ignored` rather than
 * `applied`, so a sender whose events are shaped in a way opentime cannot
 * read finds out at once; the reducer keeps nothing from them but the
 * time the subscriber was seen.
 *
 * Only events meant to change the shopping state are judged: a product
 * event naming no product, a search without a query, a list without a
 * category, an identify that carries nothing storable and nothing to link.
 * Other track events keep their time (countdowns and rules can start from
 * any event), page and screen calls mark a visit, and an event that
 * carries consent has been applied.
 */
interface Need {
  /** What the event is for, in the reason: "names no product". */
  what: string;
  expected: string;
  has(props: Record<string, unknown>): boolean;
}

const PRODUCT: Need = { what: 'product', expected: 'properties.product_id or sku (or products[])', has: (p) => eventItems(p).length > 0 };
const CATEGORY: Need = { what: 'category', expected: 'properties.category', has: (p) => nonEmptyString(field(p, 'category')) };

const NEEDS: Partial<Record<EcommerceEvent, Need>> = {
  productViewed: PRODUCT,
  productClicked: PRODUCT,
  productAdded: PRODUCT,
  productRemoved: PRODUCT,
  productsSearched: { what: 'query', expected: 'properties.query', has: (p) => nonEmptyString(field(p, 'query')) },
  productListViewed: CATEGORY,
  productListFiltered: CATEGORY,
};

function nonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

export function ignoredReason(event: TrackedEvent): string | undefined {
  // Consent it carries was applied (events/ingest.ts), whatever else it lacks.
  if (typeof event.context.consent === 'object' && event.context.consent !== null) return undefined;
  if (event.type === 'track') {
    const kind = ecommerceEvent(event.event);
    const need = kind === undefined ? undefined : NEEDS[kind];
    if (kind === undefined || need === undefined || need.has(event.properties)) return undefined;
    return `${ECOMMERCE_EVENTS[kind]} names no ${need.what}: expected ${need.expected}`;
  }
  if (event.type === 'identify') {
    const links = event.userId !== undefined && (event.anonymousId !== undefined || (typeof event.traits.email === 'string' && looksLikeEmail(event.traits.email)));
    if (links || Object.keys(storableTraits(event.traits)).length > 0) return undefined;
    return Object.keys(event.traits).length === 0
      ? 'identify carries no traits and nothing to link'
      : 'identify keeps no trait: contact data (email, phone, names, addresses) is never stored';
  }
  return undefined;
}
