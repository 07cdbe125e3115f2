import { isPerson } from '../audience/requester.ts';
import type { BackgroundRunner, Logger, ReportStore } from '../ports.ts';
import { describeError } from '../shared/errors.ts';
import {
  DAY_MS,
  TOUCH_TTL_MS,
  bucketOf,
  cellKey,
  mergeTouches,
  peopleKey,
  type PeopleField,
  type GalleryAdd,
  type ReportBatch,
  type ReportUnit,
  type Touch,
  type Touches,
} from './cells.ts';
import { triggerOfMessage } from '../triggers/message-id.ts';
import type { ClickFact, OpenFact, OrderFact } from './facts.ts';
import { renderIdOf, storedDecision } from './gallery.ts';

/**
 * Turns opens, clicks and orders into report aggregates, off the request
 * path: facts wait in memory and are written together at most once a
 * second (one store write for a burst of opens), the subscriber resolved
 * and hashed meanwhile. Orders are attributed after the opens and clicks
 * before them are written, to the subscriber's last click on a block within
 * that block's window, else (view-through) to their last open.
 *
 * Bounded: past MAX_PENDING facts waiting, new ones are dropped and counted
 * (`reports.dropped`); a batch the store refused is kept for the next flush
 * as aggregates (cells, not facts), so an outage costs memory by cells.
 */
export const REPORT_FLUSH_MS = 1000;
export const MAX_PENDING = 100_000;
const UNITS: readonly ReportUnit[] = ['hour', 'day'];
/** An order is counted once within this long (the longest window). */
const ORDER_CLAIM_SECONDS = TOUCH_TTL_MS / 1000;

/** The report class of a requester: Apple's proxy only prefetches, so it is called what it does. */
export function requesterName(requester: string): string {
  return requester === 'apple_proxy' ? 'apple_prefetch' : requester;
}

export interface ReportWriterDeps {
  store: ReportStore;
  background: BackgroundRunner;
  logger: Logger;
  /** The keyed hash of a subject key (16 hex digits). */
  personOf(subjectKey: string): Promise<string>;
  /** A block's attribution window (attribution.window_days), in days. */
  windowDays(blockId: string): Promise<number>;
  retentionDays: number;
  count(name: string, by?: number): void;
  now(): number;
}

type Waiting = { kind: 'open'; fact: OpenFact } | { kind: 'click'; fact: ClickFact };
type Resolved = { kind: 'open'; fact: OpenFact; person: string | undefined; outcome: string } | { kind: 'click'; fact: ClickFact; person: string | undefined };

class BatchBuilder {
  private readonly counts = new Map<string, ReportBatch['counts'][number]>();
  private readonly people = new Map<string, ReportBatch['people'][number] & { seen: Set<string> }>();
  private readonly touches = new Map<string, Touches>();
  private readonly gallery = new Map<string, GalleryAdd>();

  add(scope: string, at: number, cell: string, measure: string, value: number): void {
    for (const unit of UNITS) {
      const bucket = bucketOf(at, unit);
      const key = `${scope}|${unit}|${bucket}|${cell}|${measure}`;
      const row = this.counts.get(key);
      if (row) row.value += value;
      else this.counts.set(key, { scope, unit, bucket, cell, measure, value });
    }
  }

  person(scope: string, at: number, set: string, person: string): void {
    for (const unit of UNITS) {
      const bucket = bucketOf(at, unit);
      const key = `${scope}|${unit}|${bucket}|${set}`;
      const row = this.people.get(key) ?? { scope, unit, bucket, set, members: [], seen: new Set<string>() };
      if (!row.seen.has(person)) {
        row.seen.add(person);
        row.members.push(person);
      }
      this.people.set(key, row);
    }
  }

  touch(person: string, kind: 'click' | 'open', touch: Touch): void {
    this.touches.set(person, mergeTouches(this.touches.get(person), { [kind]: touch }));
  }

  /** A person's open or click of one render; adds of one render in a batch become one. */
  render(add: GalleryAdd): void {
    const key = `${add.block}|${add.render}`;
    const row = this.gallery.get(key);
    if (!row) {
      this.gallery.set(key, { ...add });
      return;
    }
    row.opens += add.opens;
    row.clicks += add.clicks;
    row.at = Math.max(row.at, add.at);
    if (add.decision !== undefined) row.decision = add.decision;
  }

