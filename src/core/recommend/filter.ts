import jsonLogic from 'json-logic-js';
import { effectivePrice, type Product } from '../catalog/product.ts';
import type { Scores } from '../profiles/scores.ts';

// `method` calls arbitrary methods of values: no filter needs it, and no filter may run code.
jsonLogic.rm_operation('method');

/**
 * A source's `filter`: a JSONLogic rule over one product, as
 * `{ id, title, price, sale_price, final_price, on_sale, currency, category,
 * in_stock, attributes }` (`final_price` is what it sells for now), and the
 * subscriber's scores as `profile.*` (`profile.engagement_tier`). A rule
 * that throws on a product's data is false for it: a filter can hide
 * products, never break an open.
 */
export function productFacts(product: Product): Record<string, unknown> {
  const { price, was } = effectivePrice(product);
  return {
    id: product.id,
    title: product.title,
    price: product.price,
    sale_price: product.sale_price ?? null,
    final_price: price,
    on_sale: was !== undefined,
    currency: product.currency,
    category: product.category?.toLowerCase() ?? null,
    in_stock: product.in_stock,
    attributes: product.attributes ?? {},
  };
}

export function passesFilter(rule: Record<string, unknown> | undefined, product: Product, scores?: Scores): boolean {
  if (rule === undefined) return true;
  try {
    return Boolean(jsonLogic.apply(rule as jsonLogic.RulesLogic, { ...productFacts(product), profile: scores ?? {} }));
  } catch {
    return false;
  }
}
