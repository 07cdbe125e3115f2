import { compactScript } from './compact.ts';

/**
 * The snippet's browser half: reads its settings from its own script tag,
 * gives the core first-party storage, a transport and page context, replays
 * calls made before it loaded, flushes when the page is hidden, and (only
 * when the tag asks) captures product views and add-to-cart clicks.
 *
 * Transport: while the page is visible, `fetch` with `keepalive`, because
 * only a response tells the core whether to retry (sendBeacon reports
 * nothing back); when the page is being hidden or unloaded,
 * `navigator.sendBeacon`, the one request browsers promise to send after
 * the page is gone, falling back to `fetch` with `keepalive` when the
 * beacon is refused. Both send `text/plain`, so no CORS preflight is needed.
 *
 * Runs inside the IIFE that `script.ts` builds, after `createClient`,
 * `ldProducts` and `KEYS` from `client.ts`; `w` is window, `d` document.
 */
const source = String.raw`
if (w.opentime && w.opentime.loaded) return;
var script = d.currentScript || d.querySelector('script[data-key][src*="sdk.js"]');
var settings = (script && script.dataset) || {};
// Where to send: data-api, else the folder the script was loaded from (a first-party path proxies both).
var api = (settings.api || (script && script.src ? script.src.replace(/\/[^\/?#]*(?:[?#].*)?$/, '') : '')).replace(/\/+$/, '');
var DEFAULT_CART_SELECTOR = '[data-opentime-add-to-cart], form[action*="/cart/add"] [type="submit"], form[action*="/cart/add"] button:not([type])';
// Only the two ids fall back to cookies: a queue in a cookie would ride along on every request to the shop.
var COOKIE_KEYS = {};
COOKIE_KEYS[KEYS.anonymousId] = true;
COOKIE_KEYS[KEYS.userId] = true;

function warn(message) {
  if (w.console && w.console.warn) w.console.warn(message);
}

function browserStorage() {
  var local = null;
  try {
    local = w.localStorage;
    local.setItem('opentime.probe', '1');
    local.removeItem('opentime.probe');
  } catch (error) {
    local = null;
  }
  function cookieName(key) {
    return key.replace(/\./g, '_');
  }
  function writeCookie(key, value, maxAgeSeconds) {
    var secure = w.location.protocol === 'https:' ? '; Secure' : '';
    try {
      d.cookie = cookieName(key) + '=' + encodeURIComponent(value) + '; path=/; max-age=' + maxAgeSeconds + '; SameSite=Lax' + secure;
      return true;
    } catch (error) {
      return false;
    }
  }
  return {
    get: function (key) {
      if (local) {
        try {
          return local.getItem(key);
        } catch (error) {}
      }
      if (!COOKIE_KEYS[key]) return null;
      var match = ('; ' + d.cookie).split('; ' + cookieName(key) + '=')[1];
      return match === undefined ? null : decodeURIComponent(match.split(';')[0]);
    },
    set: function (key, value) {
      if (local) {
        try {
          local.setItem(key, value);
          return true;
        } catch (error) {}
      }
      return COOKIE_KEYS[key] ? writeCookie(key, value, 365 * 24 * 3600) : false;
    },
    remove: function (key) {
      if (local) {
        try {
          local.removeItem(key);
        } catch (error) {}
      }
      if (COOKIE_KEYS[key]) writeCookie(key, '', 0);
    }
  };
}

function uuid() {
  var c = w.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  var b = new Uint8Array(16);
  if (c && c.getRandomValues) c.getRandomValues(b);
  else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  var hex = '';
  for (var j = 0; j < 16; j++) hex += (b[j] + 256).toString(16).slice(1) + (j === 3 || j === 5 || j === 7 || j === 9 ? '-' : '');
  return hex;
}

function send(url, body, unloading) {
  var nav = w.navigator;
  if (unloading && nav.sendBeacon) {
    try {
      if (nav.sendBeacon(url, body)) return Promise.resolve(-1);
    } catch (error) {}
  }
  if (typeof w.fetch !== 'function') return Promise.resolve(0);
  return w.fetch(url, { method: 'POST', body: body, keepalive: true, credentials: 'omit', headers: { 'Content-Type': 'text/plain' } }).then(
    function (response) { return response.status; },
    function () { return 0; }
  );
}

function context() {
  var l = w.location;
  return {
    page: { path: l.pathname, referrer: d.referrer, search: l.search, title: d.title, url: l.href },
    userAgent: w.navigator.userAgent,
    locale: w.navigator.language
  };
}

if (!settings.key) warn('opentime: the script tag needs data-key (the browser key)');
var client = createClient({
  api: api,
  key: settings.key || '',
  now: function () { return Date.now(); },
  setTimeout: function (fn, ms) { return w.setTimeout(fn, ms); },
  clearTimeout: function (id) { w.clearTimeout(id); },
  random: Math.random,
  uuid: uuid,
  storage: browserStorage(),
  online: function () { return w.navigator.onLine !== false; },
  send: send,
  context: context,
  log: warn
});

var queued = Array.isArray(w.opentime) ? w.opentime : [];
var opentime = {
  loaded: true,
  track: client.track,
  identify: client.identify,
  page: client.page,
  reset: client.reset,
  consent: client.consent,
  user: client.user,
  flush: function () { client.flush(false); }
};
w.opentime = opentime;
for (var q = 0; q < queued.length; q++) {
  var call = queued[q];
  if (call && typeof opentime[call[0]] === 'function') opentime[call[0]].apply(null, [].slice.call(call, 1));
}

// What must be recorded as the page goes away, before the last flush (engagement).
var onLeave = [];
function leaving() {
  for (var l = 0; l < onLeave.length; l++) onLeave[l]();
  client.flush(true);
}
w.addEventListener('pagehide', leaving);
d.addEventListener('visibilitychange', function () {
  if (d.visibilityState === 'hidden') leaving();
});
w.addEventListener('online', function () { client.flush(false); });

// Auto-capture: off unless the tag says data-autocapture="product cart engagement" (any of the words alone works too).
var capture = ' ' + (settings.autocapture || '').toLowerCase().replace(/,/g, ' ') + ' ';
function pageProduct() {
  var nodes = d.querySelectorAll('script[type="application/ld+json"]');
  var found = [];
  for (var i = 0; i < nodes.length && found.length === 0; i++) {
    try {
      ldProducts(JSON.parse(nodes[i].textContent || ''), found);
    } catch (error) {}
  }
  return found[0] || null;
}
function whenReady(fn) {
  if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', fn);
  else fn();
}
if (capture.indexOf(' product ') !== -1) {
  whenReady(function () {
    var product = pageProduct();
    if (product) client.track('Product Viewed', product);
  });
}
// Engagement: how long the page was visible and how far it was scrolled, sent as the page is hidden or left.
if (capture.indexOf(' engagement ') !== -1) {
  var visibleMs = 0;
  var visibleSince = d.visibilityState === 'hidden' ? null : Date.now();
  var deepest = 0;
  var measureScroll = function () {
    var root = d.documentElement;
    var height = Math.max(root.scrollHeight, d.body ? d.body.scrollHeight : 0);
    var seen = height > 0 ? (w.scrollY + w.innerHeight) / height : 1;
    if (seen > deepest) deepest = Math.min(1, seen);
  };
  whenReady(measureScroll);
  w.addEventListener('scroll', measureScroll, { passive: true });
  d.addEventListener('visibilitychange', function () {
    if (d.visibilityState === 'visible' && visibleSince === null) visibleSince = Date.now();
  });
  onLeave.push(function () {
    if (visibleSince !== null) visibleMs += Date.now() - visibleSince;
    visibleSince = null;
    // Under a second is a glance, not a read; each hidden spell reports the time since the last.
    if (visibleMs < 1000) return;
    client.track('Page Engaged', { dwell_seconds: Math.round(visibleMs / 100) / 10, scroll_depth: Math.round(deepest * 100) / 100, path: w.location.pathname });
    visibleMs = 0;
  });
}
if (capture.indexOf(' cart ') !== -1) {
  var selector = settings.cartSelector || DEFAULT_CART_SELECTOR;
  try {
    d.querySelector(selector);
  } catch (error) {
    selector = null;
    warn('opentime: data-cart-selector is not a valid CSS selector');
  }
  if (selector) {
    d.addEventListener('click', function (event) {
      var target = event.target && event.target.closest ? event.target.closest(selector) : null;
      if (!target) return;
      var holder = target.closest('[data-product-id]');
      var product = holder ? { product_id: holder.getAttribute('data-product-id') } : pageProduct();
      if (!product || !product.product_id) return;
      var form = target.form || target.closest('form');
      var field = form && form.querySelector('[name="quantity"]');
      var quantity = field ? Number(field.value) : 1;
      product.quantity = quantity > 0 ? Math.floor(quantity) : 1;
      client.track('Product Added', product);
    }, true);
  }
}
`;

export const SDK_BROWSER = compactScript(source);