  merge(other: ReportBatch): void {
    for (const c of other.counts) {
      const key = `${c.scope}|${c.unit}|${c.bucket}|${c.cell}|${c.measure}`;
      const row = this.counts.get(key);
      if (row) row.value += c.value;
      else this.counts.set(key, { ...c });
    }
    for (const p of other.people) for (const member of p.members) this.personIn(p, member);
    for (const t of other.touches) this.touches.set(t.person, mergeTouches(this.touches.get(t.person), t.touches));
    for (const g of other.gallery ?? []) this.render(g);
  }

  private personIn(p: ReportBatch['people'][number], member: string): void {
    const key = `${p.scope}|${p.unit}|${p.bucket}|${p.set}`;
    const row = this.people.get(key) ?? { scope: p.scope, unit: p.unit, bucket: p.bucket, set: p.set, members: [], seen: new Set<string>() };
    if (!row.seen.has(member)) {
      row.seen.add(member);
      row.members.push(member);
    }
    this.people.set(key, row);
  }

  get empty(): boolean {
    return this.counts.size === 0 && this.people.size === 0 && this.touches.size === 0 && this.gallery.size === 0;
  }

  build(retentionMs: number): ReportBatch {
    return {
      counts: [...this.counts.values()],
      people: [...this.people.values()].map(({ scope, unit, bucket, set, members }) => ({ scope, unit, bucket, set, members })),
      touches: [...this.touches].map(([person, touches]) => ({ person, touches })),
      ...(this.gallery.size > 0 ? { gallery: [...this.gallery.values()] } : {}),
      retentionMs,
    };
  }
}

/** The scopes a fact adds to: its block's, and its send's when it has one. */
function scopesOf(blockId: string, messageId: string | undefined): string[] {
  return messageId ? [`b:${blockId}`, `m:${messageId}`] : [`b:${blockId}`];
}

type Group = { waiting: Waiting; count: number };
/** Opens of one answer given again, as they come: the fact of the first, the time of the latest. */
type Repeats = { fact: OpenFact; count: number; at: number; hour: number };

function groupOf(repeats: Repeats): Group {
  return { waiting: { kind: 'open', fact: { ...repeats.fact, at: repeats.at } }, count: repeats.count };
}

/**
 * The same answer opened again (an answer memo hit hands on the same
 * subject, outcome and decision), in the same hour, is one fact counted
 * that many times: resolved, hashed and added once. Clicks, and opens that
 * share nothing, stay one each. A group keeps its latest open, for the
 * subscriber's last touch.
 */
function coalesced(tasks: readonly Group[]): Group[] {
  const ids = new Map<object, number>();
  const idOf = (thing: object | undefined) => {
    if (thing === undefined) return 0;
    let id = ids.get(thing);
    if (id === undefined) {
      id = ids.size + 1;
      ids.set(thing, id);
    }
    return id;
  };
  const groups: Group[] = [];
  const byKey = new Map<string, Group>();
  for (const task of tasks) {
    const { waiting } = task;
    if (waiting.kind !== 'open') {
      groups.push(task);
      continue;
    }
    const f = waiting.fact;
    const key = `${idOf(f.subject)}|${idOf(f.outcome)}|${idOf(f.decision)}|${f.requester}|${bucketOf(f.at, 'hour')}|${f.blockId}|${f.version}|${f.messageId ?? ''}|${f.variant}`;
    const group = byKey.get(key);
    if (!group) {
      const fresh = { waiting, count: task.count };
      byKey.set(key, fresh);
      groups.push(fresh);
    } else {
      group.count += task.count;
      if (f.at >= group.waiting.fact.at) group.waiting = waiting;
    }
  }
  return groups;
}

export class ReportWriter {
  private pending: Waiting[] = [];
  /** Answers given again since the last flush, by their fact: a repeat costs a count, not a fact. */
  private repeats = new Map<OpenFact, Repeats>();
  private pastRepeats: Group[] = [];
  private orders: OrderFact[] = [];
  private unwritten: ReportBatch | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private settleTask: (() => void) | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly deps: ReportWriterDeps;

  constructor(deps: ReportWriterDeps) {
    this.deps = deps;
  }

  /** Facts waiting to be written (for /metrics). */
  get queued(): number {
    return this.pending.length + this.orders.length + this.repeats.size + this.pastRepeats.length;
  }

  open(fact: OpenFact): void {
    if (fact.requester === 'prefetch') return; // HEAD: never an open
    this.enqueue({ kind: 'open', fact });
  }

