import type { Asker, Audience } from '../audience/audience.ts';
import type { BlockConfig, StoredBlock } from '../blocks/schema.ts';
import type { Lookups } from '../content/lookups.ts';
import type { Decision } from '../decide/decide.ts';
import type { Drawing, ImageFormat, KindOpen, Plan, Showing } from '../kinds/kind.ts';
import { atWork, kindOf, type KindsAtWork } from '../kinds/registry.ts';
import type { Clock, Logger, OpenRecordStore } from '../ports.ts';
import { withBudget } from '../shared/budget.ts';
import { AppError, describeError, errorCode, type ErrorCode } from '../shared/errors.ts';
import { genericWhy, variantOf } from '../reports/open-report.ts';
import { countOpen, countTally, fallbackWhy, tallyOf, type OpenReport } from './counting.ts';
import type { Fallbacks } from './fallbacks.ts';
import { COUNTING_PART, type OpenParts } from './parts.ts';
import { openKey, type Remember } from './remember.ts';
import type { RenderOnce } from './render-once.ts';
import type { OpenWrites } from './writes.ts';
import type { AnswerMemo, KeptAnswer } from './answer-memo.ts';
import { explainDecision } from '../recommend/explain.ts';

export interface OpenRequest extends Asker {
  blockId: string;
  format: ImageFormat;
  userAgent?: string | undefined;
  /** The URL's other parameters (from the ESP's merge tags), for hero rules. */
  params?: Record<string, string>;
  /** The message or campaign id (`m=`), if any. */
  messageId?: string | undefined;
  /** Image proxies and scanners fetch too; they do not count as opens. */
  machine: boolean;
  /** A bounded query parameter of the image URL (a per-recipient deadline). */
  query?: (name: string) => string | undefined;
  /** One part of the block (`/i/<block>/<part>.png`: head, a slot, text, foot); see parts.ts. */
  part?: string | undefined;
  /** A decision to draw as it is, deciding nothing (a gallery entry drawn again); honoured only with writes off. */
  shown?: Decision | undefined;
  /** What makes this request the same as an earlier one (method, user agent, URL), for the answer memo. */
  repeatKey?: string | undefined;
  /** The subscriber's allowance was already asked for this open (by `answerAgain`), with this answer. */
  withinAllowance?: boolean | undefined;
}

/** `answerAgain`'s answer: the image, the allowance refused (open it, as anonymous), or nothing kept. */
export type AnsweredAgain = { image: OpenImage } | { refused: true } | undefined;

export type Fallback = 'last-generic' | 'static' | 'blank' | 'expired';

export interface OpenImage {
  /** A PNG, a GIF or (a block of photos) a JPEG: the route reads which from the bytes themselves. */
  bytes: Uint8Array;
  /** hit: served from the render cache; coalesced: waited for the same render in flight. */
  cache: 'hit' | 'miss' | 'coalesced' | 'fallback';
  fallback?: Fallback;
  error?: ErrorCode;
  personal: boolean;
  /** The subscriber was past their rate limit: answered as anonymous. */
  limited?: boolean;
  /** What the image shows (the products, the hero variant), for a preview's account of it. */
  decision?: Decision;
  /** In a preview only: why each slot shows what it does (explain.ts), for the person previewing. */
  why?: string;
}

export interface OpenPipelineDeps {
  kinds: KindsAtWork;
  audience: Audience;
  lookups: Lookups;
  renderOnce: RenderOnce;
  fallbacks: Fallbacks;
  remember: Remember;
  /** Everything an open writes (open records, engagement, counters, cached renders); nothing in a preview. */
  writes: OpenWrites;
  store: Pick<OpenRecordStore, 'getOpenRecord'>;
  clock: Clock;
  logger: Logger;
  storeTimeoutMs: number;
  /** The open memo the parts of one open agree by; without it, parts are not served. */
  parts?: OpenParts;
  /** Answers of the last seconds, for the same request again (answer-memo.ts); none in a preview. */
  answers?: AnswerMemo | undefined;
}

