import type { Counters } from '../shared/counters.ts';
import type { Engagement } from '../audience/engagement.ts';
import type { AppDeps } from '../deps.ts';
import { describeError } from '../shared/errors.ts';
import { classifyClick, sentAtOf, type RequesterClass } from '../audience/requester.ts';
import { withParams } from '../links/click-url.ts';
import type { Lookups } from '../content/lookups.ts';
import { openKey, type OpenService } from '../open/pipeline.ts';
import { isHero, type Decision } from '../decide/decide.ts';
import type { StoredBlock } from '../blocks/schema.ts';

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

/** Where one slot of a decision leads: a product's URL, or a hero variant's. */
interface Shown {
  url: string;
  arm?: string;
}

function shownIn(decision: Decision, slot: number): Shown | undefined {
  if (isHero(decision)) return decision.arm === undefined ? { url: decision.variant.url } : { url: decision.variant.url, arm: decision.arm };
  const product = decision.slots[slot];
  return product ? { url: product.url } : undefined;
}

export interface ClickTarget {
  url: string | undefined;
  /** record: what the open showed; decided: no open record (images were off), decided now; fallback: the block's fallback URL. */
  via: 'record' | 'decided' | 'fallback';
  requester: RequesterClass;
}

/**
 * The click path: what was shown at open is what is clicked. With no open
 * record (images blocked), decide now; with nothing for that slot, the
 * block's fallback URL. Only clicks by people are counted.
 */
export class ClickService {
  private readonly deps: AppDeps;
  private readonly lookups: Lookups;
  private readonly opens: OpenService;
  private readonly counters: Counters;

  private readonly engagement: Engagement | undefined;

  constructor(deps: AppDeps, lookups: Lookups, opens: OpenService, counters: Counters, engagement?: Engagement) {
    this.engagement = engagement;
    this.deps = deps;
    this.lookups = lookups;
    this.opens = opens;
    this.counters = counters;
  }

  async click(request: ClickRequest): Promise<ClickTarget> {
    const requester = classifyClick(request.method, request.userAgent, sentAtOf(request.params?.ts), this.deps.clock.now());
    let stored: StoredBlock | undefined;
    try {
      stored = (await this.lookups.block(request.blockId)) ?? undefined;
    } catch (error) {
      stored = this.lookups.lastKnownBlock(request.blockId);
      this.deps.logger.warn('click could not read its block', { block: request.blockId, error: describeError(error) });
    }
    if (!stored) return { url: this.deps.config.defaultClickUrl, via: 'fallback', requester };

    const block = stored.config;
    const slot = /^\d{1,2}$/.test(request.slot) ? Number(request.slot) : -1;
    let target: Shown | undefined;
    let via: ClickTarget['via'] = 'fallback';
    let subjectKey: string | undefined;
    if (block.kind === 'countdown') {
      target = { url: block.url };
      via = 'decided';
    } else if (block.kind === 'hero' || (slot >= 0 && slot < block.slots)) {
      try {
        ({ target, via, subjectKey } = await this.shownIn(stored, slot, request));
      } catch (error) {
        this.deps.logger.warn('click fell back', { block: block.id, error: describeError(error) });
      }
    }
    if (requester === 'person') {
      if (subjectKey) this.engagement?.clicked(subjectKey, block.id, Math.max(0, slot), request.messageId);
      this.counters.add('clicks');
      this.counters.add(`block.${block.id}.clicks`);
      if (target?.arm) this.counters.add(`block.${block.id}.arm.${target.arm}.clicks`);
      if (!target) this.counters.add('clicks.fallback');
    } else {
      this.counters.add(`clicks.${requester}`);
    }
    if (!target) return { url: block.fallback.url, via: 'fallback', requester };
    return { url: withParams(target.url, block.link.utm), via, requester };
  }

  private async shownIn(
    stored: StoredBlock,
    slot: number,
    request: ClickRequest,
  ): Promise<{ target: Shown | undefined; via: ClickTarget['via']; subjectKey?: string }> {
    const subjectKey = this.opens.mayPersonalise(stored.config, request) ? await this.opens.trackedSubject(request.subject) : undefined;
    if (!subjectKey) return { target: undefined, via: 'fallback' };
    const record = await this.deps.store.getOpenRecord(openKey(stored.config.id, subjectKey, request.messageId), this.deps.clock.now());
    if (record) return { target: shownIn(record.decision, slot), via: 'record', subjectKey };
    // Images were off: decide now, if there is anyone to decide for (an unknown or deleted subscriber goes to the fallback URL).
    const { decision, known } = await this.opens.decideNow(stored, subjectKey, { userAgent: request.userAgent, params: request.params ?? {} });
    return known ? { target: shownIn(decision, slot), via: 'decided', subjectKey } : { target: undefined, via: 'fallback' };
  }
}