  /**
   * An open of an answer given again (the answer memo), at `at`: the same
   * fact object every time, so repeats within a flush and an hour are one
   * fact and a count from the start, with no fact made per open.
   */
  openAgain(fact: OpenFact, at: number): void {
    if (fact.requester === 'prefetch') return;
    const hour = bucketOf(at, 'hour');
    const repeats = this.repeats.get(fact);
    if (repeats && repeats.hour === hour) {
      repeats.count++;
      repeats.at = at;
      return;
    }
    // A new hour: the last hour's repeats wait as one group, and a new one starts.
    if (repeats) {
      this.pastRepeats.push(groupOf(repeats));
      this.repeats.delete(fact);
    }
    if (this.queued >= MAX_PENDING) {
      this.dropped();
      return;
    }
    this.repeats.set(fact, { fact, count: 1, at, hour });
    this.schedule();
  }

  click(fact: ClickFact): void {
    if (fact.requester === 'prefetch') return;
    this.enqueue({ kind: 'click', fact });
  }

  /** Resolved at the flush, not per open: the subscriber and the outcome cost nothing on the request path. */
  private async resolve(waiting: Waiting): Promise<Resolved | undefined> {
    try {
      if (waiting.kind === 'click')
        return { kind: 'click', fact: waiting.fact, person: waiting.fact.requester === 'person' ? await this.personFrom(waiting.fact.subject) : undefined };
      const { fact } = waiting;
      const person = isPerson(fact.requester) ? await this.personFrom(fact.subject) : undefined;
      return { kind: 'open', fact, person, outcome: isPerson(fact.requester) ? await fact.outcome().catch(() => 'generic:no_profile') : '' };
    } catch {
      return undefined;
    }
  }

  /** An applied `Order Completed`: attributed at the next flush, after the opens and clicks before it. */
  order(order: OrderFact): void {
    if (this.queued >= MAX_PENDING) {
      this.dropped();
      return;
    }
    this.orders.push(order);
    this.schedule();
  }

  private async personFrom(subject: () => Promise<string | undefined>): Promise<string | undefined> {
    try {
      const key = await subject();
      return key === undefined ? undefined : await this.deps.personOf(key);
    } catch {
      return undefined; // the store was slow: the open counts, the person cannot
    }
  }

  private enqueue(waiting: Waiting): void {
    if (this.queued >= MAX_PENDING) {
      this.dropped();
      return;
    }
    this.pending.push(waiting);
    this.schedule();
  }

  private dropped(): void {
    this.deps.count('reports.dropped');
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.deps.background(new Promise<void>((resolve) => (this.settleTask = resolve)));
    this.timer = setTimeout(() => void this.flush(), REPORT_FLUSH_MS);
  }

