import type { Embed } from '../core/links/embed.ts';
import { MERGE_TAGS } from '../core/links/snippets.ts';
import { DEMO_PRODUCTS, type DemoProduct } from './catalog.ts';

/** Stands for the shopper's query in the email's URLs until the page's script fills it in. */
export const DEMO_QUERY = 'DEMO_QUERY';

/**
 * The newcomer's first minute: an email with a live block beside a shopper
 * who can view, cart and buy the demo products through the real events API,
 * and the HTML to paste into an ESP.
 */
function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const KEY_FIELD = `<p class="note"><label>Write key <input id="key" type="password" autocomplete="off" size="34" placeholder="one of OPENTIME_WRITE_KEY"></label><br>
  This server’s keys come from its environment, which no page shows; the key you paste stays in this browser.</p>`;

function price(p: DemoProduct): string {
  return p.sale_price !== undefined ? `<b class="sale">$${p.sale_price}</b> <s>$${p.price}</s>` : `<b>$${p.price}</b>`;
}

/**
 * `writeKey` is a development key this server generated, or undefined: a key from the
 * environment is never put on a page, so the visitor pastes one (kept in their browser).
 * `email` is the demo block's embed with the `DEMO_QUERY` query (the email on the page,
 * one image and one link per product), `snippets` what `opentime links` prints for it.
 */