/** Re-decide at most this many times when photos fail, then fall back. */
const MAX_PHOTO_RETRIES = 2;
const NO_QUERY = () => undefined;

/**
 * The open path, for every kind, top to bottom:
 *
 * 1. the block, read once (its last known version if the store fails);
 * 2. who is asking: may this open be personal (signature, rate limit), and
 *    for which subscriber (resolved only when the kind asks);
 * 3. the kind's plan: a locked decision, or a new one;
 * 4. render once: cache, in flight, just rendered; photos that fail are left
 *    out and the block decided again;
 * 5. remember what was shown (the open record), off the request path;
 * 6. count, by the one rule of counting.ts.
 *
 * Whatever fails, the answer is an image of the format asked for, from the
 * one fallback chain (fallbacks.ts). Every write goes through `writes`,
 * which a preview makes a no-op.
 */
export class OpenPipeline {
  private readonly deps: OpenPipelineDeps;

  constructor(deps: OpenPipelineDeps) {
    this.deps = deps;
  }

  private budget<T>(work: Promise<T>, what: string): Promise<T> {
    return withBudget(work, this.deps.storeTimeoutMs, what);
  }

  async open(request: OpenRequest): Promise<OpenImage> {
    const { audience, fallbacks, kinds } = this.deps;
    const { format } = request;
    // Taken before anything is read: a subject change from here on ends what this open keeps.
    const since = this.deps.answers?.mark();

    // 1. The block, read once.
    let stored: StoredBlock | undefined;
    try {
      stored = await this.budget(this.deps.lookups.block(request.blockId), 'reading the block');
    } catch (error) {
      const known = this.deps.lookups.lastKnownBlock(request.blockId);
      return this.failed(known?.config, request, error, known?.version);
    }
    if (!stored) {
      this.deps.logger.warn('open of an unknown block', { block: request.blockId });
      return { bytes: await fallbacks.blank(format), cache: 'fallback', fallback: 'blank', error: 'BLOCK_NOT_FOUND', personal: false };
    }
    const block = stored.config;
    const kind = kindOf(block);
    if (!kind.formats.includes(format)) {
      // Only countdowns move: any other block asked for as a GIF gets its still, as a GIF.
      this.count(request, 'fallback', block.id, this.report(block, request, stored.version, 'fallback:format'));
      return this.still(block, format, 'NOT_FOUND', request.part);
    }
    // Countdowns and heroes are one image and one link.
    if (request.part !== undefined && (!kind.slices || !this.deps.parts)) {
      this.count(request, 'fallback', block.id, this.report(block, request, stored.version, 'fallback:part_not_found'));
      return this.still(block, format, 'PART_NOT_FOUND', request.part);
    }

    try {
      // 2. Who is asking. A subscriber past their allowance is answered as anonymous.
      const mayPersonalise = audience.mayPersonalise(block, request);
      const limited = mayPersonalise && !(request.withinAllowance ?? audience.withinLimit(request.subject));
      const memo = this.memoOf(request, kind, limited);
      const kept = memo?.get(request.repeatKey as string, stored, this.deps.clock.now());
      if (kept) {
        const again = await this.again(kept, block);
        if (again) return again;
      }
      // Resolved once, when first asked: a kind that needs no subscriber (a countdown to a fixed deadline) costs no store read.
      let subject: Promise<string | undefined> | undefined;
      const subjectKey = () => (subject ??= mayPersonalise && !limited ? audience.trackedSubject(request.subject) : Promise.resolve(undefined));

      // 3. The kind's plan: the decision the block's lock still holds, or a new one.
      const lock =
        request.shown && !this.deps.writes.live
          ? { decision: request.shown, until: undefined }
          : kind.remembers && block.lock.policy !== 'live'
            ? await this.lockedDecision(block, await subjectKey(), request.messageId)
            : undefined;
      const locked = lock?.decision;
      const open: KindOpen = {
        format,
        subject: subjectKey,
        requester: request.requester,
        userAgent: request.userAgent,
        params: request.params ?? {},
        query: limited ? NO_QUERY : (request.query ?? NO_QUERY),
      };
      const planWith = (decision: Decision | undefined) => atWork(kinds, block).plan(stored, { ...open, locked: decision });
      // The parts of one open agree on one decision, the first part's (parts.ts).
      const { plan, decided } =
        request.part !== undefined && this.deps.parts
          ? await this.deps.parts.agree(await this.partsKey(block, subjectKey, request.messageId), planWith, locked)
          : { plan: await planWith(locked), decided: true };
      if ('nothing' in plan) {
        // Nothing to show (an empty catalog, no deadline): the block's still.
        this.count(request, 'fallback', block.id, limited ? undefined : this.report(block, request, stored.version, 'fallback:nothing_to_show'));
        return { ...(await this.still(block, format, plan.error, request.part)), ...(limited ? { limited } : {}) };
      }

      // 4. Render once.
      const { showing, drawing, png, cache } = await this.render(block, plan, request.part);

      // 5. Remember what was shown; 6. count.
      const key = subject ? await subject : undefined;
      if (showing.decision && !showing.personal && request.part === undefined) fallbacks.shownGeneric(block.id, format, drawing.key);
      // A locked decision keeps its first record; machines never lock one in; of an open's parts, the one that decided writes it.
      if (showing.decision && key && !locked && decided && !(request.machine && block.lock.policy !== 'live')) {
        this.deps.remember.shown(openKey(block.id, key, request.messageId), showing.decision, drawing.key, request.requester);
      }
      if (key && !request.machine && this.counts(request)) this.deps.writes.opened(key, block.id, request.messageId);
      // A kind that never asked for the subscriber (a countdown to a fixed deadline) costs no store read here either: its person is `u=` as given.
      const reportSubject = () => subject ?? (mayPersonalise && !limited && request.subject ? audience.givenKey(request.subject) : Promise.resolve(undefined));
      const report: OpenReport | undefined = limited
        ? undefined
        : {
            version: stored.version,
            messageId: request.messageId,
            variant: variantOf(showing.decision),
            subject: reportSubject,
            outcome: () => (showing.personal ? Promise.resolve('personal') : genericWhy(Boolean(request.subject), mayPersonalise, reportSubject)),
            render: drawing.key,
            decision: showing.decision,
          };
      this.count(request, showing.personal ? 'personal' : 'generic', block.id, report);
      if (memo && report && since !== undefined && !plan.fallback && !plan.error) {
        const subjects = [key, request.subject !== undefined ? await audience.givenKey(request.subject) : undefined].filter((k): k is string => k !== undefined);
        const asked = {
          format,
          requester: request.requester,
          machine: request.machine,
          messageId: request.messageId,
          allowanceOf: mayPersonalise ? request.subject : undefined,
        };
        memo.keep(
          request.repeatKey as string,
          { stored, drawing, personal: showing.personal, decision: showing.decision, subjects, report, lockedUntil: lock?.until, asked, bytes: new WeakRef(png) },
          since,
          this.deps.clock.now(),
        );
      }

      const image: OpenImage = { bytes: png, cache, personal: showing.personal };
      if (showing.decision) image.decision = showing.decision;
      if (plan.fallback) image.fallback = plan.fallback;
      if (plan.error) image.error = plan.error;
      if (limited) image.limited = true;
      if (!this.deps.writes.live && showing.decision) image.why = explainDecision(showing.decision);
      return image;
    } catch (error) {
      return this.failed(block, request, error, stored.version);
    }
  }

