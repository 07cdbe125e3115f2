import { compactScript } from './compact.ts';

/**
 * The browser snippet's core, as the JavaScript that is served: Segment
 * payloads, the queue in first-party storage, batching, retries with
 * backoff. It touches no browser global; everything it needs comes in as
 * `env` (clock, timers, storage, transport), so the same bytes run in Node
 * tests with fake timers and a fake transport. `browser.ts` wires it to a
 * real page.
 *
 * Written as a string (no backticks or `${` inside) so that the served
 * script needs no build step and runs the same on Node and on Workers.
 */
export const SDK_VERSION = '1.0.0';

const source = String.raw`
var LIBRARY = { name: 'opentime.js', version: '${SDK_VERSION}' };
// Keys in first-party storage (localStorage; the two ids fall back to cookies).
var KEYS = { queue: 'opentime.queue', anonymousId: 'opentime.aid', userId: 'opentime.uid', userHash: 'opentime.uhash', consent: 'opentime.consent' };

function createClient(env) {
  var QUEUE = KEYS.queue;
  var ANONYMOUS_ID = KEYS.anonymousId;
  var USER_ID = KEYS.userId;
  var USER_HASH = KEYS.userHash;
  var CONSENT = KEYS.consent;
  // Events kept while the API cannot be reached; past this the oldest go, so storage stays small.
  var MAX_QUEUE = 200;
  // The API refuses an event over 32 KB; one that big is dropped here instead of failing its batch.
  var MAX_EVENT_BYTES = 32 * 1024;
  // Browsers allow 64 KB of sendBeacon and keepalive bodies in flight per page.
  var MAX_BATCH_BYTES = 60 * 1024;
  var MAX_BATCH_EVENTS = env.maxBatch > 0 ? env.maxBatch : 20;
  var FLUSH_MS = env.flushMs >= 0 ? env.flushMs : 1000;
  var BACKOFF_MS = 1000;
  var BACKOFF_MAX_MS = 5 * 60 * 1000;
  // A beaconed batch cannot be confirmed, so it stays stored and rides along with the next batch.
  // The API ignores a messageId seen in the last 24 hours; an hour later it is dropped, not resent.
  var RESEND_BEACONED_MS = 60 * 60 * 1000;

  var memory = [];
  var persisted = true;
  var timer = null;
  var due = 0;
  var inflight = {};
  var sending = false;
  var failures = 0;
  var size = MAX_BATCH_EVENTS;
  var aid = null;
  var uid = null;
  var uhash = null;

  // UTF-8 length, rounded up: every non-ASCII UTF-16 unit counts three bytes.
  function bytes(text) {
    var n = text.length;
    for (var i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) n += 2;
    return n;
  }
  function iso(ms) {
    return new Date(ms).toISOString();
  }
  function object(value) {
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  }

  function load() {
    if (!persisted) return memory.slice();
    var raw = env.storage.get(QUEUE);
    if (raw === null || raw === undefined) return memory.slice();
    try {
      var queue = JSON.parse(raw);
      return Array.isArray(queue) ? queue.filter(function (e) { return e && e.m && e.m.messageId; }) : [];
    } catch (error) {
      return [];
    }
  }
  // When storage refuses (full, blocked, private mode) the queue lives in memory for this page.
  function save(queue) {
    memory = queue;
    persisted = env.storage.set(QUEUE, JSON.stringify(queue)) !== false;
  }
  function drop(ids) {
    save(load().filter(function (e) { return !ids[e.m.messageId]; }));
  }

  function anonymousId() {
    var stored = env.storage.get(ANONYMOUS_ID);
    if (stored) return (aid = stored);
    aid = aid || env.uuid();
    env.storage.set(ANONYMOUS_ID, aid);
    return aid;
  }
  function userId() {
    return env.storage.get(USER_ID) || uid || null;
  }
  // The shop server's HMAC of the user id (OPENTIME_IDENTITY_SECRET), proof that this visitor is that user.
  function userHash() {
    return env.storage.get(USER_HASH) || uhash || null;
  }

  function schedule(ms) {
    var at = env.now() + ms;
    if (timer !== null) {
      if (due <= at) return;
      env.clearTimeout(timer);
    }
    due = at;
    timer = env.setTimeout(function () {
      timer = null;
      flush(false);
    }, ms);
  }
  function retryLater() {
    failures += 1;
    if (timer !== null) env.clearTimeout(timer);
    timer = null;
    var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MS * Math.pow(2, failures - 1));
    // Jitter, so that many pages coming back online together do not retry in step.
    schedule(Math.round(delay * (0.5 + env.random() / 2)));
  }

  // The visitor's consent by category ({ Personalization: false }), as the page's consent banner set it.
  function consentPreferences() {
    var raw = env.storage.get(CONSENT);
    if (!raw) return null;
    try {
      var parsed = JSON.parse(raw);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : null;
    } catch (error) {
      return null;
    }
  }

  function enqueue(type, fields) {
    var message = { type: type, messageId: 'ot-' + env.uuid(), anonymousId: anonymousId() };
    for (var name in fields) message[name] = fields[name];
    var user = userId();
    if (user) message.userId = user;
    message.timestamp = iso(env.now());
    var context = object(env.context());
    context.library = LIBRARY;
    var hash = user ? userHash() : null;
    if (hash) context.userHash = hash;
    var preferences = consentPreferences();
    // Segment's consent shape, which OPENTIME_CONSENT_CATEGORIES reads on the server.
    if (preferences) context.consent = { categoryPreferences: preferences };
    message.context = context;
    var text;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      env.log('opentime: ' + type + ' was not sent: its properties cannot be turned into JSON');
      return;
    }
    if (bytes(text) > MAX_EVENT_BYTES) {
      env.log('opentime: ' + type + ' was not sent: it is over 32 KB');
      return;
    }
    var queue = load();
    queue.push({ m: message, b: 0 });
    if (queue.length > MAX_QUEUE) queue = queue.slice(queue.length - MAX_QUEUE);
    save(queue);
    // While backing off, the retry timer decides when to send.
    if (failures === 0) schedule(queue.length >= size ? 0 : FLUSH_MS);
  }

  // Up to one batch of stored events that are not already being sent.
  function take(queue, unloading) {
    var batch = [];
    var total = 100;
    for (var i = 0; i < queue.length && batch.length < size; i++) {
      var entry = queue[i];
      if (inflight[entry.m.messageId] || (unloading && entry.b)) continue;
      var n = bytes(JSON.stringify(entry.m)) + 1;
      if (batch.length > 0 && total + n > MAX_BATCH_BYTES) break;
      batch.push(entry.m);
      total += n;
    }
    return batch;
  }

  function flush(unloading) {
    var queue = load();
    var now = env.now();
    var kept = queue.filter(function (e) { return !e.b || now - e.b < RESEND_BEACONED_MS; });
    if (kept.length !== queue.length) save((queue = kept));
    if (queue.length === 0 || (sending && !unloading)) return;
    // Offline: keep everything stored; the browser's online event (or the backoff) sends it later.
    if (!env.online()) {
      if (!unloading) retryLater();
      return;
    }
    var batch = take(queue, unloading);
    if (batch.length === 0) return;
    var ids = {};
    for (var i = 0; i < batch.length; i++) ids[batch[i].messageId] = inflight[batch[i].messageId] = true;
    if (!unloading) sending = true;
    var body = JSON.stringify({ batch: batch, sentAt: iso(now), writeKey: env.key });
    var settled = function (status) {
      settle(ids, batch.length, status, unloading);
    };
    var result;
    try {
      result = env.send(env.api + '/v1/batch', body, unloading);
    } catch (error) {
      result = null;
    }
    if (result && typeof result.then === 'function') result.then(settled, function () { settled(0); });
    else settled(0);
  }

  // status: the HTTP status; 0 when the request failed; -1 when handed to sendBeacon (outcome unknown).
  function settle(ids, count, status, unloading) {
    for (var id in ids) delete inflight[id];
    if (!unloading) sending = false;
    if (status === -1) {
      var at = env.now();
      save(load().map(function (e) { return ids[e.m.messageId] && !e.b ? { m: e.m, b: at } : e; }));
      return;
    }
    if (status >= 200 && status < 300) {
      drop(ids);
      failures = 0;
      size = MAX_BATCH_EVENTS;
    } else if ((status === 400 || status === 413) && count > 1) {
      // One bad event fails its whole batch: halve the batch until the bad one is alone.
      size = Math.max(1, Math.floor(count / 2));
    } else if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      // Refused for good (a bad event, a wrong key, an origin not allowed): retrying cannot help.
      drop(ids);
      size = MAX_BATCH_EVENTS;
      env.log('opentime: the events API refused ' + count + ' event(s) with HTTP ' + status + '; see the response in the network panel');
    } else {
      if (!unloading) retryLater();
      return;
    }
    if (load().length > 0) schedule(0);
  }

  var client = {
    track: function (event, properties) {
      if (typeof event !== 'string' || event === '') return env.log('opentime.track needs an event name');
      enqueue('track', { event: event, properties: object(properties) });
    },
    // identify(id, traits, { userHash }): the hash comes from the shop's server and rides with every later event.
    identify: function (id, traits, options) {
      if (id && typeof id === 'object') {
        options = traits;
        traits = id;
        id = null;
      }
      if (id !== null && id !== undefined && String(id).trim() !== '') {
        var next = String(id).trim();
        var given = object(options).userHash;
        if (typeof given === 'string' && given !== '') {
          uhash = given;
          env.storage.set(USER_HASH, uhash);
        } else if (next !== userId()) {
          // A hash made for another user would only be refused.
          uhash = null;
          env.storage.remove(USER_HASH);
        }
        uid = next;
        env.storage.set(USER_ID, uid);
      }
      enqueue('identify', { traits: object(traits) });
    },
    page: function (name, properties) {
      if (name && typeof name === 'object') {
        properties = name;
        name = null;
      }
      var props = object(object(env.context()).page);
      var given = object(properties);
      for (var key in given) props[key] = given[key];
      var fields = { properties: props };
      if (typeof name === 'string' && name !== '') fields.name = name;
      enqueue('page', fields);
    },
    // Categories the visitor allowed (true) or refused (false); kept in first-party storage and sent with every later event.
    consent: function (preferences) {
      var given = object(preferences);
      var kept = {};
      var count = 0;
      for (var name in given) {
        if (typeof given[name] !== 'boolean') return env.log('opentime.consent takes { category: true or false }');
        kept[name] = given[name];
        count++;
      }
      if (count === 0) return env.log('opentime.consent takes { category: true or false }');
      var merged = consentPreferences() || {};
      for (var key in kept) merged[key] = kept[key];
      env.storage.set(CONSENT, JSON.stringify(merged));
    },
    // Logging out: forget the user and start a new anonymous id, so the next person is someone else.
    reset: function () {
      env.storage.remove(USER_ID);
      env.storage.remove(USER_HASH);
      uid = null;
      uhash = null;
      aid = env.uuid();
      env.storage.set(ANONYMOUS_ID, aid);
    },
    flush: function (unloading) {
      flush(unloading === true);
    },
    user: function () {
      return { anonymousId: anonymousId(), userId: userId() };
    }
  };
  // Events stored by an earlier page (offline, or beaconed) go out with this page's first batch.
  if (load().length > 0) schedule(FLUSH_MS);
  return client;
}

// schema.org Product nodes in parsed JSON-LD (arrays and @graph included), as Segment product properties.
function ldProducts(value, out) {
  out = out || [];
  if (Array.isArray(value)) {
    for (var i = 0; i < value.length; i++) ldProducts(value[i], out);
    return out;
  }
  if (!value || typeof value !== 'object' || out.length >= 20) return out;
  var types = [].concat(value['@type'] || []);
  var isProduct = types.some(function (t) { return typeof t === 'string' && /(^|[:\/])Product$/.test(t); });
  if (isProduct) {
    var product = ldProduct(value);
    if (product) out.push(product);
  }
  if (value['@graph']) ldProducts(value['@graph'], out);
  return out;
}

function ldProduct(node) {
  function text(v) {
    if (typeof v === 'number' && isFinite(v)) return String(v);
    if (typeof v === 'string' && v.trim() !== '') return v.trim().slice(0, 500);
    if (v && typeof v === 'object' && !Array.isArray(v)) return text(v.name);
    return undefined;
  }
  function first(v) {
    return Array.isArray(v) ? v[0] : v;
  }
  var id = text(node.productID) || text(node.sku) || text(node.mpn) || text(node.gtin) || text(node.gtin13);
  if (!id) return null;
  var offer = first(node.offers) || {};
  var rawPrice = offer.price !== undefined ? offer.price : offer.lowPrice;
  var price = rawPrice === undefined || rawPrice === null || rawPrice === '' ? NaN : Number(rawPrice);
  var image = first(node.image);
  var props = {
    product_id: id,
    sku: text(node.sku),
    name: text(node.name),
    brand: text(node.brand),
    category: text(node.category),
    price: isFinite(price) ? price : undefined,
    currency: text(offer.priceCurrency),
    url: text(node.url) || text(offer.url),
    image_url: image && typeof image === 'object' ? text(image.url) || text(image.contentUrl) : text(image)
  };
  for (var key in props) if (props[key] === undefined) delete props[key];
  return props;
}
`;

/** The core as served: `createClient(env)` and `ldProducts(json)`. */
export const SDK_CLIENT = compactScript(source);
