import { refuse } from './fetch-error.ts';

/**
 * Which URLs the server fetches photos from. Product photos and hero
 * backgrounds are fetched by the server, from URLs in the catalog and in
 * block configs; whoever can write one of those (an admin key, a catalog
 * feed) could otherwise make the server fetch from inside its own network —
 * a cloud metadata service, an admin panel on localhost — and draw the answer
 * into an image. The checks, in order; a redirect's target passes all of them
 * again (src/adapters/image/ follow redirects by hand, a limited number):
 *
 *  1. The URL: http or https only, no `user:password@`, the scheme's default
 *     port unless OPENTIME_IMAGE_HOSTS names the port (`host:8080`, `host:*`).
 *  2. The host: one of OPENTIME_IMAGE_HOSTS (`cdn.example.com`, or
 *     `*.example.com` for any subdomain) when it is set.
 *  3. Literal addresses, and names that are local by definition (`localhost`,
 *     `*.local`, `*.internal`, single labels such as `redis`), are classified
 *     here: loopback, private, CGNAT, link-local, cloud metadata, unspecified,
 *     multicast and reserved ranges are refused, in IPv4 and IPv6 alike, with
 *     the IPv4 inside mapped (`::ffff:…`), NAT64 (`64:ff9b::/96`) and 6to4
 *     addresses classified as IPv4. WHATWG URL parsing has already turned
 *     `http://0x7f.1/` and `http://2130706433/` into `127.0.0.1`.
 *  4. Node (src/adapters/image/node-http.ts): every address a name resolves
 *     to is classified the same way, and the connection is made to the address
 *     that was checked, so DNS cannot answer differently in between.
 *
 * OPENTIME_IMAGE_ALLOW_PRIVATE (development, tests) lets loopback, private,
 * CGNAT and unique-local addresses through, never link-local, metadata,
 * multicast or reserved ones. URLs that the server serves itself (the demo
 * shop's photos) are `trusted` by the entry that knows its own origin.
 *
 * Still open:
 *  - Workers have no DNS lookup: a public name that resolves to a private
 *    address is not refused here but by Cloudflare's edge, which does not
 *    reach private networks.
 *  - With OPENTIME_IMAGE_HOSTS unset, any public host is fetched from: the
 *    server can be made to fetch public URLs (not to reach inside the
 *    network). Setting the list closes that too.
 *  - An allowed host is trusted with what it serves; the limits on size,
 *    pixels, type and time (image-header.ts, the adapters) bound the damage.
 */

/** One entry of OPENTIME_IMAGE_HOSTS. */
export interface HostPattern {
  /** A normalized host name or address (IPv6 in brackets, as in a URL), or `*` for any host. */
  host: string;
  /** `*.example.com`: any subdomain of `host`, at any depth, but not `host` itself. */
  subdomains: boolean;
  /** A port other than the scheme's default, `*` for any; undefined: the default port only. */
  port: number | '*' | undefined;
}

export interface ImageUrlPolicy {
  /** Hosts photos may come from; undefined: any host whose addresses are public. */
  hosts?: readonly HostPattern[] | undefined;
  /** Development and tests: loopback, private, CGNAT and unique-local addresses are fetched from. */
  allowPrivate?: boolean | undefined;
  /** URLs the server serves itself (the demo's photos): no host, port or address checks. */
  trusted?: ((url: URL) => boolean) | undefined;
}

/** A checked URL; `trusted` ones may connect to private addresses. */
export interface CheckedUrl {
  url: URL;
  trusted: boolean;
}

/** What an address is, or `public`. */
export type AddressRange = 'public' | 'loopback' | 'private' | 'cgnat' | 'unique-local' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'reserved';

/** The ranges OPENTIME_IMAGE_ALLOW_PRIVATE lets through: a developer's own machine and network. */
const PRIVATE_RANGES: ReadonlySet<AddressRange> = new Set(['loopback', 'private', 'cgnat', 'unique-local']);

const HOSTS_HINT = 'expected host names like cdn.example.com or *.cdn.example.com, with :port or :* for a port other than 80/443, comma-separated';

/** Parses OPENTIME_IMAGE_HOSTS, reporting every entry that is not a host pattern. */
export function parseHostPatterns(list: string): { patterns: HostPattern[]; problems: string[] } {
  const patterns: HostPattern[] = [];
  const problems: string[] = [];
  for (const entry of list
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '')) {
    const pattern = parseHostPattern(entry);
    if (pattern) patterns.push(pattern);
    else problems.push(`${JSON.stringify(entry)}: ${HOSTS_HINT}`);
  }
  return { patterns, problems };
}

