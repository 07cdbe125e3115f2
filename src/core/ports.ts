/**
 * The shapes that platform adapters implement. The core only ever talks to
 * these; src/adapters/ holds one file per backend, and src/node.ts and
 * src/worker.ts wire them into `createApp(deps)`.
 */
import type { BlockConfig, StoredBlock } from './blocks/schema.ts';
import type { Product } from './catalog/product.ts';
import type { Decision } from './decide/decide.ts';
import type { TrendingIncrement } from './decide/trending.ts';
import type { Neighbour, NeighbourIncrement, NeighbourList } from './recommend/neighbours.ts';
import type { TrackedEvent } from './events/normalize.ts';
import type { Profile } from './profiles/profile.ts';
import type { GalleryRow, PeopleQuery, ReportBatch, ReportCount, ReportUnit, Touches } from './reports/cells.ts';
import type { StoredTrigger, TriggerConfig } from './triggers/schema.ts';
import type { DeadLetter, Episode, Interest, SendRecord } from './triggers/episode.ts';

/** Events for one subject, applied in one atomic step. */
export interface SubjectEvents {
  subjectKey: string;
  events: readonly TrackedEvent[];
}

export interface ApplyResult {
  /** messageIds applied now; the others were duplicates seen within the dedupe window. */
  applied: string[];
  duplicates: string[];
  /** Each subject's profile as written, where the store has it at hand (what follows from the events reads it instead of the store). */
  profiles?: ReadonlyMap<string, Profile>;
}

/** Which open an open-time record belongs to. */
export interface OpenKey {
  blockId: string;
  subjectKey: string;
  messageId: string;
}

/**
 * Why a subject is suppressed: an admin said so, the subject withdrew consent
 * (as the backend reported it), or a visitor withdrew it in a browser (the
 * weakest: a browser may lift only its own).
 */
export type SuppressionSource = 'admin' | 'consent' | 'browser';

/** What `deleteSubject` removed. */
export interface SubjectDeletion {
  profile: boolean;
  /** Links into and out of the subject (anonymous ids, hashed addresses, aliases). */
  links: number;
  openRecords: number;
  /** Remembered messageIds (dedupe entries). */
  messageIds: number;
}

/** A template's source as stored, with the version the store gave it. */
export interface StoredTemplate {
  name: string;
  source: string;
  version: number;
  updatedAt: number;
}

/** What one open showed, so that the click goes to the same thing. */
export interface OpenRecord {
  decision: Decision;
  renderedAt: number;
  /** Who fetched the image that made this record (a person, Gmail's proxy, …). */
  requester?: string;
}

/*
 * The store, in named parts. Subject keys are already canonical strings made
 * by the core (`u:…`, `a:…`; never a clear-text email address). `undefined`
 * means not found. Every write that resolves has been made durable by the
 * store. Profiles not written for the store's retention period expire by
 * themselves. Each part mirrors a section of the contract suite
 * (test/stores/contract.ts) and, on Workers, the Durable Object that holds
 * it (one per subject for SubjectStore, which also keeps that key's
 * suppression and open records; global ones for the rest). A
 * consumer takes only the parts it uses (`store: SubjectStore &
 * SuppressionStore`), so that what it can touch is in its signature and its
 * tests can hand it a few lines of fake.
 */

/** Subjects: profiles, the identity links between them, and deleting one. */
export interface SubjectStore {
  /**
   * The direct link target of each key that has one (set by `linkSubject`); keys with no link are absent.
   * A link lasts the retention period from when it was last made, like a profile from its last write.
   */
  getLinks(keys: readonly string[]): Promise<Map<string, string>>;
  /** How many live links point directly at each key; keys with none are absent (the per-subject link bound). */
  countLinksInto(keys: readonly string[]): Promise<Map<string, number>>;
  getProfile(subjectKey: string): Promise<Profile | undefined>;
  /**
   * For each subject, atomically: drop events whose messageId was applied in
   * the last `DEDUPE_WINDOW_SECONDS` (core/events/limits.ts), reduce the rest
   * into the profile with `reduceProfile` (core/profiles/reducer.ts), save
   * it, and remember their messageIds. Safe under concurrent callers. The
   * window and the reducer are the product's one rule, not the caller's to
   * choose: every store imports them (a Durable Object runs them inside the
   * subject's object, where no function can be sent).
   */
  applyEvents(groups: readonly SubjectEvents[], now: number): Promise<ApplyResult>;
  /**
   * Links `fromKey` into `toKey` (or renews that link): from now on `fromKey` resolves to `toKey`,
   * and `fromKey`'s profile (if any) is merged into `toKey`'s with `mergeProfiles`
   * (core/profiles/merge.ts) and removed, together with its record of applied messageIds.
   * Linking a key to itself changes nothing.
   */
  linkSubject(fromKey: string, toKey: string, now: number): Promise<void>;
  /**
   * Removes everything kept about a subject: its profile, every link into or
   * out of it, its open records and its remembered messageIds.
   */
  deleteSubject(subjectKey: string): Promise<SubjectDeletion>;
}

