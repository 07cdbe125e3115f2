import { isHero, type Decision } from '../decide/decide.ts';

/** A stable hex digest of a string (SHA-256, shortened: a cache key, not a secret). */
export async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let hex = '';
  for (let i = 0; i < 16; i++) hex += (bytes[i] as number).toString(16).padStart(2, '0');
  return hex;
}

/**
 * The render key: everything that changes the pixels and nothing else, so
 * that two subscribers with the same products share one image, and a new
 * block version or a price change never serves an old one.
 */
export function renderKey(decision: Decision, size: { width: number; height: number }, scale: number, templateDigest: string): Promise<string> {
  const shown = isHero(decision)
    ? ['hero', decision.variant]
    : ['grid', decision.slots.map((s) => (s ? [s.id, s.title, s.price, s.sale_price ?? null, s.currency, s.image_url] : null))];
  return digest(JSON.stringify([decision.blockId, decision.blockVersion, templateDigest, size.width, size.height, scale, shown]));
}
