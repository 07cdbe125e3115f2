import type { ReportStore } from '../ports.ts';
import { bucketOf, bucketsBetween, DAY_MS, HOUR_MS, parseCellKey, type CellDims, type PeopleQuery, type ReportCount, type ReportUnit } from './cells.ts';
import { galleryEntries, type GalleryEntry } from './gallery.ts';
import { readAllocations, type AllocationRecord } from './allocations.ts';
import { enoughData, probabilityBest, relativeLift, type Lift, type Rate } from './stats.ts';

/**
 * A report, read from aggregates only (never from raw opens): totals,
 * requester classes, one entry per bucket, per variant or arm (with lift
 * and the probability of being best), per block of a send, and the
 * personalised share. Field names are the API's (docs/reports.md,
 * schema/report.json).
 */
export interface Money {
  conversions: number;
  revenue: number;
  /** The currency with the most revenue; the others are in `revenue_by_currency`. */
  currency: string | null;
  revenue_by_currency: Record<string, number>;
}

export interface Metrics extends Money {
  /** Opens by people (directly or through Gmail's or Yahoo's proxy), every open counted. */
  opens_people: number;
  /** Fetches by machines (Apple's prefetch, scanners): not opens. */
  opens_machines: number;
  /** Distinct subscribers who opened (known subscribers only). */
  unique_people: number;
  clicks: number;
  unique_clickers: number;
  /** unique_clickers / unique_people; null with nobody. */
  click_to_open: number | null;
  /** Orders after an open with no click within the window. */
  view_through: Money;
}

export interface VariantReport extends Metrics {
  variant: string;
  holdout: boolean;
  conversion_rate: number | null;
  revenue_per_thousand_opens: number | null;
  /** Over the holdout, on `metric`; null for the holdout itself or without one. */
  lift: (Lift & { metric: 'conversion_rate' | 'click_to_open' }) | null;
  /** The chance this arm's `metric` rate is the best of the arms (holdout apart); null with fewer than two. */
  probability_best: number | null;
  enough_data: boolean;
  /** An optimised split's arm (or holdout): its share of the split's people in the latest allocation up to `to`, in percent; else null. */
  share: number | null;
}

/** One change of an optimised split's allocation. */
export interface AllocationChange {
  at: string;
  entry: string;
  /** Percent of the split's people, per arm and `holdout`. */
  shares: Record<string, number>;
}

export interface Personalised {
  /** Opens by people, by what they got. */
  opens: number;
  personal: number;
  generic: number;
  fallback: number;
  /** personal / opens; null with no opens. */
  share: number | null;
  why_not: Record<string, number>;
}

export interface Report {
  scope: { block?: string; message?: string };
  from: string;
  to: string;
  by: ReportUnit;
  totals: Metrics;
  machines: Record<string, { opens: number; clicks: number; counted_as_people: boolean }>;
  series: Array<Metrics & { bucket: string }>;
  variants: VariantReport[];
  /** For a send: one entry per block in it. */
  blocks?: Array<Metrics & { block: string }>;
  /** For a block: every change of its optimised splits' allocations in the report's time, oldest first. */
  allocations?: AllocationChange[];
  personalised: Personalised;
  /** For a block: its last distinct renders, newest first, whatever the span (gallery.ts). */
  gallery?: GalleryEntry[];
  /** Plainly, when a split's numbers are too few to tell. */
  notes: string[];
}

/** How far before a report's start its arms' current shares are looked for. */
const RETAINED_LOOKBACK_MS = 90 * DAY_MS;

export interface ReportQuery {
  /** A block's report, or a send's (`m=`). */
  block?: string;
  message?: string;
  from: number;
  to: number;
  by: ReportUnit;
}

/** The report's name for a requester class (Apple's proxy only prefetches). */
const CLASS_NAME: Record<string, string> = { apple_proxy: 'apple_prefetch' };
const PEOPLE_CLASSES = new Set(['person', 'gmail_proxy', 'yahoo_proxy']);
const MACHINE_CLASSES = ['apple_prefetch', 'gmail_proxy', 'yahoo_proxy', 'scanner'];

class Sums {
  opensPeople = 0;
  opensMachines = 0;
  clicks = 0;
  money = { conversions: 0, revenue: new Map<string, number>() };
  viewThrough = { conversions: 0, revenue: new Map<string, number>() };

  add(dims: CellDims, measure: string, value: number): void {
    const people = PEOPLE_CLASSES.has(dims.requester);
    if (measure === 'opens') {
      if (people) this.opensPeople += value;
      else this.opensMachines += value;
    } else if (measure === 'clicks') {
      if (dims.requester === 'person') this.clicks += value;
    } else if (measure === 'conversions') this.money.conversions += value;
    else if (measure === 'vt_conversions') this.viewThrough.conversions += value;
    else if (measure.startsWith('revenue:')) addTo(this.money.revenue, measure.slice(8), value);
    else if (measure.startsWith('vt_revenue:')) addTo(this.viewThrough.revenue, measure.slice(11), value);
  }