/** Who is not tracked and gets generic content, and why. */
export interface SuppressionStore {
  /** Suppresses keys (not tracked, generic content), or lifts it with `source` undefined. */
  setSuppression(keys: readonly string[], source: SuppressionSource | undefined, now: number): Promise<void>;
  getSuppressions(keys: readonly string[]): Promise<Map<string, SuppressionSource>>;
}

export interface CatalogStore {
  putProducts(products: readonly Product[], now: number): Promise<void>;
  getProducts(ids: readonly string[]): Promise<Map<string, Product>>;
  /** Removes products; resolves to how many of the ids were there. */
  deleteProducts(ids: readonly string[]): Promise<number>;
  /**
   * Up to `limit` products in order of id (by code point, as UTF-8 bytes
   * sort), starting after the id `after`: a stable order to page through.
   */
  listProducts(limit: number, after?: string): Promise<Product[]>;
}

export interface BlockStore {
  /** Stores a block config and returns its new version (1, 2, …). */
  putBlock(config: BlockConfig, now: number): Promise<StoredBlock>;
  getBlock(id: string): Promise<StoredBlock | undefined>;
  listBlocks(): Promise<StoredBlock[]>;
  /**
   * Removes a block; false when there was none. Its version number is kept:
   * a block put again under the same id continues from it (renders are
   * cached by id and version, so an old one is never served for the new).
   */
  deleteBlock(id: string): Promise<boolean>;
  /**
   * The block's versions as they were put, newest first, the current one
   * included: the last BLOCK_VERSIONS_KEPT of them. A deleted block has
   * none (its version number is still kept).
   */
  listBlockVersions(id: string): Promise<StoredBlock[]>;
  getBlockVersion(id: string, version: number): Promise<StoredBlock | undefined>;
}

/** Versions of a block kept for the Studio's history and rollback; older ones are dropped as new ones are put. */
export const BLOCK_VERSIONS_KEPT = 50;

export interface TemplateStore {
  /** Stores a template's source (never empty: the routes refuse that) and returns its new version (1, 2, …). */
  putTemplate(name: string, source: string, now: number): Promise<StoredTemplate>;
  getTemplate(name: string): Promise<StoredTemplate | undefined>;
  listTemplates(): Promise<StoredTemplate[]>;
  /** Removes a stored template; false when there was none. Its version number is kept, as for blocks. */
  deleteTemplate(name: string): Promise<boolean>;
}

/** What each open showed, so that its clicks go to the same thing. */
export interface OpenRecordStore {
  putOpenRecord(key: OpenKey, record: OpenRecord, ttlSeconds: number): Promise<void>;
  getOpenRecord(key: OpenKey, now: number): Promise<OpenRecord | undefined>;
  /**
   * The open memo: the decision of an open's first part, which its other
   * parts (fetched together, by any instance) show too. Atomic: a memo of
   * the key still live at `now` is returned as it is (`claimed: false`);
   * else `decision` becomes the memo for `ttlMs` (`claimed: true`).
   */
  claimOpenMemo(key: OpenKey, decision: Decision, now: number, ttlMs: number): Promise<OpenMemoClaim>;
}

export interface OpenMemoClaim {
  decision: Decision;
  /** This caller's decision became the memo: its open decided. */
  claimed: boolean;
}

export interface TrendingStore {
  /** Adds to the current hour's trending bucket of each (scope, product). */
  bumpTrending(increments: readonly TrendingIncrement[], now: number): Promise<void>;
  /** Product ids of a scope, best first, ranked with `rankBuckets` semantics. */
  topTrending(scope: string, now: number, limit: number): Promise<string[]>;
}

/**
 * Co-occurrence neighbours per product (core/recommend/neighbours.ts): each
 * (list, product) is updated with `applyNeighbourIncrements`' rule in one
 * atomic step, so every store keeps the same bounded lists.
 */
