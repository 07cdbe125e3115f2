import { isHero, type Decision } from '../decide/decide.ts';
import type { GalleryRow } from './cells.ts';

/**
 * The render gallery: a block's last distinct renders, each kept as the
 * decision it drew (products or hero variant; nothing of the subscriber),
 * so an entry can be drawn again and its opens and clicks told apart.
 */

/** What a render showed, as the report tells it. */
export interface GalleryShown {
  kind: 'product-grid' | 'hero';
  variant?: string;
  arm?: string;
  products?: Array<{ id: string; title: string; price: number; currency: string; source: string } | null>;
}

export interface GalleryEntry {
  render: string;
  image: string;
  shown: GalleryShown;
  first_seen: string;
  last_seen: string;
  opens: number;
  clicks: number;
}

/** What makes two renders of a block the same: its version and what it showed (not why, nor for whom). */
function sameness(decision: Decision): string {
  if (isHero(decision)) return JSON.stringify(['hero', decision.blockVersion, decision.variant.id, decision.arm ?? '']);
  return JSON.stringify(['grid', decision.blockVersion, decision.slots.map((p) => (p ? [p.id, p.title, p.price, p.sale_price ?? null, p.currency, p.image_url ?? ''] : null))]);
}

/**
 * Each decision's id and stored form, made once: an answer given again
 * hands the reports the same decision at every flush. Decisions are never
 * changed once made.
 */
const renderIds = new WeakMap<Decision, string>();
const storedDecisions = new WeakMap<Decision, string>();

/** A render's id: 16 hex digits of FNV-1a (two 32-bit lanes) over what it showed; safe in a URL path. */
export function renderIdOf(decision: Decision): string {
  let id = renderIds.get(decision);
  if (id === undefined) {
    id = renderIdOfText(sameness(decision));
    renderIds.set(decision, id);
  }
  return id;
}

function renderIdOfText(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193) >>> 0;
    b = Math.imul(b ^ code, 0x01000197) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

export const RENDER_ID_PATTERN = /^[0-9a-f]{16}$/;

/** The decision as a gallery keeps it: what drawing it again needs, without the reasons. */
export function storedDecision(decision: Decision): string {
  let stored = storedDecisions.get(decision);
  if (stored === undefined) {
    stored = storedText(decision);
    storedDecisions.set(decision, stored);
  }
  return stored;
}

function storedText(decision: Decision): string {
  if (isHero(decision)) return JSON.stringify(decision);
  const { why: _why, ...drawn } = decision;
  return JSON.stringify(drawn);
}

export function shownOf(decision: Decision): GalleryShown {
  if (isHero(decision)) return { kind: 'hero', variant: decision.variant.id, ...(decision.arm !== undefined ? { arm: decision.arm } : {}) };
  return {
    kind: 'product-grid',
    products: decision.slots.map((p) => (p ? { id: p.id, title: p.title, price: p.sale_price ?? p.price, currency: p.currency, source: p.source } : null)),
  };
}

/** The report's gallery: each kept render with what it showed and where its image is drawn again. */
export function galleryEntries(block: string, rows: readonly GalleryRow[]): GalleryEntry[] {
  return rows.map((row) => ({
    render: row.render,
    image: `/v1/reports/blocks/${block}/gallery/${row.render}.png`,
    shown: shownOf(JSON.parse(row.decision) as Decision),
    first_seen: new Date(row.firstSeen).toISOString(),
    last_seen: new Date(row.lastSeen).toISOString(),
    opens: row.opens,
    clicks: row.clicks,
  }));
}