  metrics(uniquePeople: number, uniqueClickers: number): Metrics {
    return {
      opens_people: this.opensPeople,
      opens_machines: this.opensMachines,
      unique_people: uniquePeople,
      clicks: this.clicks,
      unique_clickers: uniqueClickers,
      click_to_open: uniquePeople > 0 ? round(uniqueClickers / uniquePeople) : null,
      ...money(this.money.conversions, this.money.revenue),
      view_through: money(this.viewThrough.conversions, this.viewThrough.revenue),
    };
  }
}

function addTo(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

const round = (x: number, places = 4) => Math.round(x * 10 ** places) / 10 ** places;
const cents = (x: number) => Math.round(x * 100) / 100;

function money(conversions: number, revenue: Map<string, number>): Money {
  const byCurrency = Object.fromEntries([...revenue].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c, v]) => [c, cents(v)]));
  const currency = Object.keys(byCurrency)[0] ?? null;
  return { conversions, revenue: currency === null ? 0 : (byCurrency[currency] as number), currency, revenue_by_currency: byCurrency };
}

function groupBy<K>(rows: ReadonlyArray<{ dims: CellDims; row: ReportCount }>, key: (dims: CellDims, row: ReportCount) => K): Map<K, Sums> {
  const groups = new Map<K, Sums>();
  for (const { dims, row } of rows) {
    const k = key(dims, row);
    const sums = groups.get(k) ?? new Sums();
    sums.add(dims, row.measure, row.value);
    groups.set(k, sums);
  }
  return groups;
}

export async function buildReport(store: ReportStore, query: ReportQuery): Promise<Report> {
  const { by } = query;
  const scope = query.block !== undefined ? `b:${query.block}` : `m:${query.message as string}`;
  const buckets = bucketsBetween(query.from, query.to, by);
  const first = bucketOf(query.from, by);
  const raw = await store.readReportCounts(scope, by, first, query.to);
  const rows = raw
    .map((row) => ({ row, dims: parseCellKey(row.cell) }))
    .filter(({ dims }) => query.block === undefined || query.message === undefined || dims.message === query.message);
  // Within a block's scope, a send narrows every set of people; within a send's, every block is in.
  const narrow: Pick<PeopleQuery, 'message'> = query.block !== undefined && query.message !== undefined ? { message: query.message } : {};

  const totals = groupBy(rows, () => 'all').get('all') ?? new Sums();
  const byBucket = groupBy(rows, (_, row) => row.bucket);
  const byVariant = groupBy(rows, (dims) => dims.variant);
  const byBlock = query.block === undefined ? groupBy(rows, (dims) => dims.block) : new Map<string, Sums>();
  const variants = [...byVariant.keys()].filter((v) => v !== '').sort();
  const blocks = [...byBlock.keys()].sort();

  const queries: PeopleQuery[] = [];
  const ask = (q: Omit<PeopleQuery, 'field'>) => {
    const at = queries.length;
    queries.push({ field: 'openers', ...narrow, ...q }, { field: 'clickers', ...narrow, ...q });
    return at;
  };
  const totalAt = ask({ buckets });
  const bucketAt = buckets.map((bucket) => ask({ buckets: [bucket] }));
  const variantAt = variants.map((variant) => ask({ buckets, variant }));
  const blockAt = blocks.map((block) => ask({ buckets, block }));
  const counts = await store.countReportPeople(scope, by, queries);
  const people = (at: number): [number, number] => [counts[at] ?? 0, counts[at + 1] ?? 0];

  const machines: Report['machines'] = {};
  for (const name of MACHINE_CLASSES) machines[name] = { opens: 0, clicks: 0, counted_as_people: PEOPLE_CLASSES.has(name) };
  const personalised: Personalised = { opens: 0, personal: 0, generic: 0, fallback: 0, share: null, why_not: {} };
  for (const { dims, row } of rows) {
    const requester = CLASS_NAME[dims.requester] ?? dims.requester;
    if (requester !== 'person' && (row.measure === 'opens' || row.measure === 'clicks')) {
      const entry = machines[requester] ?? { opens: 0, clicks: 0, counted_as_people: PEOPLE_CLASSES.has(requester) };
      entry[row.measure] += row.value;
      machines[requester] = entry;
    }
    if (!PEOPLE_CLASSES.has(dims.requester)) continue;
    if (row.measure === 'personal') personalised.personal += row.value;
    const [kind, why] = row.measure.split(':');
    if ((kind === 'generic' || kind === 'fallback') && why) {
      personalised[kind] += row.value;
      personalised.why_not[why] = (personalised.why_not[why] ?? 0) + row.value;
    }
  }
  personalised.opens = personalised.personal + personalised.generic + personalised.fallback;
  personalised.share = personalised.opens > 0 ? round(personalised.personal / personalised.opens) : null;

  const variantReports = variantReportsOf(variants.map((variant, i) => ({ variant, metrics: (byVariant.get(variant) as Sums).metrics(...people(variantAt[i] as number)) })));
  const notes = variantReports.some((v) => !v.enough_data)
    ? [
        `Too few people to tell the variants apart: each needs at least 100 people who opened, and the split at least 10 conversions (or clicks), before its lift and chances mean much.`,
      ]
    : [];

  const report: Report = {
    scope: query.block !== undefined ? { block: query.block, ...(query.message !== undefined ? { message: query.message } : {}) } : { message: query.message as string },
    from: new Date(first).toISOString(),
    to: new Date(query.to).toISOString(),
    by,
    totals: totals.metrics(...people(totalAt)),
    machines,
    series: buckets.map((bucket, i) => ({ bucket: new Date(bucket).toISOString(), ...(byBucket.get(bucket) ?? new Sums()).metrics(...people(bucketAt[i] as number)) })),
    variants: variantReports,
    personalised,
    notes,
  };
  if (query.block !== undefined) {
    // To the end of the last bucket, as every other figure of the report.
    const end = bucketOf(query.to, by) + (by === 'hour' ? HOUR_MS : DAY_MS) - 1;
    const changes = await readAllocations(store, query.block, first, end);
    report.allocations = changes.map((c) => ({ at: new Date(c.at).toISOString(), entry: c.entry, shares: { ...c.arms, holdout: c.holdout } }));
    const latest = await latestShares(store, query.block, end, changes);
    for (const variant of report.variants) variant.share = latest.get(variant.variant) ?? null;
  }
  if (query.block === undefined) report.blocks = blocks.map((block, i) => ({ block, ...(byBlock.get(block) as Sums).metrics(...people(blockAt[i] as number)) }));
  else report.gallery = galleryEntries(query.block, await store.readGallery(query.block));
  return report;
}

