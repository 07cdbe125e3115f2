import type { BlockConfig } from '../blocks/schema.ts';
import type { SubjectStore, SuppressionStore } from '../ports.ts';
import { withBudget } from '../shared/budget.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { RequesterClass } from './requester.ts';
import { resolveSubjectKeys, type SubjectKeyer } from './subjects.ts';

/** Who a request to an email URL (`/i/…`, `/c/…`, `/o/…`) says it is for, as the route read it. */
export interface Asker {
  /** The subscriber id from the ESP merge tag (`u=`), if any. */
  subject?: string | undefined;
  /** The URL carried a valid subscriber token or signature. */
  signed?: boolean | undefined;
  /** Who is fetching: a person, an image proxy, a scanner (see requester.ts). */
  requester?: RequesterClass | undefined;
}

export interface AudienceDeps {
  store: Pick<SubjectStore, 'getLinks'> & Pick<SuppressionStore, 'getSuppressions'>;
  keyer: SubjectKeyer;
  /** OPENTIME_REQUIRE_SIGNATURE: a block without its own setting requires a signature when this is set. */
  requireSignature: boolean;
  storeTimeoutMs: number;
  /** Opens per subscriber per minute, when limited. */
  subscriberLimit?: RateLimiter | undefined;
  /** Counts what the audience turned away (nothing in a preview). */
  count(name: string): void;
}

/**
 * Who is asking, for opens, clicks and countdowns alike: which subscriber a
 * `u=` names (following identify and alias links), whether they are
 * suppressed, whether the request may be personal at all (signature, rate
 * limit). Every answer that turns a request away makes it anonymous: the
 * generic block, exactly as an unknown subscriber would see it.
 */
export class Audience {
  private readonly deps: AudienceDeps;

  constructor(deps: AudienceDeps) {
    this.deps = deps;
  }

  private budget<T>(work: Promise<T>, what: string): Promise<T> {
    return withBudget(work, this.deps.storeTimeoutMs, what);
  }

  /** The subject key of a `u=` value as given: no link followed, no store read (what reports count when nothing else was read). */
  givenKey(subject: string): Promise<string> {
    return this.deps.keyer.userKey(subject);
  }

  /** The canonical subject key for a `u=` value, following identify/alias links. */
  async subjectKey(subject: string): Promise<string> {
    const key = await this.deps.keyer.userKey(subject);
    const resolved = await this.budget(resolveSubjectKeys(this.deps.store, [key]), 'resolving the subscriber');
    return resolved.get(key) ?? key;
  }

  /**
   * The subject to personalise for, or undefined when the open is anonymous
   * or the subscriber is suppressed (then the block is generic and nothing
   * about the open is kept).
   */
  async trackedSubject(subject: string | undefined): Promise<string | undefined> {
    if (!subject) return undefined;
    const key = await this.deps.keyer.userKey(subject);
    const resolved = await this.budget(resolveSubjectKeys(this.deps.store, [key]), 'resolving the subscriber');
    const canonical = resolved.get(key) ?? key;
    const suppressed = await this.budget(this.deps.store.getSuppressions([...new Set([key, canonical])]), 'reading suppressions');
    return suppressed.size > 0 ? undefined : canonical;
  }

  /** Whether opens of this block are personal only when signed: its own setting, else the instance's. */
  requiresSignature(block: BlockConfig): boolean {
    return block.require_signature ?? this.deps.requireSignature;
  }

  /**
   * A block that requires a signature shows personal content only to a
   * signed request; any other gets the generic block, exactly as an unknown
   * subscriber would, so enumerating `u=` values shows nobody's products.
   */
  mayPersonalise(block: BlockConfig, asker: Asker): boolean {
    if (!asker.subject) return false;
    if (!this.requiresSignature(block) || asker.signed) return true;
    this.deps.count('requests.unsigned');
    return false;
  }

  /**
   * Spends one open of this subscriber's allowance; false means: answer it
   * as anonymous (the generic image, which the render cache holds), never an
   * error, since image proxies keep errors for weeks.
   */
  withinLimit(subject: string | undefined): boolean {
    const limiter = this.deps.subscriberLimit;
    if (subject === undefined || !limiter) return true;
    if (limiter.allows(`u:${subject}`)) return true;
    this.deps.count('opens.rate_limited');
    return false;
  }
}