function parseHostPattern(entry: string): HostPattern | undefined {
  if (/[/@?#\\\s]/.test(entry)) return undefined;
  let host = entry;
  let portText: string | undefined;
  const bracket = entry.startsWith('[') ? entry.indexOf(']') : -1;
  if (bracket > 0) {
    host = entry.slice(0, bracket + 1);
    const rest = entry.slice(bracket + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    if (rest !== '') portText = rest.slice(1);
  } else if (entry.includes(':')) {
    // More than one colon without brackets is an IPv6 address whose port cannot be told apart.
    if (entry.indexOf(':') !== entry.lastIndexOf(':')) return undefined;
    [host = '', portText] = entry.split(':');
  }
  let port: HostPattern['port'];
  if (portText !== undefined) {
    if (portText === '*') port = '*';
    else if (/^\d{1,5}$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65_535) port = Number(portText);
    else return undefined;
  }
  if (host === '*') return { host: '*', subdomains: false, port };
  const subdomains = host.startsWith('*.');
  if (subdomains) host = host.slice(2);
  if (host.includes('*')) return undefined;
  const normalized = normalizeHost(host);
  if (normalized === undefined || (subdomains && normalized.startsWith('['))) return undefined;
  return { host: normalized, subdomains, port };
}

/** A host as a URL spells it (lower case, punycode, canonical addresses), without a trailing dot. */
function normalizeHost(host: string): string | undefined {
  try {
    const hostname = new URL(`http://${host}/`).hostname;
    return hostname === '' ? undefined : hostname.replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

function hostMatches(pattern: HostPattern, hostname: string): boolean {
  if (pattern.host === '*') return true;
  return pattern.subdomains ? hostname.endsWith(`.${pattern.host}`) : hostname === pattern.host;
}

/**
 * Layers 1–3 for one URL (the first, or a redirect's target). Throws an
 * ImageFetchError whose reason names the check that refused it.
 */
export function checkImageUrl(input: string | URL, policy: ImageUrlPolicy): CheckedUrl {
  let url: URL;
  try {
    url = new URL(input);
  } catch (error) {
    throw refuse('url', `${JSON.stringify(String(input).slice(0, 200))} is not a URL`, error);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('scheme', `${url.protocol} URLs are not fetched; expected http: or https:`);
  // A URL's userinfo would be sent as credentials to the photo host, and hides the real host from a reader.
  if (url.username !== '' || url.password !== '') throw refuse('credentials', `${url.host}: URLs with user:password@ are not fetched`);
  if (policy.trusted?.(url)) return { url, trusted: true };

  const hostname = url.hostname.replace(/\.$/, '');
  const matching = policy.hosts?.filter((p) => hostMatches(p, hostname));
  if (matching && matching.length === 0) throw refuse('host', `${hostname} is not on OPENTIME_IMAGE_HOSTS`);
  if (url.port !== '') {
    const port = Number(url.port);
    // Other ports reach services that are not web servers (mail, databases) on hosts that are otherwise fine.
    if (!matching?.some((p) => p.port === '*' || p.port === port)) {
      throw refuse('port', `${url.host}: port ${port} is not fetched; photos come from port 80 or 443 unless OPENTIME_IMAGE_HOSTS names the port (${hostname}:${port})`);
    }
  }
  const range = hostRange(hostname);
  if (range !== undefined && isRefused(range, policy.allowPrivate === true)) {
    throw refuse(
      'address',
      `${hostname} is a ${range} address; photos are fetched from public addresses only${PRIVATE_RANGES.has(range) ? ' (OPENTIME_IMAGE_ALLOW_PRIVATE)' : ''}`,
    );
  }
  return { url, trusted: false };
}

/** Whether an address of this range is refused. */
export function isRefused(range: AddressRange, allowPrivate: boolean): boolean {
  return range !== 'public' && !(allowPrivate && PRIVATE_RANGES.has(range));
}

/** The range of a literal address or a name that is local by definition; undefined for other names (DNS decides). */
export function hostRange(hostname: string): AddressRange | undefined {
  const literal = addressRange(hostname);
  if (literal !== undefined) return literal;
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return 'loopback';
  // mDNS, the ICANN private-use TLD and home networks (RFC 8375) never name a public host; nor does a single label.
  if (name.endsWith('.local') || name.endsWith('.internal') || name.endsWith('.home.arpa') || !name.includes('.')) return 'private';
  return undefined;
}

/**
 * The range of an IP address (IPv4 dotted, IPv6 with or without brackets or
 * a zone), or undefined when the string is not an address.
 */
export function addressRange(address: string): AddressRange | undefined {
  const v4 = parseIpv4(address);
  if (v4) return ipv4Range(v4);
  const v6 = parseIpv6(address);
  return v6 ? ipv6Range(v6) : undefined;
}

function parseIpv4(text: string): number[] | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return undefined;
  const octets = text.split('.').map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':') || !/^[0-9a-f:.]+$/i.test(s)) return undefined;
  let embedded: number[] | undefined;
  if (s.includes('.')) {
    // A dotted IPv4 tail (`::ffff:10.0.0.1`) stands for the last two groups.
    const colon = s.lastIndexOf(':');
    embedded = parseIpv4(s.slice(colon + 1));
    if (!embedded) return undefined;
    s = `${s.slice(0, colon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] as string).split(':')) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const bytes = groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (embedded) bytes.splice(12, 4, ...embedded);
  return bytes;
}

function ipv4Range([a = 0, b = 0, c = 0, d = 0]: number[]): AddressRange {
  if (a === 0) return 'unspecified'; // 0.0.0.0/8: "this network"; Linux connects 0.0.0.0 to itself
  if (a === 10) return 'private';
  if (a === 100 && b === 100 && c === 100 && d === 200) return 'metadata'; // Alibaba Cloud
  if (a === 100 && b >= 64 && b <= 127) return 'cgnat';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254 && ((c === 169 && d === 254) || (c === 170 && d === 2))) return 'metadata'; // AWS, GCP, Azure; ECS tasks
  if (a === 169 && b === 254) return 'link-local';
  if (a === 172 && b >= 16 && b <= 31) return 'private';
  if (a === 192 && b === 168) return 'private';
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return 'reserved'; // IETF assignments (Oracle's metadata 192.0.0.192), TEST-NET-1
  if (a === 192 && b === 88 && c === 99) return 'reserved'; // 6to4 relays
  if (a === 198 && (b === 18 || b === 19)) return 'reserved'; // benchmarking
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return 'reserved'; // documentation
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved'; // includes 255.255.255.255
  return 'public';
}

function ipv6Range(bytes: number[]): AddressRange {
  const at = (i: number) => bytes[i] ?? 0;
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((x) => x === 0);
  const v4 = bytes.slice(12, 16);
  if (zeros(0, 16)) return 'unspecified';
  if (zeros(0, 15) && at(15) === 1) return 'loopback';
  if (zeros(0, 10) && at(10) === 0xff && at(11) === 0xff) return ipv4Range(v4); // ::ffff:0:0/96, IPv4-mapped
  // 64:ff9b::/96, NAT64: a gateway would connect to the embedded IPv4 address.
  if (at(0) === 0 && at(1) === 0x64 && at(2) === 0xff && at(3) === 0x9b && zeros(4, 12)) return ipv4Range(v4);
  if (at(0) === 0) return 'reserved'; // the rest of ::/8: IPv4-compatible (deprecated), local-use NAT64, unassigned
  if (at(0) === 0x20 && at(1) === 0x02) return ipv4Range(bytes.slice(2, 6)); // 2002::/16, 6to4
  if (at(0) === 0x20 && at(1) === 0x01 && at(2) < 0x02) return 'reserved'; // 2001::/23: Teredo, ORCHID, …
  if (at(0) === 0x20 && at(1) === 0x01 && at(2) === 0x0d && at(3) === 0xb8) return 'reserved'; // documentation
  if (at(0) === 0x3f && at(1) === 0xff && at(2) < 0x10) return 'reserved'; // 3fff::/20, documentation
  if ((at(0) & 0xfe) === 0xfc) {
    // AWS's IPv6 metadata service lives in unique-local space.
    if (at(0) === 0xfd && at(1) === 0x00 && at(2) === 0x0e && at(3) === 0xc2 && zeros(4, 14) && at(14) === 0x02 && at(15) === 0x54) return 'metadata';
    return 'unique-local';
  }
  if (at(0) === 0xfe && (at(1) & 0xc0) === 0x80) return 'link-local';
  if (at(0) === 0xfe && (at(1) & 0xc0) === 0xc0) return 'unique-local'; // fec0::/10, site-local (deprecated)
  if (at(0) === 0xff) return 'multicast';
  if ((at(0) & 0xe0) === 0x20) return 'public'; // 2000::/3, global unicast
  return 'reserved';
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Whether a status is a redirect that opentime follows (by hand, checking its target). */
export function isRedirect(status: number): boolean {
  return REDIRECTS.has(status);
}

/** A redirect's target, resolved against the URL that answered; checked by `checkImageUrl` next. */
export function redirectTarget(location: string | null | undefined, from: URL): URL {
  if (!location) throw refuse('url', `${from.host} redirected without a Location`);
  try {
    return new URL(location, from);
  } catch (error) {
    throw refuse('url', `${from.host} redirected to ${JSON.stringify(location.slice(0, 200))}, which is not a URL`, error);
  }
}
