import { useMemo, useState } from 'preact/hooks';
import { get } from './api.ts';
import { money, Notice, PageHead, useLoad } from './ui.tsx';

/** The catalog the blocks draw from (`GET /v1/catalog/products`), searched in the page. */
interface Product {
  id: string;
  title: string;
  price: number;
  sale_price?: number;
  currency: string;
  url: string;
  image_url?: string;
  category?: string;
  in_stock: boolean;
}

/** Pages of 1000 until the catalog ends or this many are loaded: a search box, not an export. */
const MAX_PRODUCTS = 5000;

async function loadCatalog(): Promise<{ products: Product[]; more: boolean }> {
  const products: Product[] = [];
  let cursor: string | undefined;
  do {
    const page = await get<{ products: Product[]; next_cursor?: string | null }>(`/v1/catalog/products?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    products.push(...page.products);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && products.length < MAX_PRODUCTS);
  return { products, more: cursor !== undefined };
}

export function CatalogPage() {
  const catalog = useLoad(loadCatalog, []);
  const [search, setSearch] = useState('');
  const [stock, setStock] = useState('all');
  const shown = useMemo(() => {
    const words = search.toLowerCase().split(/\s+/).filter(Boolean);
    return (catalog.data?.products ?? []).filter(
      (p) =>
        (stock === 'all' || (stock === 'in' ? p.in_stock : !p.in_stock)) &&
        words.every((w) => p.id.toLowerCase().includes(w) || p.title.toLowerCase().includes(w) || (p.category ?? '').toLowerCase().includes(w)),
    );
  }, [catalog.data, search, stock]);
  return (
    <>
      <PageHead title="Catalog" lead="The products blocks choose from, with the price and stock an open would show now." />
      <div class="card controls">
        <div class="row">
          <div class="field grow">
            <label for="catalog-search">Search by name, id or category</label>
            <input id="catalog-search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="catalog-stock">Stock</label>
            <select id="catalog-stock" value={stock} onChange={(e) => setStock(e.currentTarget.value)}>
              <option value="all">All</option>
              <option value="in">In stock</option>
              <option value="out">Out of stock</option>
            </select>
          </div>
        </div>
        <p class="muted small" role="status">
          {catalog.data ? `${shown.length} of ${catalog.data.products.length}${catalog.data.more ? '+' : ''} products` : 'Loading…'}
        </p>
      </div>
      <Notice kind="error">{catalog.error}</Notice>
      <ul class="products">
        {shown.slice(0, 300).map((p) => (
          <li key={p.id} class="card product">
            {p.image_url ? <img src={p.image_url} alt="" loading="lazy" /> : <div class="no-photo">No photo</div>}
            <div>
              <h2 class="product-title">{p.title}</h2>
              <p class="muted small">
                {p.id}
                {p.category ? ` · ${p.category}` : ''}
              </p>
              <p>
                {p.sale_price !== undefined && p.sale_price < p.price ? (
                  <>
                    <strong>{money(p.sale_price, p.currency)}</strong> <s class="muted">{money(p.price, p.currency)}</s>
                  </>
                ) : (
                  <strong>{money(p.price, p.currency)}</strong>
                )}{' '}
                <span class={`badge ${p.in_stock ? 'ok' : 'warn'}`}>{p.in_stock ? 'In stock' : 'Out of stock'}</span>
              </p>
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}