/** Each arm's (and holdout's) share in the latest allocation up to `to`: from the report's own changes, else the last one stored before them. */
async function latestShares(store: ReportStore, blockId: string, to: number, changes: readonly AllocationRecord[]): Promise<Map<string, number>> {
  const history = changes.length > 0 ? changes : await readAllocations(store, blockId, to - RETAINED_LOOKBACK_MS, to);
  const shares = new Map<string, number>();
  for (const change of history) {
    for (const [arm, share] of Object.entries(change.arms)) shares.set(arm, share);
    shares.set('holdout', change.holdout);
  }
  return shares;
}

/** Lift over the holdout and the chance of being best, on conversions when the split has any, else on clicks. */
function variantReportsOf(entries: Array<{ variant: string; metrics: Metrics }>): VariantReport[] {
  const metric: 'conversion_rate' | 'click_to_open' = entries.some((e) => e.metrics.conversions > 0) ? 'conversion_rate' : 'click_to_open';
  const rate = (m: Metrics): Rate => ({ successes: metric === 'conversion_rate' ? m.conversions : m.unique_clickers, trials: m.unique_people });
  const holdout = entries.find((e) => e.variant === 'holdout');
  const arms = entries.filter((e) => e !== holdout);
  const chances = arms.length >= 2 ? probabilityBest(arms.map((a) => rate(a.metrics))) : [];
  return entries.map((entry) => {
    const { metrics } = entry;
    const armIndex = arms.indexOf(entry);
    const lift = holdout && entry !== holdout ? relativeLift(rate(metrics), rate(holdout.metrics)) : null;
    const compared = holdout && entry !== holdout ? [rate(metrics), rate(holdout.metrics)] : arms.map((a) => rate(a.metrics));
    return {
      variant: entry.variant,
      holdout: entry === holdout,
      ...metrics,
      conversion_rate: metrics.unique_people > 0 ? round(metrics.conversions / metrics.unique_people) : null,
      revenue_per_thousand_opens: metrics.opens_people > 0 ? cents((metrics.revenue / metrics.opens_people) * 1000) : null,
      lift: lift ? { metric, ...lift } : null,
      probability_best: armIndex >= 0 && chances.length > 0 ? (chances[armIndex] as number) : null,
      enough_data: enoughData(compared),
      share: null,
    };
  });
}