export function demoPage(origin: string, writeKey: string | undefined, email: Embed, snippets: Embed[]): string {
  const products = DEMO_PRODUCTS.map(
    (p) => `<li class="product" data-id="${p.id}">
      <img src="/demo/products/${p.id}.png" width="64" height="64" alt="">
      <div class="info"><span class="title">${escapeHtml(p.title)}</span><span class="price">${price(p)}</span></div>
      <button data-action="view">View</button><button data-action="add">Add to cart</button>
    </li>`,
  ).join('\n');
  // The same snippets `opentime links` prints for the demo block.
  const tabs = snippets
    .map((snippet) => `<h3>${MERGE_TAGS[snippet.esp].label}</h3><pre><code>${escapeHtml(snippet.html)}</code></pre><p class="note">${escapeHtml(snippet.notes.join(' '))}</p>`)
    .join('\n');
  // The page fills in the shopper before anything is fetched: the email's URLs wait in data- attributes.
  const emailHtml = email.html.replace(/ src="/g, ' data-src="').replace(/ href="/g, ' data-href="');
  const catalog = JSON.stringify(DEMO_PRODUCTS.map((p) => ({ id: p.id, title: p.title, price: p.sale_price ?? p.price, category: p.category })));
  const curl = `curl -X POST ${origin}/v1/track \\
  -u '${writeKey ?? 'YOUR_WRITE_KEY'}:' -H 'Content-Type: application/json' \\
  -d '{"userId":"SHOPPER","event":"Product Added","properties":{"product_id":"aviators","quantity":1}}'`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>opentime · live demo</title>
<style>
  :root { --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --accent:#d33c3c; --bg:#f6f7f9; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.5 system-ui, -apple-system, Segoe UI, sans-serif; color:var(--ink); background:var(--bg); }
  header { padding:20px 32px; background:#fff; border-bottom:1px solid var(--line); }
  header h1 { margin:0; font-size:20px; } header p { margin:4px 0 0; color:var(--muted); }
  main { display:grid; grid-template-columns:minmax(0, 640px) minmax(320px, 1fr); gap:24px; padding:24px 32px; align-items:start; }
  section { background:#fff; border:1px solid var(--line); border-radius:12px; padding:20px; }
  .meta { color:var(--muted); font-size:13px; border-bottom:1px solid var(--line); padding-bottom:10px; margin-bottom:14px; }
  #email { display:inline-block; max-width:100%; border:1px solid var(--line); border-radius:4px; overflow:hidden; }
  .hint { color:var(--muted); font-size:13px; }
  ul { list-style:none; padding:0; margin:0; }
  .product { display:flex; align-items:center; gap:10px; padding:8px 0; border-bottom:1px solid var(--line); }
  .product img { border-radius:8px; }
  .product .info { flex:1; display:flex; flex-direction:column; }
  .price s { color:var(--muted); } .sale { color:var(--accent); }
  button { font:inherit; font-size:13px; padding:6px 10px; border:1px solid var(--line); border-radius:8px; background:#fff; cursor:pointer; }
  button:hover { border-color:var(--ink); }
  button.primary { background:var(--ink); color:#fff; border-color:var(--ink); }
  .actions { display:flex; gap:8px; margin-top:14px; flex-wrap:wrap; }
  #cart { color:var(--muted); font-size:13px; margin-top:10px; }
  #log { font:12px/1.6 ui-monospace, monospace; color:var(--muted); max-height:160px; overflow:auto; margin-top:12px; }
  pre { background:#0f172a; color:#e2e8f0; padding:12px; border-radius:8px; overflow:auto; font-size:12px; }
  .note { color:var(--muted); font-size:13px; }
  .wide { grid-column:1 / -1; }
  @media (max-width: 900px) { main { grid-template-columns:1fr; padding:16px; } }
</style>
</head>
<body>
<header>
  <h1>opentime · live demo</h1>
  <p>The image below is rendered when the email is opened, from what the shopper on the right just did.</p>
  <p><a href="/studio/">Open the Studio</a> to edit this block, preview it as any subscriber, get the HTML for your email platform and read its report (sign in with the admin key the server printed at start).</p>
</header>
<main>
  <section>
    <div class="meta">From: Demo Shop &lt;hello@shop.example&gt; · Subject: Picked for you</div>
    <p>Hi there, here is what we picked for you:</p>
    <div id="email">${emailHtml}</div>
    <p class="hint">Each reload of the images is an open; the block comes as one image per product, each its own link. Click a product: the link goes to the product that image showed, even if the shopper does something else afterwards.</p>
  </section>
  <section>
    <h2 style="margin-top:0;font-size:17px">Be the shopper <small id="shopper" style="color:var(--muted);font-weight:normal"></small></h2>
    <ul>${products}</ul>
    ${writeKey === undefined ? KEY_FIELD : ''}
    <div id="cart"></div>
    <div class="actions">
      <button class="primary" id="buy">Buy what is in the cart</button>
      <button id="reload">Open the email again</button>
      <button id="reset">Start over as a new shopper</button>
    </div>
    <div id="log"></div>
  </section>
  <section class="wide">
    <h2 style="margin-top:0;font-size:17px">Paste it into your ESP</h2>
    <p class="note">The subscriber id in <code>u=</code> must be the id your shop sends as <code>userId</code>. Never put an email address in the URL in clear text.</p>
    ${tabs}
    <h3>Send events from your backend (Segment's HTTP API)</h3>
    <pre><code>${escapeHtml(curl)}</code></pre>
    <p class="note">${
      writeKey === undefined
        ? 'This server’s write key comes from its environment, so no page shows it: use yours in place of YOUR_WRITE_KEY.'
        : 'This page uses the development write key this server generated, so that it can send events; it is only served while the demo is on (<code>OPENTIME_DEMO=0</code> turns it off).'
    }</p>
  </section>
</main>
<script>
(() => {
  const keyField = document.getElementById('key');
  const CATALOG = ${catalog};
  const store = (() => { try { return window.localStorage; } catch { return null; } })();
  let writeKey = ${JSON.stringify(writeKey ?? '')} || (store && store.getItem('opentime-demo-key')) || '';
  if (keyField) {
    keyField.value = writeKey;
    keyField.addEventListener('change', () => { writeKey = keyField.value.trim(); if (store) store.setItem('opentime-demo-key', writeKey); });
  }
  let shopper = store && store.getItem('opentime-demo-shopper');
  if (!shopper) newShopper();
  let cart = JSON.parse((store && store.getItem('opentime-demo-cart')) || '[]');
  let opens = 0;

  function newShopper() {
    shopper = 'demo-shopper-' + Math.random().toString(36).slice(2, 8);
    if (store) { store.setItem('opentime-demo-shopper', shopper); store.setItem('opentime-demo-cart', '[]'); }
  }
  function saveCart() { if (store) store.setItem('opentime-demo-cart', JSON.stringify(cart)); }
  function query() { return 'u=' + encodeURIComponent(shopper) + '&m=demo-email'; }
  function reopen() {
    opens += 1;
    document.querySelectorAll('#email [data-src]').forEach((img) => { img.src = img.dataset.src.replace(${JSON.stringify(DEMO_QUERY)}, query() + '&open=' + opens); });
    document.querySelectorAll('#email [data-href]').forEach((a) => { a.href = a.dataset.href.replace(${JSON.stringify(DEMO_QUERY)}, query()); });
    document.getElementById('shopper').textContent = shopper;
    const titles = cart.map((id) => CATALOG.find((p) => p.id === id).title);
    document.getElementById('cart').textContent = titles.length ? 'In the cart: ' + titles.join(', ') : 'The cart is empty.';
  }
  function log(line) {
    const el = document.getElementById('log');
    el.insertAdjacentHTML('afterbegin', '<div></div>');
    el.firstChild.textContent = new Date().toLocaleTimeString() + '  ' + line;
  }
  async function track(event, properties) {
    if (!writeKey) { log('Paste a write key above first.'); return; }
    const response = await fetch('/v1/track', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Basic ' + btoa(writeKey + ':') },
      body: JSON.stringify({ userId: shopper, event, properties }),
    });
    log(event + ' → ' + response.status);
    reopen();
  }
  function product(id) { const p = CATALOG.find((x) => x.id === id); return { product_id: p.id, name: p.title, price: p.price, category: p.category, quantity: 1 }; }

  document.querySelectorAll('.product button').forEach((button) => {
    button.addEventListener('click', () => {
      const id = button.closest('.product').dataset.id;
      if (button.dataset.action === 'view') track('Product Viewed', product(id));
      else { if (!cart.includes(id)) cart.push(id); saveCart(); track('Product Added', product(id)); }
    });
  });
  document.getElementById('buy').addEventListener('click', () => {
    if (!cart.length) { log('The cart is empty: add something first.'); return; }
    const products = cart.map(product);
    cart = []; saveCart();
    track('Order Completed', { order_id: 'demo-' + Date.now(), currency: 'USD', products });
  });
  document.getElementById('reload').addEventListener('click', reopen);
  document.getElementById('reset').addEventListener('click', () => { newShopper(); cart = []; log('New shopper: ' + shopper); reopen(); });
  reopen();
})();
</script>
</body>
</html>`;
}

export function demoShopPage(productId: string | undefined): string {
  const product = DEMO_PRODUCTS.find((p) => p.id === productId);
  const body = product
    ? `<img src="/demo/products/${product.id}.png" width="300" height="300" alt="" style="border-radius:12px">
       <h1>${escapeHtml(product.title)}</h1><p>${price(product)}</p>
       <p style="color:#6b7280">You arrived from the email: this is the product its image showed.</p>`
    : `<h1>Demo Shop</h1><ul>${DEMO_PRODUCTS.map((p) => `<li><a href="/demo/shop/${encodeURIComponent(p.id)}">${escapeHtml(p.title)}</a></li>`).join('')}</ul>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Demo Shop</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#111}.sale{color:#d33c3c}s{color:#6b7280}</style></head>
<body>${body}<p><a href="/">← back to the demo</a></p></body></html>`;
}