export interface NeighbourStore {
  bumpNeighbours(increments: readonly NeighbourIncrement[], now: number): Promise<void>;
  /** Each asked product's neighbours in `list`, best first, decayed to `now` (`rankedNeighbours`); products with none are absent. */
  getNeighbours(list: NeighbourList, productIds: readonly string[], now: number): Promise<Map<string, Neighbour[]>>;
}

export interface CounterStore {
  incrementCounters(counts: Readonly<Record<string, number>>): Promise<void>;
  readCounters(): Promise<Record<string, number>>;
}

/**
 * Report aggregates (core/reports/cells.ts): counts and sets of people by
 * hour and by day, shared by every instance, written in batches off the
 * request path. Sets of people are exact up to EXACT_PEOPLE members
 * (core/reports/sketch.ts), then estimates; buckets older than the batch's
 * `retentionMs` are dropped by the store.
 */
export interface ReportStore {
  /** Adds counts and people, and keeps each person's latest touches (for TOUCH_TTL_MS), in one write. */
  addToReports(batch: ReportBatch, now: number): Promise<void>;
  /** Every count of the scope's buckets of this unit from `from` to `to` (bucket starts, inclusive). */
  readReportCounts(scope: string, unit: ReportUnit, from: number, to: number): Promise<ReportCount[]>;
  /** For each query, how many distinct people are in the union of the sets it matches. */
  countReportPeople(scope: string, unit: ReportUnit, queries: readonly PeopleQuery[]): Promise<number[]>;
  /** The person's latest click and open within TOUCH_TTL_MS of `now`. */
  getTouches(person: string, now: number): Promise<Touches | undefined>;
  /** True the first time a key is claimed within `ttlSeconds` (an order counts once); false after. */
  claimOnce(key: string, now: number, ttlSeconds: number): Promise<boolean>;
  /** The block's gallery: its last GALLERY_SIZE distinct renders, newest first (batches add to it; older entries are dropped). */
  readGallery(block: string): Promise<GalleryRow[]>;
}

/**
 * Behavioural triggers (core/triggers/): their definitions, the episodes
 * waiting with their due times, what was sent, dead letters, and who showed
 * interest in which product. Claiming is the one step that makes "nothing is
 * sent twice" hold across instances: see `claimDueEpisodes`.
 */
export interface TriggerStore {
  /** Stores a trigger and returns its new version (1, 2, …; kept across deletes, as for blocks). */
  putTrigger(config: TriggerConfig, now: number): Promise<StoredTrigger>;
  getTrigger(id: string): Promise<StoredTrigger | undefined>;
  listTriggers(): Promise<StoredTrigger[]>;
  deleteTrigger(id: string): Promise<boolean>;
  /** Opens an episode, due at `episode.dueAt`, unless (trigger, subject) already has one open: then false and nothing changes. */
  openEpisode(episode: Episode): Promise<boolean>;
  getEpisode(triggerId: string, subjectKey: string): Promise<Episode | undefined>;
  /** Closes the open episode of (trigger, subject), only if its id is `episodeId` when given; resolves to what was closed. */
  closeEpisode(triggerId: string, subjectKey: string, episodeId?: string): Promise<Episode | undefined>;
  /**
   * Atomically takes up to `limit` episodes due at `now` (earliest first) and
   * moves each one's due time to `now + leaseMs`: a second caller, on any
   * instance, does not get them, and a caller that dies before closing them
   * gives them back when the lease ends.
   */
  claimDueEpisodes(now: number, limit: number, leaseMs: number): Promise<Episode[]>;
  /** Saves an open episode's new due time, attempts and flags, if it is still open with the same id; false otherwise. */
  rescheduleEpisode(episode: Episode): Promise<boolean>;
  /** The earliest due time of any open episode (for an alarm), undefined when none waits. */
  nextDueAt(): Promise<number | undefined>;
  /**
   * Remembers a send for the cap (the last SENDS_PER_SUBJECT_KEPT per trigger and subject) and in
   * the trigger's recent list (the last RECENT_SENDS_KEPT); false when this episode was already recorded.
   */
  recordSend(record: SendRecord): Promise<boolean>;
  /** Sends of (trigger, subject) at or after `since`, newest first. */
  sendsOf(triggerId: string, subjectKey: string, since: number): Promise<SendRecord[]>;
  /** The trigger's recent sends, newest first. */
  recentSends(triggerId: string, limit: number): Promise<SendRecord[]>;
  /** Keeps a dead letter (the oldest go past DEAD_LETTERS_KEPT). */
  putDeadLetter(letter: DeadLetter): Promise<void>;
  /** Dead letters, oldest first. */
  listDeadLetters(limit: number): Promise<DeadLetter[]>;
  /** Removes a dead letter and resolves to it (to replay it), undefined when there is none. */
  takeDeadLetter(id: string): Promise<DeadLetter | undefined>;
  /** Records who viewed or carted which product (the latest of each subject per product; INTEREST_PER_PRODUCT_KEPT per product). */
  noteInterest(interests: readonly Interest[]): Promise<void>;
  /** The subjects interested in a product at or after `since`, newest first, at most `limit`. */
  interestIn(productId: string, since: number, limit: number): Promise<Interest[]>;
}