  /** The answer memo, when this request may be answered from it or kept in it: a whole image of a kind that remembers, live, within the subscriber's allowance. */
  private memoOf(request: OpenRequest, kind: { remembers: boolean }, limited: boolean): AnswerMemo | undefined {
    const { answers } = this.deps;
    if (!answers || request.repeatKey === undefined || request.part !== undefined || limited || !kind.remembers || !this.deps.writes.live) return undefined;
    return answers;
  }

  /** The same request answered again: drawn from the render cache (or again, should it have gone), counted as any open. */
  private async again(kept: KeptAnswer, block: BlockConfig): Promise<OpenImage | undefined> {
    const rendered = await this.deps.renderOnce.render(kept.drawing, `renders.${block.kind}`);
    if (!('png' in rendered)) return undefined; // a photo failed since: decided again
    kept.bytes = new WeakRef(rendered.png); // re-encoded smaller since, perhaps
    return this.countAgain(kept, block.id, rendered.png, rendered.cache);
  }

  /** Counts an answer given again as the request it was kept for (the same request: the same requester, send and format). */
  private countAgain(kept: KeptAnswer, blockId: string, bytes: Uint8Array, cache: OpenImage['cache']): OpenImage {
    if (kept.decision && !kept.personal) this.deps.fallbacks.shownGeneric(blockId, kept.asked.format, kept.drawing.key);
    // No Email Opened here: the open that decided recorded it, and engagement.ts records one open of a block and send per ten minutes.
    kept.tally ??= tallyOf(kept.asked, kept.personal ? 'personal' : 'generic', blockId, kept.report, this.deps.writes.now());
    countTally(this.deps.writes, kept.tally);
    const image: OpenImage = { bytes, cache, personal: kept.personal };
    if (kept.decision) image.decision = kept.decision;
    return image;
  }

