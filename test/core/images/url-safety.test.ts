import { describe, expect, it } from 'vitest';
import { ImageFetchError } from '../../../src/core/images/fetch-error.ts';
import { addressRange, checkImageUrl, hostRange, parseHostPatterns, redirectTarget, type ImageUrlPolicy } from '../../../src/core/images/url-safety.ts';

const hosts = (list: string) => parseHostPatterns(list).patterns;

/** The reason a URL is refused with, or `ok`. */
function verdict(url: string, policy: ImageUrlPolicy = {}): string {
  try {
    checkImageUrl(url, policy);
    return 'ok';
  } catch (error) {
    if (error instanceof ImageFetchError && error.refused) return error.reason;
    throw error;
  }
}

describe('address ranges', () => {
  it('classifies IPv4 addresses', () => {
    const cases: Record<string, string> = {
      '8.8.8.8': 'public',
      '93.184.216.34': 'public',
      '0.0.0.0': 'unspecified',
      '0.1.2.3': 'unspecified',
      '10.0.0.1': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '172.32.0.1': 'public',
      '192.168.1.1': 'private',
      '100.64.0.1': 'cgnat',
      '100.127.255.255': 'cgnat',
      '100.128.0.1': 'public',
      '100.100.100.200': 'metadata',
      '127.0.0.1': 'loopback',
      '127.255.255.254': 'loopback',
      '169.254.169.254': 'metadata',
      '169.254.170.2': 'metadata',
      '169.254.1.1': 'link-local',
      '192.0.0.192': 'reserved',
      '192.0.2.1': 'reserved',
      '198.18.0.1': 'reserved',
      '198.51.100.7': 'reserved',
      '203.0.113.9': 'reserved',
      '224.0.0.1': 'multicast',
      '239.255.255.250': 'multicast',
      '240.0.0.1': 'reserved',
      '255.255.255.255': 'reserved',
    };
    for (const [address, range] of Object.entries(cases)) expect(addressRange(address), address).toBe(range);
  });

  it('classifies IPv6 addresses, with the IPv4 inside mapped, NAT64 and 6to4 addresses classified as IPv4', () => {
    const cases: Record<string, string> = {
      '2606:4700:4700::1111': 'public',
      '[2a00:1450:4001:80b::200e]': 'public',
      '::': 'unspecified',
      '::1': 'loopback',
      '[::1]': 'loopback',
      '0:0:0:0:0:0:0:1': 'loopback',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:7f00:1': 'loopback',
      '::ffff:a9fe:a9fe': 'metadata',
      '::ffff:10.1.2.3': 'private',
      '::ffff:8.8.8.8': 'public',
      '::127.0.0.1': 'reserved',
      '64:ff9b::10.0.0.1': 'private',
      '64:ff9b::a9fe:a9fe': 'metadata',
      '64:ff9b::808:808': 'public',
      '64:ff9b:1::1': 'reserved',
      '2002:7f00:1::1': 'loopback',
      '2002:0808:0808::1': 'public',
      '2001:0:4136:e378::1': 'reserved',
      '2001:db8::1': 'reserved',
      '3fff::1': 'reserved',
      'fc00::1': 'unique-local',
      'fd12:3456:789a::1': 'unique-local',
      'fd00:ec2::254': 'metadata',
      'fe80::1': 'link-local',
      'fe80::1%eth0': 'link-local',
      'febf::1': 'link-local',
      'fec0::1': 'unique-local',
      'ff02::1': 'multicast',
      '100::1': 'reserved',
      '4000::1': 'reserved',
    };
    for (const [address, range] of Object.entries(cases)) expect(addressRange(address), address).toBe(range);
  });

  it('says a string that is not an address is not one', () => {
    for (const text of ['example.com', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1', 'g::1', '::ffff:1.2.3.256', '']) {
      expect(addressRange(text), text).toBeUndefined();
    }
  });

  it('knows names that are local by definition, and leaves other names to DNS', () => {
    expect(hostRange('localhost')).toBe('loopback');
    expect(hostRange('shop.localhost')).toBe('loopback');
    expect(hostRange('printer.local')).toBe('private');
    expect(hostRange('metadata.google.internal')).toBe('private');
    expect(hostRange('nas.home.arpa')).toBe('private');
    expect(hostRange('redis')).toBe('private');
    expect(hostRange('cdn.shopify.com')).toBeUndefined();
  });
});

describe('checkImageUrl', () => {
  it('fetches public https and http URLs on default ports when no host list is set', () => {
    expect(verdict('https://cdn.shopify.com/s/files/a.png')).toBe('ok');
    expect(verdict('http://images.example.com/a.jpg')).toBe('ok');
    expect(verdict('https://93.184.216.34/a.png')).toBe('ok');
  });

  it('refuses other schemes, credentials and non-default ports', () => {
    expect(verdict('file:///etc/passwd')).toBe('scheme');
    expect(verdict('ftp://cdn.example.com/a.png')).toBe('scheme');
    expect(verdict('data:image/png;base64,AAAA')).toBe('scheme');
    expect(verdict('gopher://127.0.0.1:6379/_FLUSHALL')).toBe('scheme');
    expect(verdict('https://user:secret@cdn.example.com/a.png')).toBe('credentials');
    expect(verdict('https://cdn.example.com@169.254.169.254/a.png')).toBe('credentials');
    expect(verdict('https://cdn.example.com:8443/a.png')).toBe('port');
    expect(verdict('http://cdn.example.com:25/a.png')).toBe('port');
    expect(verdict('https://cdn.example.com:443/a.png')).toBe('ok');
    expect(verdict('not a url')).toBe('url');
  });

  it('refuses literal loopback, private, link-local and metadata addresses in every spelling a URL allows', () => {
    for (const url of [
      'http://127.0.0.1/a.png',
      'http://2130706433/a.png',
      'http://0x7f.1/a.png',
      'http://0177.0.0.1/a.png',
      'http://127.1/a.png',
      'http://0.0.0.0/a.png',
      'http://10.1.2.3/a.png',
      'http://192.168.0.10/a.png',
      'http://100.64.1.1/a.png',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/a.png',
      'http://[::ffff:127.0.0.1]/a.png',
      'http://[::ffff:169.254.169.254]/a.png',
      'http://[64:ff9b::a00:1]/a.png',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://[fe80::1]/a.png',
      'http://localhost/a.png',
      'http://LOCALHOST./a.png',
      'http://api.localhost/a.png',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://redis/a.png',
    ]) {
      expect(verdict(url), url).toBe('address');
    }
  });

  it('lets private addresses through only when allowed, and never link-local or metadata ones', () => {
    const dev: ImageUrlPolicy = { allowPrivate: true };
    expect(verdict('http://127.0.0.1/a.png', dev)).toBe('ok');
    expect(verdict('http://10.0.0.8/a.png', dev)).toBe('ok');
    expect(verdict('http://localhost/a.png', dev)).toBe('ok');
    expect(verdict('http://[fd12::1]/a.png', dev)).toBe('ok');
    expect(verdict('http://169.254.169.254/latest/meta-data/', dev)).toBe('address');
    expect(verdict('http://169.254.1.1/a.png', dev)).toBe('address');
    expect(verdict('http://[fd00:ec2::254]/a.png', dev)).toBe('address');
    expect(verdict('http://0.0.0.0/a.png', dev)).toBe('address');
    expect(verdict('http://224.0.0.1/a.png', dev)).toBe('address');
  });

  it('fetches only from the allowed hosts when a list is set', () => {
    const policy: ImageUrlPolicy = { hosts: hosts('cdn.shop.com, *.images.example.com') };
    expect(verdict('https://cdn.shop.com/a.png', policy)).toBe('ok');
    expect(verdict('https://CDN.Shop.com./a.png', policy)).toBe('ok');
    expect(verdict('https://eu.images.example.com/a.png', policy)).toBe('ok');
    expect(verdict('https://a.b.images.example.com/a.png', policy)).toBe('ok');
    expect(verdict('https://images.example.com/a.png', policy)).toBe('host');
    expect(verdict('https://evil-images.example.com/a.png', policy)).toBe('host');
    expect(verdict('https://cdn.shop.com.evil.com/a.png', policy)).toBe('host');
    expect(verdict('https://shop.com/a.png', policy)).toBe('host');
    expect(verdict('https://cdn.shop.com@evil.com/a.png', policy)).toBe('credentials');
  });

  it('allows a port only where the host list names it', () => {
    const policy: ImageUrlPolicy = { hosts: hosts('cdn.shop.com:8443, dev.shop.com:*, www.shop.com') };
    expect(verdict('https://cdn.shop.com:8443/a.png', policy)).toBe('ok');
    expect(verdict('https://cdn.shop.com:8444/a.png', policy)).toBe('port');
    expect(verdict('https://dev.shop.com:3000/a.png', policy)).toBe('ok');
    expect(verdict('https://www.shop.com:8080/a.png', policy)).toBe('port');
  });

  it('still refuses a private address that is on the host list', () => {
    expect(verdict('http://127.0.0.1:9000/a.png', { hosts: hosts('127.0.0.1:*') })).toBe('address');
    expect(verdict('http://127.0.0.1:9000/a.png', { hosts: hosts('127.0.0.1:*'), allowPrivate: true })).toBe('ok');
  });

  it('trusts what the entry trusts (the server’s own demo photos), and nothing next to it', () => {
    const policy: ImageUrlPolicy = { trusted: (url) => url.origin === 'http://localhost:8787' && url.pathname.startsWith('/demo/products/') };
    expect(checkImageUrl('http://localhost:8787/demo/products/mug.png', policy).trusted).toBe(true);
    expect(verdict('http://localhost:8787/demo/products/../../i/grid.png', policy)).toBe('port');
    expect(verdict('http://localhost/demo/products/mug.png', policy)).toBe('address');
  });

  it('resolves a redirect’s target against the URL that answered', () => {
    const from = new URL('https://cdn.shop.com/a/b.png');
    expect(redirectTarget('/c.png', from).href).toBe('https://cdn.shop.com/c.png');
    expect(redirectTarget('http://169.254.169.254/', from).href).toBe('http://169.254.169.254/');
    expect(() => redirectTarget(null, from)).toThrow(/without a Location/);
    expect(() => redirectTarget('http://[::1', from)).toThrow(/not a URL/);
  });
});

describe('parseHostPatterns', () => {
  it('reads names, wildcards, addresses and ports', () => {
    expect(parseHostPatterns(' cdn.shop.com , *.IMG.example.com:8443, 127.0.0.1:*, [::1]:9000, * ').patterns).toEqual([
      { host: 'cdn.shop.com', subdomains: false, port: undefined },
      { host: 'img.example.com', subdomains: true, port: 8443 },
      { host: '127.0.0.1', subdomains: false, port: '*' },
      { host: '[::1]', subdomains: false, port: 9000 },
      { host: '*', subdomains: false, port: undefined },
    ]);
  });

  it('reports every entry that is not a host, saying what it expected', () => {
    const { patterns, problems } = parseHostPatterns('https://cdn.shop.com/, cdn.*.com, ::1, host:99999, ok.example.com, a b');
    expect(patterns.map((p) => p.host)).toEqual(['ok.example.com']);
    expect(problems).toHaveLength(5);
    expect(problems[0]).toBe(
      '"https://cdn.shop.com/": expected host names like cdn.example.com or *.cdn.example.com, with :port or :* for a port other than 80/443, comma-separated',
    );
  });
});