  /** Writes what is waiting (before shutting down, and in tests). Flushes run one at a time. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const settle = this.settleTask;
    this.settleTask = undefined;
    const run = this.flushing.then(() => this.write());
    this.flushing = run.catch(() => undefined);
    return run.finally(() => settle?.());
  }

  private async write(): Promise<void> {
    const tasks: Group[] = [...this.pending.map((waiting) => ({ waiting, count: 1 })), ...this.pastRepeats, ...[...this.repeats.values()].map(groupOf)];
    const orders = this.orders;
    this.pending = [];
    this.repeats = new Map();
    this.pastRepeats = [];
    this.orders = [];
    const builder = new BatchBuilder();
    if (this.unwritten) builder.merge(this.unwritten);
    this.unwritten = undefined;
    const groups = coalesced(tasks);
    const resolved = await Promise.all(groups.map((group) => this.resolve(group.waiting)));
    for (const [i, fact] of resolved.entries()) if (fact) this.addFact(builder, fact, (groups[i] as Group).count);
    if (!(await this.store(builder))) return;
    if (orders.length === 0) return;
    const conversions = new BatchBuilder();
    for (const order of orders) {
      try {
        await this.attribute(conversions, order);
      } catch (error) {
        this.deps.logger.warn('order not attributed', { error: describeError(error) });
      }
    }
    await this.store(conversions);
  }

  private async store(builder: BatchBuilder): Promise<boolean> {
    if (builder.empty) return true;
    const batch = builder.build(this.deps.retentionDays * DAY_MS);
    try {
      await this.deps.store.addToReports(batch, this.deps.now());
      return true;
    } catch (error) {
      // Kept as aggregates for the next flush (the next fact schedules one; a store that is down is not retried in a loop).
      this.unwritten = batch;
      this.deps.logger.warn('report aggregates not written', { error: describeError(error) });
      return false;
    }
  }

  private addFact(builder: BatchBuilder, resolved: Resolved, count: number): void {
    const { fact, person } = resolved;
    const requester = requesterName(fact.requester);
    const cell = cellKey({ block: fact.blockId, version: fact.version, message: fact.messageId ?? '', variant: fact.variant, requester });
    const touch: Touch = { block: fact.blockId, version: fact.version, message: fact.messageId ?? '', variant: fact.variant, at: fact.at };
    const field: PeopleField = resolved.kind === 'open' ? 'openers' : 'clickers';
    const set = peopleKey({ field, block: fact.blockId, message: fact.messageId ?? '', variant: fact.variant });
    for (const scope of scopesOf(fact.blockId, fact.messageId)) {
      builder.add(scope, fact.at, cell, resolved.kind === 'open' ? 'opens' : 'clicks', count);
      if (resolved.kind === 'open' && resolved.outcome !== '') builder.add(scope, fact.at, cell, resolved.outcome, count);
      if (person) builder.person(scope, fact.at, set, person);
    }
    if (person) builder.touch(person, resolved.kind, touch);
    // The gallery counts what people saw and clicked; a machine's fetch is not a view.
    if (fact.decision && isPerson(fact.requester) && (resolved.kind === 'open' || fact.requester === 'person')) {
      const render = renderIdOf(fact.decision);
      if (resolved.kind === 'open') builder.render({ block: fact.blockId, render, decision: storedDecision(fact.decision), at: fact.at, opens: count, clicks: 0 });
      else builder.render({ block: fact.blockId, render, at: fact.at, opens: 0, clicks: count });
    }
  }

  private async attribute(builder: BatchBuilder, order: OrderFact): Promise<void> {
    const person = await this.deps.personOf(order.subjectKey);
    const touches = await this.deps.store.getTouches(person, order.at);
    const within = async (touch: Touch | undefined) =>
      touch !== undefined && order.at >= touch.at && order.at - touch.at <= (await this.deps.windowDays(touch.block)) * DAY_MS ? touch : undefined;
    const click = await within(touches?.click);
    const open = click ? undefined : await within(touches?.open);
    const touch = click ?? open;
    if (!touch) return;
    if (!(await this.deps.store.claimOnce(`order:${order.orderId ?? `m:${order.messageId}`}`, order.at, ORDER_CLAIM_SECONDS))) return;
    const cell = cellKey({ block: touch.block, version: touch.version, message: touch.message, variant: touch.variant, requester: 'person' });
    const prefix = click ? '' : 'vt_';
    for (const scope of scopesOf(touch.block, touch.message || undefined)) {
      builder.add(scope, order.at, cell, `${prefix}conversions`, 1);
      builder.add(scope, order.at, cell, `${prefix}revenue:${order.currency}`, order.revenue);
    }
    // A click in a trigger's email (m=trg.<trigger>.<episode>) is that trigger's conversion too, in its report.
    const trigger = click ? triggerOfMessage(touch.message) : undefined;
    if (trigger !== undefined) {
      this.deps.count(`trigger.${trigger}.conversions`);
      this.deps.count(`trigger.${trigger}.revenue_cents.${order.currency}`, Math.round(order.revenue * 100));
    }
  }
}

/** Hashes kept per instance, so a subscriber who opens again costs no HMAC. */
const HASHES_KEPT = 10_000;

/** The keyed hash reports count people by: HMAC-SHA256 of the subject key under the instance secret, 64 bits in hex. */
export function personHasher(secret: string): (subjectKey: string) => Promise<string> {
  let key: Promise<CryptoKey> | undefined;
  const kept = new Map<string, string>();
  return async (subjectKey) => {
    const known = kept.get(subjectKey);
    if (known !== undefined) return known;
    key ??= crypto.subtle.importKey('raw', new TextEncoder().encode(`opentime-report:${secret}`), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await key, new TextEncoder().encode(subjectKey)));
    let hex = '';
    for (let i = 0; i < 8; i++) hex += (mac[i] as number).toString(16).padStart(2, '0');
    if (kept.size >= HASHES_KEPT) kept.clear();
    kept.set(subjectKey, hex);
    return hex;
  };
}
