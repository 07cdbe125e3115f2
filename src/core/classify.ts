/**
 * Who is asking: a person, or a machine that fetches on their behalf. Link
 * scanners (corporate mail security, Outlook Safe Links, …) follow every
 * link in a message as it is delivered; counting those as clicks would
 * count every email as clicked. HEAD requests are prefetches by definition.
 */
const SCANNER_AGENTS =
  /bot\b|crawler|spider|scanner|preview|proofpoint|mimecast|barracuda|symantec|trendmicro|fortinet|forcepoint|safelinks|urldefense|sophos|messagelabs|ironport|cisco|zscaler|checkpoint|paloalto|microsoft office|python-requests|curl\/|wget|go-http-client|java\/|okhttp|headless/i;

export type RequesterClass = 'person' | 'prefetch' | 'scanner';

export function classifyClick(method: string, userAgent: string | undefined): RequesterClass {
  if (method === 'HEAD') return 'prefetch';
  if (!userAgent || userAgent.trim() === '') return 'scanner';
  return SCANNER_AGENTS.test(userAgent) ? 'scanner' : 'person';
}

/** Image proxies (Gmail, Yahoo, Apple's privacy relay) fetch images for people; scanners do not. */
export function isMachineOpen(method: string, userAgent: string | undefined): boolean {
  if (method === 'HEAD') return true;
  if (!userAgent) return false;
  if (/GoogleImageProxy|YahooMailProxy/i.test(userAgent)) return false;
  return SCANNER_AGENTS.test(userAgent);
}
