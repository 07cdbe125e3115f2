import type { BlockConfig } from '../blocks/schema.ts';
import type { Decision } from '../decide/decide.ts';
import type { ImageFormat, Nothing, Plan } from '../kinds/kind.ts';
import { atWork, type KindsAtWork } from '../kinds/registry.ts';
import type { Clock, Logger, OpenKey, OpenRecordStore } from '../ports.ts';
import { findPart, outputRect } from '../render/slices.ts';
import { describeError } from '../shared/errors.ts';
import { flatImage } from './fallbacks.ts';
import type { OpenWrites } from './writes.ts';

/**
 * How long the parts of one open (`/i/<block>/<part>.png`) share the
 * decision of the first to arrive. Email clients fetch an email's images
 * together (Gmail's proxy and Apple's prefetch within a second or two, a
 * reader who clicks "download pictures" all at once); a later open is a new
 * open, decided again as the block's lock policy says.
 */
export const OPEN_MEMO_MS = 30_000;

/**
 * The part that counts an open of parts: every layout has a slot 0, and a
 * client fetches an email's images together, so counting on one named part
 * counts each open once, with no state shared between the parts, whichever
 * instance serves them and whether or not the store answers.
 */
export const COUNTING_PART = '0';

export interface OpenPartsDeps {
  kinds: KindsAtWork;
  store: Pick<OpenRecordStore, 'claimOpenMemo'>;
  writes: Pick<OpenWrites, 'live'>;
  clock: Clock;
  logger: Logger;
  scale: number;
  budget<T>(work: Promise<T>, what: string): Promise<T>;
}

export interface AgreedPlan {
  plan: Plan | Nothing;
  /** This part made the open's decision: it alone writes the open record. */
  decided: boolean;
}

/**
 * All parts of one open agree: the first part of an open (block, subject,
 * message) to arrive decides, and claims the open memo in the store, which
 * every instance shares; a part that finds a live memo draws its decision,
 * whatever it would have decided itself (an event may have arrived in
 * between, a lock may have lapsed). Parts on the same instance wait for the
 * first one's claim rather than each deciding. An anonymous open has no
 * memo: its decision is the generic one every part makes alike, and its
 * clicks go to the fallback URL.
 */
export class OpenParts {
  private readonly deps: OpenPartsDeps;
  /** Claims on their way to the store, by open: this instance's other parts wait for them. */
  private readonly claiming = new Map<string, Promise<Decision | undefined>>();

  constructor(deps: OpenPartsDeps) {
    this.deps = deps;
  }

  /** The plan this part draws: the open memo's decision, or its own when it is the first. */
  async agree(key: OpenKey | undefined, planWith: (locked: Decision | undefined) => Promise<Plan | Nothing>, locked: Decision | undefined): Promise<AgreedPlan> {
    // A preview writes nothing, memo included.
    if (!key || !this.deps.writes.live) return { plan: await planWith(locked), decided: true };
    const id = JSON.stringify([key.blockId, key.subjectKey, key.messageId]);
    const pending = this.claiming.get(id);
    if (pending) {
      const agreed = await pending.catch(() => undefined);
      return { plan: await planWith(agreed ?? locked), decided: false };
    }
    let settle: (decision: Decision | undefined) => void = () => undefined;
    const claim = new Promise<Decision | undefined>((resolve) => {
      settle = resolve;
    });
    this.claiming.set(id, claim);
    try {
      const plan = await planWith(locked);
      if ('nothing' in plan || !plan.decision) {
        settle(undefined);
        return { plan, decided: true };
      }
      const memo = await this.deps.budget(this.deps.store.claimOpenMemo(key, plan.decision, this.deps.clock.now(), OPEN_MEMO_MS), 'claiming the open memo');
      settle(memo.decision);
      if (memo.claimed) return { plan, decided: true };
      // Another part decided first: draw what it showed.
      if (JSON.stringify(memo.decision) === JSON.stringify(plan.decision)) return { plan, decided: false };
      return { plan: await planWith(memo.decision), decided: false };
    } catch (error) {
      settle(undefined);
      throw error;
    } finally {
      this.claiming.delete(id);
    }
  }

  /** A part when the open cannot draw it: the block's background at the part's size (a blank, when even that is unknown). */
  async still(block: BlockConfig, part: string, format: ImageFormat): Promise<Uint8Array | undefined> {
    try {
      const layout = await atWork(this.deps.kinds, block).sliceLayout?.(block);
      const rect = layout ? findPart(layout, part) : undefined;
      if (!rect) return undefined;
      const { width, height } = outputRect(rect, this.deps.scale);
      return await flatImage(format, width, height, block.params.background);
    } catch (error) {
      this.deps.logger.warn('part fallback without its size', { block: block.id, error: describeError(error) });
      return undefined;
    }
  }
}
