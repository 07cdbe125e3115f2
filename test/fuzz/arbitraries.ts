import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

/**
 * Hostile input for the property-based tests: what a stranger who has read
 * an email's HTML, a broken ESP merge tag, a misconfigured sender or a
 * link scanner can put in a URL, a header or a body.
 */

/** Strings that have broken parsers elsewhere: encodings, traversal, NUL, markup, huge numbers. */
const NASTY = [
  '',
  ' ',
  '..',
  '../..',
  '%2e%2e%2f',
  '%00',
  '\u0000',
  '%',
  '%E0%A4%A',
  '%ZZ',
  '+',
  '%2B',
  '\ud800',
  '\udfff',
  '😀',
  'é',
  'İ',
  '\u202e',
  '<script>alert(1)</script>',
  '{{ 7 * 7 }}',
  '{% raw %}',
  '"',
  "'",
  '\\',
  '__proto__',
  'constructor',
  'prototype',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '99999999999999999999999',
  '0x10',
  'null',
  'undefined',
  '[]',
  '{}',
  'a@b.c',
  'Alice@Example.COM',
  '2026-06-01T12:00:00Z',
  '1780000000',
  'javascript:alert(1)',
  'http://169.254.169.254/',
  '/etc/passwd',
  'C:\\Windows',
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  // Long values: past every bound the routes have (ids 256, message ids 128, rule params 200).
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '%41', '😀', '\u0000', 'é'), fc.integer({ min: 100, max: 6000 })).map(([s, n]) => s.repeat(n)) },
);

/** Percent-encoding that cannot throw: a lone surrogate goes out the way `escape` mangles it. */
export function encodeLoosely(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return escape(value);
  }
}

/** A query value as it travels: raw (the test encodes it) or already percent-encoded, possibly badly. */
export const queryValue: fc.Arbitrary<string> = fc.oneof(nastyString, fc.constantFrom('alice', 'bob', 'carol', 'spring', 'vip', '1', 'true'));

const OWN_PARAMS = [
  'u',
  'm',
  't',
  'sig',
  'jwt',
  'k',
  'ends',
  'tz',
  'tier',
  'ts',
  'writeKey',
  'event',
  'userId',
  'anonymousId',
  'messageId',
  'timestamp',
  'data',
  'properties',
  'context',
  'properties.product_id',
  'properties.a.b.c.d.e',
  'properties.__proto__.x',
  'context.page.url',
];

export const queryName: fc.Arbitrary<string> = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...OWN_PARAMS) }, { weight: 1, arbitrary: nastyString });

/** A query string: names and values encoded, raw, or mangled, repeated parameters included. */
export const queryString: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(queryName, queryValue, fc.constantFrom('encoded', 'encoded', 'raw', 'double')).map(([name, value, how]) => {
      const encode = encodeLoosely;
      if (how === 'raw') return `${name.replace(/[#&=]/g, '')}=${value.replace(/[#&]/g, '')}`;
      if (how === 'double') return `${encode(encode(name))}=${encode(encode(value))}`;
      return `${encode(name)}=${encode(value)}`;
    }),
    { maxLength: 12 },
  )
  .chain((pairs) => fc.constantFrom(pairs.join('&'), `${pairs.join('&')}&`, `&&${pairs.join('&')}`, `${pairs.join('&')}#frag`));

/** A path segment that stays one segment: what goes between `/i/` and the end of the path. */
export const pathSegment: fc.Arbitrary<string> = nastyString.map((s) => {
  const encoded = encodeLoosely(s);
  return encoded === '' || encoded === '.' || encoded === '..' ? `x${encoded}` : encoded;
});

/** Header values a client can really send: bytes 0x20–0xFF and tab (no CR, LF or NUL), sometimes long. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'Mozilla/5.0',
    'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
    'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html',
    'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    'curl/8.0',
    'Proofpoint URL Defense',
    '',
    '   ',
    'Basic',
    'Basic !!!',
    `Basic ${btoa(':')}`,
    `Basic ${btoa(`${'x'.repeat(300)}:`)}`,
    'Bearer ',
    'Bearer a b',
    'gzip',
    'deflate',
    'br',
    'gzip, gzip',
    'identity',
    'application/json',
    'text/plain;charset=UTF-8',
    'multipart/form-data; boundary=x',
    '*/*',
  ),
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, '')),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) =>
    [...s]
      .map((ch) => String.fromCharCode(0x20 + (ch.charCodeAt(0) % 0xe0)))
      .join('')
      .replace(/\x7f/g, ''),
  ),
  fc.integer({ min: 1000, max: 8000 }).map((n) => 'A'.repeat(n)),
);

const HEADER_NAMES = [
  'user-agent',
  'authorization',
  'content-type',
  'content-encoding',
  'accept',
  'accept-encoding',
  'origin',
  'referer',
  'x-request-id',
  'if-none-match',
  'x-signature',
  'x-forwarded-for',
  'cookie',
  'range',
];