  /**
   * The same request as one answered in the last seconds, answered at once
   * if everything it needs is in memory: the block as cached, the answer
   * kept for this request, its image still held by the render cache (and
   * not a draft about to be made smaller). No promise, no store read, no
   * parsing of the request: the route calls it first, with the request's
   * method, user agent and URL as they came. It spends the subscriber's
   * allowance as any open does; refused, the open goes the whole way, as
   * anonymous. Anything else missing: undefined, and the whole open runs.
   */
  answerAgain(repeatKey: string, blockId: string): AnsweredAgain {
    const { answers } = this.deps;
    if (!answers || !this.deps.writes.live) return undefined;
    const stored = this.deps.lookups.cachedBlock(blockId);
    if (!stored) return undefined;
    const kept = answers.get(repeatKey, stored, this.deps.clock.now());
    const bytes = kept?.bytes?.deref();
    if (!kept || !bytes || this.deps.renderOnce.isDraft(kept.drawing.key)) return undefined;
    if (kept.asked.allowanceOf !== undefined && !this.deps.audience.withinLimit(kept.asked.allowanceOf)) return { refused: true };
    return { image: this.countAgain(kept, stored.config.id, bytes, 'hit') };
  }

  /** Parts of one open are counted once, by one of them (parts.ts); a whole image always counts. */
  private counts(request: OpenRequest): boolean {
    return request.part === undefined || request.part === COUNTING_PART;
  }

  private count(request: OpenRequest, outcome: 'personal' | 'generic' | 'fallback', blockId: string | undefined, report?: OpenReport): void {
    if (this.counts(request)) countOpen(this.deps.writes, request, outcome, blockId, report);
  }

  /** The open memo's key: only a subscriber's open has one (an anonymous open's parts decide alike). */
  private async partsKey(block: BlockConfig, subject: () => Promise<string | undefined>, messageId: string | undefined) {
    const key = await subject();
    return key ? openKey(block.id, key, messageId) : undefined;
  }

  /** An open that did not get as far as a decision, for the reports: its person is `u=` as given (no store read: the store may be what failed). */
  private report(block: BlockConfig, request: OpenRequest, version: number, outcome: string): OpenReport {
    const { audience } = this.deps;
    const subject = request.subject !== undefined && (!audience.requiresSignature(block) || request.signed === true) ? request.subject : undefined;
    return {
      version,
      messageId: request.messageId,
      variant: '',
      subject: () => (subject !== undefined ? audience.givenKey(subject) : Promise.resolve(undefined)),
      outcome: () => Promise.resolve(outcome),
    };
  }

