import type { RequesterClass } from '../audience/requester.ts';
import type { StoredBlock } from '../blocks/schema.ts';
import type { Decision } from '../decide/decide.ts';
import type { Drawing } from '../kinds/kind.ts';
import type { SubjectChange, SubjectChangeFeed } from '../ports.ts';
import { PRODUCT_CACHE_MS } from '../content/lookups.ts';
import type { OpenReport, OpenTally } from './counting.ts';

/**
 * An answer is kept no longer than the product cache keeps a product
 * (another instance's catalog change shows within that time either way),
 * and never past the minute: templates and hero rules read the clock by
 * the minute.
 */
export const ANSWER_MEMO_MS = PRODUCT_CACHE_MS;
const MINUTE_MS = 60_000;
/** Ten seconds of a send's opens at 500 a second; an entry holds no image bytes (only a weak reference: they stay the render cache's). */
const MAX_ANSWERS = 5_000;
/** Subjects whose last change is remembered; one forgotten makes every older answer untrusted. */
const MAX_CHANGES = 100_000;
/** A change is remembered for twice the longest an answer lives: by then every answer it could end has ended. */
const FORGET_CHANGES_MS = 2 * ANSWER_MEMO_MS;

/** What an open answered, for the same request again: how to draw it (a render-cache hit) and how to count it. */
export interface KeptAnswer {
  /** The block as it was read: a changed block is another object. */
  stored: StoredBlock;
  drawing: Drawing;
  personal: boolean;
  decision: Decision | undefined;
  /** Keys whose change ends the answer: the `u=` as given and where it led. */
  subjects: readonly string[];
  report: OpenReport;
  /** The end of the decision's lock (a `minutes` lock), if sooner. */
  lockedUntil?: number | undefined;
  /** What the request said, as the open path read it, for counting an answer given again without reading the request. */
  asked: AskedAgain;
  /**
   * The image as last served, while something else (the render cache) still
   * holds it: a weak reference, so the memo never keeps bytes the cache let go.
   */
  bytes?: WeakRef<Uint8Array> | undefined;
  /** How each answer given again is counted, made at the first of them. */
  tally?: OpenTally | undefined;
}

/** The parts of an open request that counting needs, the same for the same request. */
export interface AskedAgain {
  format: 'png' | 'gif';
  requester: RequesterClass | undefined;
  machine: boolean;
  messageId: string | undefined;
  /** The `u=` whose allowance an open spends, when it may be personal. */
  allowanceOf: string | undefined;
}

interface Entry extends KeptAnswer {
  /** The last change numbered when the open that made it began. */
  since: number;
  until: number;
}

/**
 * The answers an instance gave to opens of the last seconds, by request
 * (method, user agent and URL): a subscriber's image fetched again (by
 * them, their mail app's second request, an image proxy) is answered with
 * the same decision without reading their profile, resolving them or
 * deciding again, and is counted as any open is. True because every change
 * to a subject, through any instance, is heard on the store's feed before
 * the next open could read it there (or within milliseconds, from another
 * instance), and ends the answers of that subject; a changed block is
 * another object; a catalog or template change here ends them all. Only a
 * whole image of a kind that remembers its decision, drawn without a
 * fallback, is kept; parts, countdowns and previews never are.
 *
 * Changes are numbered; an answer keeps the number current when its open
 * began, so a change that arrived while it was being decided ends it too.
 */
export class AnswerMemo {
  /** Oldest first (a Map keeps insertion order): every answer lives seconds, so the oldest is the one to drop. */
  private readonly answers = new Map<string, Entry>();
  /**
   * By subject key, the number and time of its last change, oldest change
   * first. A change older than any answer could be is forgotten (raising
   * the floor, so forgetting is always safe), which keeps this to the last
   * seconds' changes rather than a send's every subscriber.
   */
  private readonly changed = new Map<string, { at: number; time: number }>();
  /** The latest time an open asked or kept an answer: the memo's clock. */
  private now = 0;
  private sequence = 0;
  /** Answers begun at or before this may have missed a change (forgotten, or `all`). */
  private floor = 0;
  private readonly feed: SubjectChangeFeed;

  constructor(feed: SubjectChangeFeed) {
    this.feed = feed;
    feed.subscribe((change) => this.heard(change));
  }

  /** The number an open takes before it reads anything. */
  mark(): number {
    return this.sequence;
  }

  /** Every kept answer ends (a catalog, block or template change on this instance). */
  clear(): void {
    this.floor = ++this.sequence;
    this.answers.clear();
  }

  get(request: string, stored: StoredBlock, now: number): KeptAnswer | undefined {
    this.now = now;
    if (!this.feed.live) return undefined;
    const entry = this.answers.get(request);
    if (!entry) return undefined;
    if (entry.stored === stored && entry.until > now && entry.since >= this.floor && this.unchangedSince(entry)) return entry;
    this.answers.delete(request);
    return undefined;
  }

  keep(request: string, answer: KeptAnswer, since: number, now: number): void {
    this.now = now;
    if (!this.feed.live) return;
    const until = Math.min(now + ANSWER_MEMO_MS, (Math.floor(now / MINUTE_MS) + 1) * MINUTE_MS, answer.lockedUntil ?? Number.POSITIVE_INFINITY);
    if (until <= now) return;
    this.answers.delete(request);
    this.answers.set(request, { ...answer, since, until });
    if (this.answers.size > MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value as string);
    // Ended answers go from the oldest end (kept in about the order they end): each holds its open's
    // decision and drawing, kilobytes, which a send at 300 opens a second otherwise kept 5,000 of.
    for (const [oldest, entry] of this.answers) {
      if (entry.until > now) break;
      this.answers.delete(oldest);
    }
  }

  private unchangedSince(entry: Entry): boolean {
    for (const key of entry.subjects) if ((this.changed.get(key)?.at ?? 0) > entry.since) return false;
    return true;
  }

  /** Answers kept now (for /metrics and tests). */
  get size(): number {
    return this.answers.size;
  }

  /** Subjects whose last change is remembered now (for tests). */
  get changes(): number {
    return this.changed.size;
  }

  private heard(change: SubjectChange): void {
    if (change === 'all') {
      this.clear();
      return;
    }
    const at = ++this.sequence;
    for (const key of change) {
      this.changed.delete(key);
      this.changed.set(key, { at, time: this.now });
    }
    const forgotten = this.now - FORGET_CHANGES_MS;
    for (const [key, last] of this.changed) {
      if (this.changed.size <= MAX_CHANGES && last.time >= forgotten) break;
      this.changed.delete(key);
      this.floor = Math.max(this.floor, last.at);
    }
  }
}