export const headers: fc.Arbitrary<Record<string, string>> = fc.dictionary(fc.constantFrom(...HEADER_NAMES), headerValue, { maxKeys: 3 });

/** Headers that Headers() itself would refuse never reach a server; such a case is dropped rather than sent. */
export function sendableHeaders(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(record)) {
    try {
      new Headers({ [name]: value });
      out[name] = value;
    } catch {
      // Not a ByteString: no HTTP client could send it.
    }
  }
  return out;
}

/** JSON nested `depth` levels, as objects or arrays. */
export function nested(depth: number, kind: 'object' | 'array' = 'object'): string {
  return kind === 'object' ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : '['.repeat(depth) + ']'.repeat(depth);
}

const deepValue: fc.Arbitrary<unknown> = fc
  .tuple(fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 40 }) }, { weight: 1, arbitrary: fc.integer({ min: 60, max: 2000 }) }), fc.boolean())
  .map(([depth, arrays]) => JSON.parse(nested(depth, arrays ? 'array' : 'object')) as unknown);

/** A value of any JSON type, sometimes a wrong one for the field it lands in. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: nastyString },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 2 ** 53 + 1, [], {}) },
);

const EVENT_NAMES = [
  'Product Viewed',
  'Product Added',
  'Product Removed',
  'Cart Viewed',
  'Checkout Started',
  'Order Completed',
  'Products Searched',
  'Product List Viewed',
  'Email Opened',
  'product_viewed',
  'Something Else',
];
const TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

/** Mostly a plausible value, so that events get past validation into the reducer; sometimes anything. */
function mostly<T>(plausible: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> {
  return fc.oneof({ weight: 6, arbitrary: plausible }, { weight: 1, arbitrary: nastyString }, { weight: 1, arbitrary: anyValue });
}

const isoDate = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());

const productish: fc.Arbitrary<unknown> = mostly(
  fc.record(
    {
      product_id: mostly(fc.constantFrom('p-red', 'p-blue', 'p-green', 'p-1')),
      quantity: mostly(fc.integer({ min: -5, max: 1e6 })),
      price: mostly(fc.double({ noNaN: true })),
      category: mostly(fc.constantFrom('shoes', 'bags', 'Home & Garden')),
      name: mostly(fc.string({ maxLength: 30 })),
    },
    { requiredKeys: [] },
  ),
);

const eventFields = {
  userId: mostly(fc.constantFrom('alice', 'bob', 'Alice@Example.COM', 'c-1042')),
  anonymousId: mostly(fc.constantFrom('anon-1', 'anon-2')),
  previousId: mostly(fc.constantFrom('anon-1', 'alice')),
  event: mostly(fc.constantFrom(...EVENT_NAMES)),
  messageId: mostly(fc.uuid()),
  timestamp: mostly(isoDate),
  sentAt: mostly(isoDate),
  originalTimestamp: mostly(isoDate),
  properties: mostly(
    fc.record(
      {
        product_id: mostly(fc.constantFrom('p-red', 'p-blue')),
        products: mostly(fc.array(productish, { maxLength: 60 })),
        category: mostly(fc.constantFrom('shoes', 'bags')),
        query: mostly(fc.string({ maxLength: 30 })),
        order_id: mostly(fc.string({ maxLength: 10 })),
        quantity: mostly(fc.integer({ min: 0, max: 10 })),
        message_id: mostly(fc.string({ maxLength: 10 })),
      },
      { requiredKeys: [] },
    ),
  ),
  traits: mostly(fc.record({ email: mostly(fc.constantFrom('alice@example.com', 'x@y.z')), opentime_opt_out: mostly(fc.boolean()), plan: anyValue }, { requiredKeys: [] })),
  context: mostly(
    fc.record(
      { consent: fc.record({ categoryPreferences: fc.dictionary(fc.constantFrom('Personalization', 'Advertising'), mostly(fc.boolean())) }), page: anyValue },
      { requiredKeys: [] },
    ),
  ),
  writeKey: fc.oneof(nastyString, anyValue),
};