  /** The open record's decision, when the block's lock policy says it still holds, and until when. */
  private async lockedDecision(
    block: BlockConfig,
    subjectKey: string | undefined,
    messageId: string | undefined,
  ): Promise<{ decision: Decision; until: number | undefined } | undefined> {
    if (!subjectKey || block.lock.policy === 'live') return undefined;
    const now = this.deps.clock.now();
    const record = await this.budget(this.deps.store.getOpenRecord(openKey(block.id, subjectKey, messageId), now), 'reading the open record');
    if (!record) return undefined;
    if (block.lock.policy === 'first_open') return { decision: record.decision, until: undefined };
    const until = record.renderedAt + block.lock.minutes * 60_000;
    return now < until ? { decision: record.decision, until } : undefined;
  }

  /** Draws the plan through render-once; photos that fail are left out and the block decided again. */
  private async render(
    block: BlockConfig,
    plan: Plan,
    part: string | undefined,
  ): Promise<{ showing: Showing; drawing: Drawing; png: Uint8Array; cache: 'hit' | 'miss' | 'coalesced' }> {
    let showing: Showing | undefined = plan;
    for (let attempt = 0; showing && attempt <= MAX_PHOTO_RETRIES; attempt++) {
      if (part !== undefined && !showing.part) throw new AppError('PART_NOT_FOUND', `block ${block.id} is one image`);
      const drawing = part !== undefined && showing.part ? await showing.part(part) : await showing.drawing();
      const rendered = await this.deps.renderOnce.render(drawing, `renders.${block.kind}`);
      if ('png' in rendered) return { showing, drawing, png: rendered.png, cache: rendered.cache };
      this.deps.logger.warn('product photos did not load', { block: block.id, products: rendered.failedProducts.length });
      showing = plan.again?.(rendered.failedProducts);
    }
    throw new AppError('IMAGE_FETCH_FAILED', `product photos of block ${block.id} did not load`);
  }

  /** The fallback chain: the block's last generic render, its still, a flat image; with no block, a blank. */
  private async failed(block: BlockConfig | undefined, request: OpenRequest, error: unknown, version = 0): Promise<OpenImage> {
    const code = errorCode(error);
    this.deps.logger.warn('open served a fallback', { block: block?.id, code, error: describeError(error) });
    this.count(request, 'fallback', block?.id, block ? this.report(block, request, version, fallbackWhy(code)) : undefined);
    const { format } = request;
    if (!block) return { bytes: await this.deps.fallbacks.blank(format), cache: 'fallback', fallback: 'blank', error: code, personal: false };
    // A part is never the whole block's image: its fallback is a part of the block's size.
    if (request.part !== undefined) return this.still(block, format, code, request.part);
    const generic = await this.deps.fallbacks.lastGenericOf(block, format);
    if (generic) return { bytes: generic, cache: 'fallback', fallback: 'last-generic', error: code, personal: false };
    return this.still(block, format, code);
  }

  private async still(block: BlockConfig, format: ImageFormat, code: ErrorCode | undefined, part?: string): Promise<OpenImage> {
    const partStill = part !== undefined ? await this.deps.parts?.still(block, part, format) : undefined;
    if (part !== undefined && !partStill)
      return { bytes: await this.deps.fallbacks.blank(format), cache: 'fallback', fallback: 'blank', personal: false, ...(code ? { error: code } : {}) };
    const image: OpenImage = { bytes: partStill ?? (await this.deps.fallbacks.still(block, format)), cache: 'fallback', fallback: 'static', personal: false };
    if (code) image.error = code;
    return image;
  }

  /** Bytes held for per-recipient images now (see render-once.ts). */
  get personalRenderBytes(): number {
    return this.deps.renderOnce.perRecipientBytes;
  }
}
