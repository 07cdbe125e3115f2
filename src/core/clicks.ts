import type { Counters } from './counters.ts';
import type { AppDeps } from './deps.ts';
import { describeError } from './errors.ts';
import { classifyClick, type RequesterClass } from './classify.ts';
import { withParams } from './links/click-url.ts';
import type { Lookups } from './lookups.ts';
import { openKey, type OpenService } from './opens.ts';
import type { ShownProduct } from './decide/decide.ts';
import type { StoredBlock } from './blocks/schema.ts';

export interface ClickRequest {
  blockId: string;
  slot: string;
  subject?: string | undefined;
  messageId?: string | undefined;
  method: string;
  userAgent?: string;
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

  constructor(deps: AppDeps, lookups: Lookups, opens: OpenService, counters: Counters) {
    this.deps = deps;
    this.lookups = lookups;
    this.opens = opens;
    this.counters = counters;
  }

  async click(request: ClickRequest): Promise<ClickTarget> {
    const requester = classifyClick(request.method, request.userAgent);
    let stored: StoredBlock | undefined;
    try {
      stored = (await this.lookups.block(request.blockId)) ?? undefined;
    } catch (error) {
      stored = this.lookups.lastKnownBlock(request.blockId);
      this.deps.logger.warn('click could not read its block', { block: request.blockId, error: describeError(error) });
    }
    if (!stored) return { url: this.deps.config.defaultClickUrl, via: 'fallback', requester };

    const slot = /^\d{1,2}$/.test(request.slot) ? Number(request.slot) : -1;
    let product: ShownProduct | null | undefined;
    let via: ClickTarget['via'] = 'fallback';
    if (slot >= 0 && slot < stored.config.slots) {
      try {
        ({ product, via } = await this.shownIn(stored, slot, request));
      } catch (error) {
        this.deps.logger.warn('click fell back', { block: stored.config.id, error: describeError(error) });
      }
    }
    if (requester === 'person') {
      this.counters.add('clicks');
      this.counters.add(`block.${stored.config.id}.clicks`);
      if (!product) this.counters.add('clicks.fallback');
    } else {
      this.counters.add(`clicks.${requester}`);
    }
    if (!product) return { url: stored.config.fallback.url, via: 'fallback', requester };
    return { url: withParams(product.url, stored.config.link.utm), via, requester };
  }

  private async shownIn(
    stored: StoredBlock,
    slot: number,
    request: ClickRequest,
  ): Promise<{ product: ShownProduct | null | undefined; via: ClickTarget['via'] }> {
    const subjectKey = await this.opens.trackedSubject(request.subject);
    if (!subjectKey) return { product: undefined, via: 'fallback' };
    const record = await this.deps.store.getOpenRecord(openKey(stored.config.id, subjectKey, request.messageId), this.deps.clock.now());
    if (record) return { product: record.decision.slots[slot], via: 'record' };
    // Images were off: decide now, if there is anyone to decide for (an unknown or deleted subscriber goes to the fallback URL).
    const { decision, known } = await this.opens.decideNow(stored, subjectKey);
    return known ? { product: decision.slots[slot], via: 'decided' } : { product: undefined, via: 'fallback' };
  }
}
