import { describe, expect, it } from 'vitest';
import { classifyClick, classifyOpen, isMachineOpen, isPerson, sentAtOf } from '../../../src/core/audience/requester.ts';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const YAHOO_PROXY = 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html';

describe('classifyClick', () => {
  it('counts a browser click as a person', () => {
    expect(classifyClick('GET', CHROME)).toBe('person');
    expect(classifyClick('GET', IPHONE)).toBe('person');
  });

  it('treats HEAD as a prefetch', () => {
    expect(classifyClick('HEAD', CHROME)).toBe('prefetch');
  });

  it('treats a missing or blank user agent as a scanner', () => {
    expect(classifyClick('GET', undefined)).toBe('scanner');
    expect(classifyClick('GET', '   ')).toBe('scanner');
  });

  it.each([
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'Proofpoint URL Defense',
    'Mimecast Safe Links',
    'Mozilla/5.0 (Windows NT 10.0) Microsoft Office/16.0',
    'python-requests/2.31.0',
    'curl/8.4.0',
    'Go-http-client/1.1',
    'Mozilla/5.0 HeadlessChrome/120.0',
  ])('treats %j as a link scanner', (agent) => {
    expect(classifyClick('GET', agent)).toBe('scanner');
  });
});

describe('isMachineOpen', () => {
  it('counts image proxies that fetch for people as real opens', () => {
    expect(isMachineOpen('GET', GMAIL_PROXY)).toBe(false);
    expect(isMachineOpen('GET', YAHOO_PROXY)).toBe(false);
    expect(isMachineOpen('GET', CHROME)).toBe(false);
  });

  it('counts an open without a user agent as a real open', () => {
    expect(isMachineOpen('GET', undefined)).toBe(false);
  });

  it('counts scanners and HEAD requests as machine opens', () => {
    expect(isMachineOpen('GET', 'Barracuda Sentinel (EE)')).toBe(true);
    expect(isMachineOpen('GET', 'curl/8.4.0')).toBe(true);
    expect(isMachineOpen('HEAD', GMAIL_PROXY)).toBe(true);
  });
});

describe('classifyOpen', () => {
  it('tells the image proxies apart from people and scanners', () => {
    expect(classifyOpen('GET', 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)')).toBe('gmail_proxy');
    expect(classifyOpen('GET', 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html')).toBe('yahoo_proxy');
    expect(classifyOpen('GET', 'Mozilla/5.0')).toBe('apple_proxy');
    expect(classifyOpen('GET', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148')).toBe('person');
    expect(classifyOpen('GET', 'Mozilla/5.0 (compatible; Barracuda Sentinel)')).toBe('scanner');
    expect(classifyOpen('HEAD', 'Mozilla/5.0 (iPhone)')).toBe('prefetch');
  });

  it('counts Gmail and Yahoo proxies as people, Apple’s prefetch as a machine', () => {
    expect(isPerson('gmail_proxy')).toBe(true);
    expect(isPerson('yahoo_proxy')).toBe(true);
    expect(isPerson('apple_proxy')).toBe(false);
    expect(isMachineOpen('GET', 'Mozilla/5.0')).toBe(true);
  });
});

describe('clicks soon after the send', () => {
  const send = Date.parse('2026-06-01T12:00:00Z');
  it('are a scanner’s when the URL carries the send time', () => {
    const browser = 'Mozilla/5.0 (Macintosh) Safari/605';
    expect(classifyClick('GET', browser, sentAtOf(String(send / 1000)), send + 3000)).toBe('scanner');
    expect(classifyClick('GET', browser, sentAtOf(String(send / 1000)), send + 60_000)).toBe('person');
    expect(classifyClick('GET', browser, sentAtOf(new Date(send).toISOString()), send + 2000)).toBe('scanner');
    expect(sentAtOf('yesterday')).toBeUndefined();
    expect(sentAtOf('99')).toBeUndefined();
  });
});