/** The whole store: every part, and its life cycle. Adapters implement this. */
export interface Store
  extends SubjectStore,
    SuppressionStore,
    CatalogStore,
    BlockStore,
    TemplateStore,
    OpenRecordStore,
    TrendingStore,
    NeighbourStore,
    CounterStore,
    ReportStore,
    TriggerStore {
  readonly name: string;
  /**
   * Subjects changed through any instance sharing this store, for what an
   * instance keeps of answers given to them (core/open/answer-memo.ts).
   * Absent where nothing is kept between requests (Workers).
   */
  readonly subjectChanges?: SubjectChangeFeed;
  /** Resolves when the store can serve reads and writes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a subject change is heard as: their keys, or `all` when changes may have been missed. */
export type SubjectChange = readonly string[] | 'all';

/**
 * Tells every instance sharing a store that subjects changed (events,
 * links, suppressions, deletion). Announced by core/audience/subject-changes.ts
 * after the store has the change; heard by this instance at once and by the
 * others within milliseconds (Redis pub/sub, a table SQLite instances poll).
 */
export interface SubjectChangeFeed {
  /** False while changes through other instances could be missed (the feed is reconnecting): nothing kept may be trusted. */
  readonly live: boolean;
  publish(keys: readonly string[]): void;
  /** Returns the unsubscribe. */
  subscribe(listener: (change: SubjectChange) => void): () => void;
}

/** Raw pixels: `width × height` RGBA, 4 bytes per pixel, rows top to bottom, not premultiplied. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Raw pixels, 3 (RGB) or 4 (RGBA, straight alpha) bytes per pixel, rows top to bottom. */
export interface RawImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/** Turns an SVG document into PNG bytes (or raw RGBA pixels, for compositing) at `scale` times its size. */
export interface Rasterizer {
  readonly name: string;
  rasterize(svg: string, scale: number): Promise<Uint8Array>;
  rasterizeRgba(svg: string, scale: number): Promise<RgbaImage>;
}

/**
 * Encodes rendered pixels as PNG. `fast` is for the request path (a first
 * open waits for it); `small` is for bytes kept and served again, encoded
 * off the request path. `recompress` is optional: an encoder that can make a
 * served PNG smaller (palette quantisation) offers it, others leave it out.
 */
export interface ImageEncoder {
  readonly name: string;
  png(image: RawImage, effort: 'fast' | 'small'): Promise<Uint8Array>;
  recompress?(png: Uint8Array): Promise<Uint8Array>;
  /** A JPEG of opaque pixels (alpha ignored), for blocks that hold photos; absent where the platform has no JPEG encoder. */
  jpeg?(image: RawImage): Promise<Uint8Array>;
}

/** A product or hero photo, ready to embed: resized to cover the box, as a data URI. */
export interface FetchedImage {
  dataUri: string;
  width: number;
  height: number;
}

export interface ImageFetcher {
  /** Fetches `url` and scales it to cover width×height pixels; rejects when it cannot. */
  fetchImage(url: string, box: { width: number; height: number }, signal?: AbortSignal): Promise<FetchedImage>;
}

/** A byte cache (rendered images). Sized in bytes by the adapter. */
export interface ByteCache {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, value: Uint8Array): Promise<void>;
}

export interface Clock {
  now(): number;
}

/** Runs work after the response has been sent (Node: tracked promises; Workers: ctx.waitUntil). */
export type BackgroundRunner = (task: Promise<unknown>) => void;

/** Files shipped with opentime (templates/, fonts/), read by relative path. */
export interface Assets {
  read(path: string): Promise<Uint8Array | undefined>;
}

export interface FontSpec {
  name: string;
  data: ArrayBuffer;
  weight: 400 | 500 | 600 | 700;
  style: 'normal' | 'italic';
}

export type LogFields = Record<string, string | number | boolean | undefined>;
export interface Logger {
  /** Detail for finding a problem; written only with LOG_LEVEL=debug. */
  debug?(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** One line per HTTP request. */
  request(fields: LogFields): void;
}
