/**
 * Who is asking: a person, or a machine fetching on their behalf.
 *
 * - Gmail's and Yahoo's image proxies fetch when the person opens the email:
 *   those are opens (by a person, through a proxy).
 * - Apple Mail Privacy Protection fetches every image ahead of time, whether
 *   or not anyone reads the email, with a bare `Mozilla/5.0`: not an open,
 *   and it must not freeze a `first_open` decision.
 * - Link scanners (mail security gateways, Outlook Safe Links, …) fetch
 *   images and follow every link as the email is delivered: neither opens
 *   nor clicks. HEAD requests are prefetches by definition.
 * - A click within seconds of the send (when the URL carries the send time
 *   in `ts=`) is a scanner too: no person reads that fast.
 */
const SCANNER_AGENTS =
  /bot\b|crawler|spider|scanner|preview|proofpoint|mimecast|barracuda|symantec|trendmicro|fortinet|forcepoint|safelinks|urldefense|sophos|messagelabs|ironport|cisco|zscaler|checkpoint|paloalto|microsoft office|python-requests|curl\/|wget|go-http-client|java\/|okhttp|headless/i;

export type RequesterClass = 'person' | 'gmail_proxy' | 'yahoo_proxy' | 'apple_proxy' | 'scanner' | 'prefetch';

/** Classes that stand for a person reading the email. */
const PEOPLE: ReadonlySet<RequesterClass> = new Set(['person', 'gmail_proxy', 'yahoo_proxy']);

/** A click this soon after the send is a scanner's. */
export const SCANNER_CLICK_WINDOW_MS = 10_000;

export function classifyOpen(method: string, userAgent: string | undefined): RequesterClass {
  if (method === 'HEAD') return 'prefetch';
  const ua = userAgent?.trim() ?? '';
  if (/GoogleImageProxy/i.test(ua)) return 'gmail_proxy';
  if (/YahooMailProxy/i.test(ua)) return 'yahoo_proxy';
  // Apple's proxy strips the user agent to the bare product token.
  if (ua === 'Mozilla/5.0') return 'apple_proxy';
  if (SCANNER_AGENTS.test(ua)) return 'scanner';
  return 'person';
}

export function classifyClick(method: string, userAgent: string | undefined, sentAt?: number, now?: number): RequesterClass {
  if (method === 'HEAD') return 'prefetch';
  if (!userAgent || userAgent.trim() === '') return 'scanner';
  if (SCANNER_AGENTS.test(userAgent)) return 'scanner';
  if (sentAt !== undefined && now !== undefined && now >= sentAt && now - sentAt < SCANNER_CLICK_WINDOW_MS) return 'scanner';
  return 'person';
}

export function isPerson(requester: RequesterClass): boolean {
  return PEOPLE.has(requester);
}

/** Image fetches that are not a person's open. */
export function isMachineOpen(method: string, userAgent: string | undefined): boolean {
  return !isPerson(classifyOpen(method, userAgent));
}

/** The send time from a `ts=` parameter (epoch seconds or ms, or ISO), if it is a plausible one. */
export function sentAtOf(value: string | undefined): number | undefined {
  if (!value || value.length > 40) return undefined;
  const number = Number(value);
  const at = Number.isFinite(number) ? (number < 1e12 ? number * 1000 : number) : Date.parse(value);
  return Number.isFinite(at) && at > Date.UTC(2000, 0, 1) && at < Date.UTC(2100, 0, 1) ? at : undefined;
}
