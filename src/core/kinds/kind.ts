import type { HeroBlock } from '../blocks/hero.ts';
import type { BlockConfig, StoredBlock } from '../blocks/schema.ts';
import type { Allocation } from '../recommend/sampler.ts';
import type { Product } from '../catalog/product.ts';
import type { Lookups } from '../content/lookups.ts';
import type { Decision } from '../decide/decide.ts';
import type { AppConfig } from '../config.ts';
import type { RequesterClass } from '../audience/requester.ts';
import type { Assets, Clock, FontSpec, ImageFetcher, Logger, Rasterizer, SubjectStore } from '../ports.ts';
import type { Profile } from '../profiles/profile.ts';
import type { Renderer } from '../render/renderer.ts';
import type { SliceLayout } from '../render/slices.ts';
import type { ErrorCode } from '../shared/errors.ts';
import type { TemplateRegistry } from '../templates/registry.ts';
import type { Problem } from '../shared/validation.ts';

/** The file types an image URL may ask for (`/i/<block>.png`, `.gif`). */
export type ImageFormat = 'png' | 'gif';

/** What every kind may use: read-only parts of the store and the instance. */
export interface KindTools {
  store: Pick<SubjectStore, 'getProfile'>;
  lookups: Lookups;
  renderer: Renderer;
  templates: TemplateRegistry;
  clock: Clock;
  logger: Logger;
  config: Pick<AppConfig, 'scale' | 'photoTimeoutMs'>;
  rasterizer: Rasterizer;
  fonts: readonly FontSpec[];
  images: ImageFetcher;
  assets: Assets;
  /** The current allocations of a hero's optimised splits, by entry id (kept per instance, refreshed off the request path; a preview reads the stored ones). */
  allocations?(block: HeroBlock): ReadonlyMap<string, Allocation> | Promise<ReadonlyMap<string, Allocation>>;
  /** Gives a store read its time budget (OPENTIME_STORE_TIMEOUT_MS); a miss is a failure. */
  budget<T>(work: Promise<T>, what: string): Promise<T>;
}

/** One open, as a kind sees it once the audience has spoken. */
export interface KindOpen {
  format: ImageFormat;
  /**
   * The subject to personalise for, resolved on first call (undefined:
   * anonymous, suppressed, unsigned where a signature is required, or past
   * its rate limit). A kind that needs no subscriber never calls it, and so
   * costs no store read.
   */
  subject(): Promise<string | undefined>;
  /** The open record's decision, when the block's lock still holds it: draw this, decide nothing. */
  locked?: Decision | undefined;
  requester?: RequesterClass | undefined;
  userAgent?: string | undefined;
  /** The URL's other parameters (from the ESP's merge tags), for rules. */
  params: Record<string, string>;
  /** A bounded query parameter (a per-recipient deadline); undefined past the rate limit. */
  query(name: string): string | undefined;
}

/** Bytes drawn, or the products whose photos did not load (the kind may decide again without them). */
export type Drawn = { png: Uint8Array; draft?: boolean } | { failedProducts: string[] };

/** One image to draw: its render-cache key (what it shows) and how to draw it. */
export interface Drawing {
  key: string;
  /**
   * An image for one recipient only (a countdown to their own deadline):
   * kept in a small cache of its own, never in the shared render cache that
   * a send's other opens rely on.
   */
  perRecipient?: boolean;
  draw(): Promise<Drawn>;
}

/** What an open shows. */
export interface Showing {
  /** What was shown, kept for clicks and locks; none when the image is a moment, not a choice (a countdown). */
  decision?: Decision;
  /** Drawn for this subscriber (opens.personal), else generic (opens.generic). */
  personal: boolean;
  /** The drawing, prepared (templates read, key computed) only when it is drawn: a click decides without it. */
  drawing(): Promise<Drawing>;
  /** One part of the image (`/i/<block>/<part>.png`), for kinds that slice; a part the block does not have fails with PART_NOT_FOUND. */
  part?(name: string): Promise<Drawing>;
}

export interface Plan extends Showing {
  /** The subscriber has shopping behaviour: a click without an open record decides for them. */
  known: boolean;
  /** After photos failed: what to show without those products, or undefined to give up. */
  again?(failedProducts: readonly string[]): Showing | undefined;
  /** Served as asked, yet not the live state: the countdown's expired image. */
  fallback?: 'expired';
  /** Served, with a failure beside it (the profile was unreadable; the block's own deadline was used). */
  error?: ErrorCode;
}

/** Nothing to show (an empty catalog, no deadline): the block's still, counted as a fallback. */
export interface Nothing {
  nothing: true;
  error?: ErrorCode;
}

/**
 * A block kind: everything opentime needs to know about it, in the manner
 * of unjs/ipx's handlers. The registry (registry.ts) holds one per `kind` of
 * the block schema, and the compiler proves it complete. What a kind knows
 * of a block alone is here; what it does on an instance (reading, deciding,
 * drawing, with caches of its own) is what `start` returns.
 */
export interface Kind<B extends BlockConfig> {
  /** The formats it draws, the first the one its snippets use; any other is answered with its still in that format. */
  readonly formats: readonly [ImageFormat, ...ImageFormat[]];
  /** Its image shows a decision, kept as the open record for clicks and locks (a countdown's shows a moment). */
  readonly remembers: boolean;
  /** What a PUT of the block is refused for beyond its schema (a template that does not exist, a rule that names nothing). */
  problems(block: B, templates: Pick<TemplateRegistry, 'get'>): Promise<Problem[]>;
  /** Words for the alt text after the block's `alt` and headline, before its fallback line. */
  altText?(block: B): string | undefined;
  /** Whether a click on `slot` can lead to something shown (else the fallback URL). */
  hasSlot(block: B, slot: number): boolean;
  /** Its image can be embedded in parts, one link per product (a grid); countdowns and heroes stay one image and one link. */
  readonly slices?: boolean;
  /** A link that is the same for every open (a countdown's), so a click needs no record; undefined: the record decides. */
  fixedLink?(block: B): string;
  /** The kind at work on one instance. */
  start(tools: KindTools): KindAtWork<B>;
}

/** A kind at work: its reads, decisions and drawings, with the caches they keep on this instance. */
export interface KindAtWork<B extends BlockConfig> {
  /** Reads what it needs within the store budget and decides what this open shows. */
  plan(stored: StoredBlock & { config: B }, open: KindOpen): Promise<Plan | Nothing>;
  /** The block's still: nothing personal in it, for fallbacks and formats it does not draw. */
  still(block: B, format: ImageFormat): Promise<Uint8Array>;
  /** Where the block's parts are cut, for kinds that slice; undefined when its template cannot be sliced. */
  sliceLayout?(block: B): Promise<SliceLayout | undefined>;
  /** Draws ahead, off the request path, what opens will composite after a catalog or block change. */
  prepare?(stored: StoredBlock & { config: B }, changedProducts: readonly Product[] | undefined): Promise<void>;
}

/** Whether a profile says anything about shopping (engagement alone does not). */
export function hasBehaviour(profile: Profile | undefined): boolean {
  return profile !== undefined && (profile.cart.length > 0 || profile.viewed.length > 0 || profile.purchased.length > 0 || profile.lastCategory !== undefined);
}
