import { AppError } from '../shared/errors.ts';
import type { CatalogStore } from '../ports.ts';
import type { Product } from './product.ts';

/**
 * `GET /v1/catalog/products?limit=&cursor=`: the catalog in a stable order
 * (by id), a page at a time. The cursor is the last id of the page, base64url
 * encoded so that it is opaque and safe in a query string; a product added or
 * removed between pages does not make another be skipped or repeated.
 */
export const CATALOG_PAGE_DEFAULT = 100;
/** A page of 1000 products is about the size of the largest upsert. */
export const CATALOG_PAGE_MAX = 1000;

export interface CatalogPage {
  products: Product[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

function encodeCursor(id: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(id)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,1000}$/.test(cursor)) return undefined;
  try {
    const binary = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    const id = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    // Bytes that are not UTF-8 decode to U+FFFD and would not encode back: not a cursor we made.
    return id === '' || encodeCursor(id) !== cursor ? undefined : id;
  } catch {
    return undefined;
  }
}

function invalid(path: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `invalid catalog page: ${path}: ${message}`, { details: [{ path, message }] });
}

/** Reads the query of a page request, or throws a 400 that names the parameter. */
export function pageQuery(limit: string | undefined, cursor: string | undefined): { limit: number; after?: string } {
  let size = CATALOG_PAGE_DEFAULT;
  if (limit !== undefined) {
    if (!/^\d{1,5}$/.test(limit) || Number(limit) < 1 || Number(limit) > CATALOG_PAGE_MAX) throw invalid('limit', `expected a whole number from 1 to ${CATALOG_PAGE_MAX}`);
    size = Number(limit);
  }
  if (cursor === undefined || cursor === '') return { limit: size };
  const after = decodeCursor(cursor);
  if (after === undefined) throw invalid('cursor', 'expected a next_cursor from an earlier page');
  return { limit: size, after };
}

export async function catalogPage(store: CatalogStore, query: { limit: number; after?: string }): Promise<CatalogPage> {
  // One more than asked says whether there is a next page, so the last page has no cursor to follow.
  const found = await store.listProducts(query.limit + 1, query.after);
  const products = found.slice(0, query.limit);
  const last = products[products.length - 1];
  return { products, next_cursor: found.length > query.limit && last ? encodeCursor(last.id) : null };
}
