import { LRUCache } from 'lru-cache';
import type { GridDecision } from '../decide/decide.ts';
import type { ResolvedTemplate } from '../templates/registry.ts';
import { templateNow } from './scope.ts';

/** Decisions remembered per block and template: a send shows a few hundred distinct ones at a time. */
const DECISIONS_PER_BLOCK = 2000;

/**
 * Render keys of recent grid decisions. The key is the JSON of the whole
 * template scope (a few kilobytes: layout, rows, params, products), which
 * every open answered from the cache would otherwise build again. It
 * depends only on the block and template objects (both replaced, never
 * changed, when they change), the decision's slots and the minute a
 * clock-reading template sees (one memo per renderer, whose scale is
 * fixed), so those are what the memo looks up by;
 * the same key string is handed out each time, which also lets the maps
 * that key on it hash it once.
 */
export function gridKeyMemo(): (compute: () => string, block: object, template: ResolvedTemplate, decision: GridDecision, now: number) => string {
  const memos = new WeakMap<object, WeakMap<ResolvedTemplate, LRUCache<string, string>>>();
  return (compute, block, template, decision, now) => {
    let perTemplate = memos.get(block);
    if (!perTemplate) {
      perTemplate = new WeakMap();
      memos.set(block, perTemplate);
    }
    let keys = perTemplate.get(template);
    if (!keys) {
      keys = new LRUCache({ max: DECISIONS_PER_BLOCK });
      perTemplate.set(template, keys);
    }
    const id = `${templateNow(template, now).now ?? ''}${JSON.stringify(decision.slots)}`;
    let key = keys.get(id);
    if (key === undefined) {
      key = compute();
      keys.set(id, key);
    }
    return key;
  };
}
