import type { HeroBlock } from '../blocks/schema.ts';
import { isHero, type HeroDecision } from '../decide/decide.ts';
import { factIds, facts, isTimeZone, type OpenContext } from '../decide/facts.ts';
import { chooseVariant, findVariant, ruleProblems } from '../decide/hero.ts';
import { AppError } from '../shared/errors.ts';
import { artDeps, templatedStill, templateProblems } from './common.ts';
import { hasBehaviour, type Kind, type KindAtWork, type KindOpen, type KindTools, type Showing } from './kind.ts';

/**
 * A hero: one variant of the block, chosen by its rules over what the
 * subscriber did and how the email is opened (time, device, the URL's merge
 * tags), drawn with its template. Apple's prefetching proxy gets the
 * variant the block names for it.
 */
export const hero: Kind<HeroBlock> = {
  formats: ['png'],
  remembers: true,
  async problems(block, templates) {
    const sample = facts(undefined, new Map(), { now: 0, timezone: 'UTC', params: {} });
    return [...(await templateProblems(block.template, templates)), ...ruleProblems(block, sample)];
  },
  altText: (block) => block.default.headline,
  // One link, whatever the slot: the variant's.
  hasSlot: () => true,
  start,
};

function start(tools: KindTools): KindAtWork<HeroBlock> {
  const art = artDeps(tools);

  /** When and how the email is being opened, for the rules; `tz=` from the URL, else the block's zone. */
  function openContext(block: HeroBlock, open: KindOpen): OpenContext {
    const zone = open.params.tz !== undefined && isTimeZone(open.params.tz) ? open.params.tz : block.params.timezone;
    const context: OpenContext = { now: tools.clock.now(), timezone: zone, userAgent: open.userAgent, params: open.params };
    if (open.requester !== undefined) context.requester = open.requester;
    return context;
  }

  function showing(block: HeroBlock, decision: HeroDecision): Showing {
    return {
      decision,
      personal: decision.personal,
      async drawing() {
        const template = await tools.budget(tools.templates.get(block.template), 'reading the template');
        if (!template) throw new AppError('RENDER_FAILED', `block ${block.id} names template ${JSON.stringify(block.template)}, which does not exist`);
        const now = tools.clock.now();
        return { key: tools.renderer.heroKey(block, decision, template, now), draw: () => tools.renderer.renderHero(block, decision, template, now) };
      },
    };
  }

  return {
    async plan(stored, open) {
      const block = stored.config;
      if (open.locked && isHero(open.locked)) return { ...showing(block, open.locked), known: true };
      const subjectKey = await open.subject();
      const profile = subjectKey ? await tools.budget(tools.store.getProfile(subjectKey), 'reading the profile') : undefined;
      const products = await tools.budget(tools.lookups.productsById(factIds(profile)), 'reading the catalog');
      const context = openContext(block, open);
      // Apple's privacy proxy fetches ahead of time and keeps the image: show what the block says holds whenever it is read.
      const prefetched = context.requester === 'apple_proxy' && block.prefetch ? findVariant(block, block.prefetch.variant) : undefined;
      const choice = prefetched
        ? { variant: prefetched, entry: 'prefetch' }
        : chooseVariant(block, facts(profile, products, context), subjectKey, await tools.allocations?.(block));
      const decision: HeroDecision = {
        kind: 'hero',
        blockId: block.id,
        blockVersion: stored.version,
        variant: choice.variant,
        entry: choice.entry,
        personal: profile !== undefined && choice.entry !== 'default',
      };
      if ('arm' in choice && choice.arm !== undefined) decision.arm = choice.arm;
      if ('share' in choice && choice.share !== undefined) decision.share = choice.share;
      return { ...showing(block, decision), known: hasBehaviour(profile) };
    },

    still: (block, format) => templatedStill(tools, art, block, format),
  };
}
