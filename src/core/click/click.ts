import type { Audience } from '../audience/audience.ts';
import type { Engagement } from '../audience/engagement.ts';
import { classifyClick, sentAtOf, type RequesterClass } from '../audience/requester.ts';
import type { StoredBlock } from '../blocks/schema.ts';
import type { Lookups } from '../content/lookups.ts';
import { isHero, type Decision } from '../decide/decide.ts';
import { atWork, kindOf, type KindsAtWork } from '../kinds/registry.ts';
import { withParams } from '../links/click-url.ts';
import { openKey } from '../open/remember.ts';
import type { Clock, Logger, OpenRecordStore } from '../ports.ts';
import type { Counters } from '../shared/counters.ts';
import { describeError } from '../shared/errors.ts';
import { variantOf } from '../reports/open-report.ts';
import type { ReportWriter } from '../reports/writer.ts';

export interface ClickRequest {
  blockId: string;
  slot: string;
  subject?: string | undefined;
  messageId?: string | undefined;
  method: string;
  userAgent?: string;
  params?: Record<string, string>;
  /** The URL carried a valid subscriber token or signature. */
  signed?: boolean;
}

/** Where one slot of a decision leads: a product's URL, or a hero variant's; with what reports file the click under. */
interface Shown {
  url: string;
  arm?: string;
  variant: string;
  version: number;
}

function shownIn(decision: Decision, slot: number): Shown | undefined {
  // Read off the decision, not the block's kind: an open record holds the decision as it was shown, whatever the block has become since.
  const filed = { variant: variantOf(decision), version: decision.blockVersion };
  if (isHero(decision)) return decision.arm === undefined ? { url: decision.variant.url, ...filed } : { url: decision.variant.url, arm: decision.arm, ...filed };
  const product = decision.slots[slot];
  return product ? { url: product.url, ...filed } : undefined;
}

export interface ClickTarget {
  url: string | undefined;
  /** record: what the open showed; decided: no open record (images were off), decided now; fallback: the block's fallback URL. */
  via: 'record' | 'decided' | 'fallback';
  requester: RequesterClass;
}

export interface ClickDeps {
  lookups: Lookups;
  audience: Audience;
  kinds: KindsAtWork;
  store: Pick<OpenRecordStore, 'getOpenRecord'>;
  counters: Counters;
  engagement?: Engagement | undefined;
  clock: Clock;
  logger: Logger;
  /** OPENTIME_DEFAULT_CLICK_URL: where a click on an unknown block goes. */
  defaultClickUrl: string | undefined;
  /** Report aggregates; absent in a preview. */
  reports?: ReportWriter;
}

/**
 * The click path: what was shown at open is what is clicked. With no open
 * record (images blocked), the block's kind decides now; with nothing for
 * that slot, the block's fallback URL. Only clicks by people are counted.
 */
export class ClickService {
  private readonly deps: ClickDeps;

  constructor(deps: ClickDeps) {
    this.deps = deps;
  }

  async click(request: ClickRequest): Promise<ClickTarget> {
    const { counters, logger } = this.deps;
    const requester = classifyClick(request.method, request.userAgent, sentAtOf(request.params?.ts), this.deps.clock.now());
    let stored: StoredBlock | undefined;
    try {
      stored = (await this.deps.lookups.block(request.blockId)) ?? undefined;
    } catch (error) {
      stored = this.deps.lookups.lastKnownBlock(request.blockId);
      logger.warn('click could not read its block', { block: request.blockId, error: describeError(error) });
    }
    if (!stored) return { url: this.deps.defaultClickUrl, via: 'fallback', requester };

    const block = stored.config;
    const kind = kindOf(block);
    const slot = /^\d{1,2}$/.test(request.slot) ? Number(request.slot) : -1;
    let target: Shown | undefined;
    let via: ClickTarget['via'] = 'fallback';
    let subjectKey: string | undefined;
    let decision: Decision | undefined;
    const fixed = kind.fixedLink?.(block);
    if (fixed !== undefined) {
      target = { url: fixed, variant: '', version: stored.version };
      via = 'decided';
    } else if (kind.hasSlot(block, slot)) {
      try {
        ({ target, via, subjectKey, decision } = await this.shownIn(stored, slot, request));
      } catch (error) {
        logger.warn('click fell back', { block: block.id, error: describeError(error) });
      }
    }
    const known = subjectKey;
    this.deps.reports?.click({
      blockId: block.id,
      version: target?.version ?? stored.version,
      messageId: request.messageId,
      variant: target?.variant ?? '',
      requester,
      subject: () => (known !== undefined ? Promise.resolve(known) : this.countableSubject(stored, request)),
      at: this.deps.clock.now(),
      decision,
    });
    if (requester === 'person') {
      if (subjectKey) this.deps.engagement?.clicked(subjectKey, block.id, Math.max(0, slot), request.messageId);
      counters.add('clicks');
      counters.add(`block.${block.id}.clicks`);
      if (target?.arm) counters.add(`block.${block.id}.arm.${target.arm}.clicks`);
      if (!target) counters.add('clicks.fallback');
    } else {
      counters.add(`clicks.${requester}`);
    }
    if (!target) return { url: block.fallback.url, via: 'fallback', requester };
    return { url: withParams(target.url, block.link.utm), via, requester };
  }

  /** The subscriber a click counts for, when the click path resolved none (a fixed link, a fallback): `u=` as given, at no store read. */
  private async countableSubject(stored: StoredBlock, request: ClickRequest): Promise<string | undefined> {
    const { audience } = this.deps;
    if (!request.subject || (audience.requiresSignature(stored.config) && !request.signed)) return undefined;
    return audience.givenKey(request.subject);
  }

  private async shownIn(
    stored: StoredBlock,
    slot: number,
    request: ClickRequest,
  ): Promise<{ target: Shown | undefined; via: ClickTarget['via']; subjectKey?: string; decision?: Decision }> {
    const { audience } = this.deps;
    const subjectKey = audience.mayPersonalise(stored.config, request) ? await audience.trackedSubject(request.subject) : undefined;
    if (!subjectKey) return { target: undefined, via: 'fallback' };
    const record = await this.deps.store.getOpenRecord(openKey(stored.config.id, subjectKey, request.messageId), this.deps.clock.now());
    if (record) return { target: shownIn(record.decision, slot), via: 'record', subjectKey, decision: record.decision };
    // Images were off: the kind decides now, if there is anyone to decide for (an unknown or deleted subscriber goes to the fallback URL).
    const plan = await atWork(this.deps.kinds, stored.config).plan(stored, {
      format: 'png',
      subject: async () => subjectKey,
      userAgent: request.userAgent,
      params: request.params ?? {},
      query: () => undefined,
    });
    if ('nothing' in plan || !plan.known || !plan.decision) return { target: undefined, via: 'fallback' };
    return { target: shownIn(plan.decision, slot), via: 'decided', subjectKey, decision: plan.decision };
  }
}
