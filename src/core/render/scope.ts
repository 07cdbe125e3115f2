import type { HeroBlock } from '../blocks/hero.ts';
import type { ProductGridBlock } from '../blocks/product-grid.ts';
import type { GridDecision, HeroDecision } from '../decide/decide.ts';
import type { ResolvedTemplate } from '../templates/registry.ts';
import { gridLayout, heroLayout, productViews, rowLayout } from './grid-layout.ts';

/**
 * What a template sees: the one object its Liquid renders from. The render
 * key is this object itself (render-key.ts), so an input a template can
 * read is never left out of the key (a product's `source`, its `url`, the
 * time) and nothing else is put in.
 *
 * The time is given to templates that can read it (they name `now`,
 * `today` or the `datetime` filter), to the minute: a template that shows
 * the time is drawn at most once a minute per decision, and every other
 * template is drawn once however long its decision holds.
 */
const READS_CLOCK = /\bnow\b|\btoday\b|\bdatetime\b/;
/** Liquid's output and tag markup: only there can a template read a variable ("Shop now" in the HTML does not). */
const LIQUID_MARKUP = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;
const MINUTE_MS = 60_000;
const readsClock = new WeakMap<ResolvedTemplate, boolean>();

function templateReadsClock(template: ResolvedTemplate): boolean {
  let reads = readsClock.get(template);
  if (reads === undefined) {
    reads = (template.source.match(LIQUID_MARKUP) ?? []).some((markup) => READS_CLOCK.test(markup));
    readsClock.set(template, reads);
  }
  return reads;
}

export function templateNow(template: ResolvedTemplate, now: number): { now?: string } {
  return templateReadsClock(template) ? { now: new Date(Math.floor(now / MINUTE_MS) * MINUTE_MS).toISOString() } : {};
}

export function gridScope(block: ProductGridBlock, decision: GridDecision, template: ResolvedTemplate, now: number) {
  const grid = gridLayout(block);
  return {
    block: { id: block.id, width: block.size.width, height: block.size.height, slots: block.slots },
    params: block.params,
    layout: grid,
    rows: rowLayout(block, grid),
    products: productViews(decision),
    ...templateNow(template, now),
  };
}

/** A hero's variant, with its background image as the template gets it (a file under templates/ is embedded as a data URI). */
export function heroScope(block: HeroBlock, decision: HeroDecision, template: ResolvedTemplate, now: number, backgroundImage: string | undefined) {
  const variant = decision.variant;
  return {
    block: { id: block.id, width: block.size.width, height: block.size.height },
    params: block.params,
    layout: heroLayout(block.size, variant.text ?? (backgroundImage ? '#ffffff' : block.params.text), backgroundImage !== undefined),
    variant: { ...variant, background: { ...variant.background, image: backgroundImage } },
    ...templateNow(template, now),
  };
}