/** An event a real sender could send: every field plausible (for the endpoint or a batch item). */
const plausibleEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.constantFrom(...TYPES),
    fc.boolean(),
    fc.constantFrom('alice', 'bob', 'Alice@Example.COM', 'c-1042', 'anon-9'),
    fc.constantFrom(...EVENT_NAMES),
    fc.uuid(),
    fc.option(isoDate, { nil: undefined }),
    fc.record(
      {
        product_id: fc.constantFrom('p-red', 'p-blue', 'p-green'),
        quantity: fc.integer({ min: 1, max: 3 }),
        category: fc.constantFrom('shoes', 'bags'),
        products: fc.array(productish, { maxLength: 5 }),
      },
      { requiredKeys: [] },
    ),
    fc.record({ email: fc.constantFrom('alice@example.com', 'bob@example.com'), plan: fc.string({ maxLength: 10 }), opentime_opt_out: fc.boolean() }, { requiredKeys: [] }),
  )
  .map(([type, typed, id, event, messageId, timestamp, properties, traits]) => ({
    ...(typed ? { type } : {}),
    ...(id.startsWith('anon') ? { anonymousId: id } : { userId: id }),
    ...(type === 'track' || !typed ? { event } : {}),
    ...(type === 'alias' ? { previousId: 'anon-1' } : {}),
    messageId,
    ...(timestamp ? { timestamp } : {}),
    properties,
    traits,
  }));

/** A batch item a Segment library would send: it always names its type. */
const batchItem = plausibleEvent.map((event) => ({ type: 'track', event: 'Product Viewed', ...event }));

/**
 * A Segment-shaped event: a plausible one (so events reach the reducer and
 * the store), one with a few fields replaced by anything, or every field
 * drawn from anything.
 */
export const segmentEvent: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 3, arbitrary: plausibleEvent },
  {
    weight: 3,
    arbitrary: fc
      .tuple(plausibleEvent, fc.dictionary(fc.constantFrom(...Object.keys(eventFields), 'type', 'batch', '__proto__'), fc.oneof(nastyString, anyValue), { minKeys: 1, maxKeys: 3 }))
      .map(([event, patch]) => ({ ...event, ...patch })),
  },
  { weight: 1, arbitrary: fc.record({ type: mostly(fc.constantFrom(...TYPES)), ...eventFields }, { requiredKeys: [] }) },
);

/** A gzip body that inflates to `megabytes` of zeros: a few KB on the wire. */
export function gzipBomb(megabytes: number): Uint8Array {
  return new Uint8Array(gzipSync(Buffer.alloc(megabytes * 1024 * 1024)));
}

/** Bytes that are not UTF-8 (lone continuation bytes, overlongs, surrogates encoded), around JSON. */
export const invalidUtf8: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.uint8Array({ maxLength: 200 }), fc.constantFrom([0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff, 0xfe], [0x80], [0xf4, 0x90, 0x80, 0x80]))
  .map(([noise, bad]) => {
    const head = new TextEncoder().encode('{"userId":"');
    const tail = new TextEncoder().encode('","event":"Product Viewed"}');
    return new Uint8Array([...head, ...bad, ...noise.filter((b) => b !== 0x22 && b !== 0x5c), ...tail]);
  });

export type Body = { bytes: Uint8Array | string; encoding?: string };

/** A request body: JSON of any shape, Segment-shaped JSON, huge, deep, not UTF-8, or a gzip bomb. */
export function bodies(bomb: Uint8Array): fc.Arbitrary<Body> {
  return fc.oneof(
    { weight: 4, arbitrary: segmentEvent.map((e) => ({ bytes: JSON.stringify(e) })) },
    { weight: 2, arbitrary: fc.array(segmentEvent, { maxLength: 20 }).map((batch) => ({ bytes: JSON.stringify({ batch, sentAt: new Date().toISOString() }) })) },
    { weight: 3, arbitrary: fc.array(batchItem, { minLength: 1, maxLength: 30 }).map((batch) => ({ bytes: JSON.stringify({ batch, sentAt: new Date().toISOString() }) })) },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => ({ bytes: JSON.stringify(v) })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => ({ bytes: s })) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 60, max: 120_000 }), fc.boolean()).map(([d, arrays]) => ({ bytes: nested(d, arrays ? 'array' : 'object') })) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1000, max: 300_000 }).map((n) => ({ bytes: `{"batch":[${'{"type":"track","userId":"u","event":"x"},'.repeat(Math.ceil(n / 40))}1]}` })),
    },
    { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 200_000 }).map((n) => ({ bytes: `[${'1,'.repeat(n)}1]` })) },
    { weight: 1, arbitrary: invalidUtf8.map((bytes) => ({ bytes })) },
    { weight: 1, arbitrary: fc.constant({ bytes: bomb, encoding: 'gzip' }) },
    { weight: 1, arbitrary: fc.constant({ bytes: bomb.slice(0, 100), encoding: 'gzip' }) },
    { weight: 1, arbitrary: segmentEvent.map((e) => ({ bytes: new Uint8Array(gzipSync(JSON.stringify(e))), encoding: 'gzip' })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Body>(
        { bytes: '' },
        { bytes: 'null' },
        { bytes: '"x"' },
        { bytes: '{"batch":[]}' },
        { bytes: '{"batch":{}}' },
        { bytes: '\ufeff{}' },
        { bytes: '{"a":1}', encoding: 'br' },
      ),
    },
  );
}
