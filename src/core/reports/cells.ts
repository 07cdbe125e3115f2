/**
 * How reports are kept: aggregates, never raw opens. Every open, click and
 * attributed order adds to counting cells and to sets of people, each in one
 * bucket (an hour and a day) of one scope (a block, `b:<id>`, or a send,
 * `m:<message>`). Within a bucket a cell is named by its dimensions; the
 * number of cells grows with blocks, versions, variants, sends and requester
 * classes, never with opens.
 */
export type ReportUnit = 'hour' | 'day';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export function bucketOf(at: number, unit: ReportUnit): number {
  const size = unit === 'hour' ? HOUR_MS : DAY_MS;
  return Math.floor(at / size) * size;
}

/** Bucket starts from the one holding `from` to the one holding `to`, inclusive. */
export function bucketsBetween(from: number, to: number, unit: ReportUnit): number[] {
  const size = unit === 'hour' ? HOUR_MS : DAY_MS;
  const buckets: number[] = [];
  for (let at = bucketOf(from, unit); at <= to; at += size) buckets.push(at);
  return buckets;
}

/** What one counting cell is about. `variant` is a hero's arm (`holdout` included) or variant, `''` for a block with none. */
export interface CellDims {
  block: string;
  version: number;
  message: string;
  variant: string;
  /** Requester class: person, gmail_proxy, yahoo_proxy, apple_proxy, scanner, prefetch. */
  requester: string;
}

/** A separator no id may contain (block ids, variant ids and `m=` are printable). */
const SEP = '\u001f';

export function cellKey(dims: CellDims): string {
  return [dims.block, dims.version, dims.message, dims.variant, dims.requester].join(SEP);
}

export function parseCellKey(key: string): CellDims {
  const [block = '', version = '0', message = '', variant = '', requester = ''] = key.split(SEP);
  return { block, version: Number(version), message, variant, requester };
}

/** Which people a set holds: who opened, or who clicked. */
export type PeopleField = 'openers' | 'clickers';

export interface PeopleDims {
  field: PeopleField;
  block: string;
  message: string;
  variant: string;
}

export function peopleKey(dims: PeopleDims): string {
  return [dims.field, dims.block, dims.message, dims.variant].join(SEP);
}

export function parsePeopleKey(key: string): PeopleDims {
  const [field = 'openers', block = '', message = '', variant = ''] = key.split(SEP);
  return { field: field as PeopleField, block, message, variant };
}

/** A people query matches the sets of its field whose other dimensions equal the ones it names. */
export function peopleMatch(query: PeopleQuery, key: string): boolean {
  const dims = parsePeopleKey(key);
  return (
    dims.field === query.field &&
    (query.block === undefined || dims.block === query.block) &&
    (query.message === undefined || dims.message === query.message) &&
    (query.variant === undefined || dims.variant === query.variant)
  );
}

/**
 * Measures of a counting cell: `opens`, `clicks`, `conversions`,
 * `revenue:<currency>`, `vt_conversions`, `vt_revenue:<currency>`
 * (view-through: orders after an open with no click), and what each open of
 * a person got: `personal`, `generic:<why>`, `fallback:<why>`.
 */
export interface ReportCount {
  scope: string;
  unit: ReportUnit;
  bucket: number;
  cell: string;
  measure: string;
  value: number;
}

export interface PeopleAdd {
  scope: string;
  unit: ReportUnit;
  bucket: number;
  /** peopleKey(…) */
  set: string;
  /** Keyed hashes of subscribers (16 hex digits each). */
  members: string[];
}

export interface PeopleQuery {
  field: PeopleField;
  buckets: readonly number[];
  block?: string;
  message?: string;
  variant?: string;
}

/** Where a subscriber last clicked or opened: what an order is attributed to. */
export interface Touch {
  block: string;
  version: number;
  message: string;
  variant: string;
  at: number;
}

export interface Touches {
  click?: Touch;
  open?: Touch;
}

export interface ReportBatch {
  counts: ReportCount[];
  people: PeopleAdd[];
  /** Latest touches by person; the store keeps, per person and kind, the latest of what it has and this. */
  touches: Array<{ person: string; touches: Touches }>;
  /** Renders seen, for the blocks' galleries (absent: none). */
  gallery?: GalleryAdd[];
  /** Buckets older than this many ms before `now` may be dropped. */
  retentionMs: number;
}

/** The longest attribution window a block may have; touches are kept this long. */
export const MAX_WINDOW_DAYS = 90;
export const TOUCH_TTL_MS = MAX_WINDOW_DAYS * DAY_MS;

/** The later of two touches (either may be missing). */
export function laterTouch(a: Touch | undefined, b: Touch | undefined): Touch | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.at >= a.at ? b : a;
}

export function mergeTouches(a: Touches | undefined, b: Touches): Touches {
  const click = laterTouch(a?.click, b.click);
  const open = laterTouch(a?.open, b.open);
  return { ...(click ? { click } : {}), ...(open ? { open } : {}) };
}

/** How many distinct renders a block's gallery keeps: the ones last seen. */
export const GALLERY_SIZE = 24;

/**
 * What a batch adds to a block's gallery: one render, by its id (a hash of
 * what it showed), seen at `at`. An open brings the decision (JSON, no
 * subscriber in it) and makes the entry; a click only adds to an entry kept.
 */
export interface GalleryAdd {
  block: string;
  render: string;
  decision?: string;
  at: number;
  opens: number;
  clicks: number;
}

/** One kept render of a block: what it showed, when, and its opens (people) and clicks. */
export interface GalleryRow {
  render: string;
  decision: string;
  firstSeen: number;
  lastSeen: number;
  opens: number;
  clicks: number;
}

/** Newest first, at most GALLERY_SIZE: how every store answers a gallery. */
export function newestRenders(rows: GalleryRow[]): GalleryRow[] {
  return rows.sort((a, b) => b.lastSeen - a.lastSeen || (a.render < b.render ? -1 : 1)).slice(0, GALLERY_SIZE);
}

/** An entry with a render added: a click on a render no longer kept (or never opened) adds nothing. */
export function withGalleryAdd(row: GalleryRow | undefined, add: GalleryAdd): GalleryRow | undefined {
  if (!row) {
    if (add.decision === undefined) return undefined;
    return { render: add.render, decision: add.decision, firstSeen: add.at, lastSeen: add.at, opens: add.opens, clicks: add.clicks };
  }
  return {
    render: row.render,
    decision: add.decision ?? row.decision,
    firstSeen: Math.min(row.firstSeen, add.at),
    lastSeen: Math.max(row.lastSeen, add.at),
    opens: row.opens + add.opens,
    clicks: row.clicks + add.clicks,
  };
}
