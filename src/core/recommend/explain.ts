import type { Decision } from '../decide/decide.ts';
import { isHero } from '../decide/decide.ts';

/**
 * Why a decision shows what it does, as one line of text a header can carry
 * (ids percent-encoded, so any product id is safe there): for a grid, each
 * slot's source and what it came from; for a hero, the rule entry, the
 * A/B arm and its current share. Only previews send it (`x-opentime-why`); every open record keeps
 * the structured form (`GridDecision.why`, `HeroDecision.entry` and `arm`).
 *
 *   slot 0: p-blue by bought_together (source 0) from p-red; slot 1: p-teal by price_drop (source 1) was 40; slot 2: empty
 */
export function explainDecision(decision: Decision): string {
  if (isHero(decision)) {
    const share = decision.share !== undefined ? ` at ${encodeURIComponent(`${decision.share}%`)}` : '';
    return `entry ${encodeURIComponent(decision.entry)}${decision.arm ? `, arm ${encodeURIComponent(decision.arm)}${share}` : ''}`;
  }
  return decision.slots
    .map((slot, i) => {
      const why = decision.why?.[i];
      if (!slot) return `slot ${i}: empty`;
      if (!why) return `slot ${i}: ${encodeURIComponent(slot.id)} from ${slot.source}`;
      const from = why.seed !== undefined ? ` from ${encodeURIComponent(why.seed)}` : '';
      const was = why.was !== undefined ? ` was ${why.was}` : '';
      return `slot ${i}: ${encodeURIComponent(slot.id)} by ${why.from} (source ${why.source})${from}${was}`;
    })
    .join('; ');
}

/** The header's text as lines for a person, ids decoded. */
export function readExplanation(header: string): string[] {
  return header.split('; ').map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
}
