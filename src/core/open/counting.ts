import type { RequesterClass } from '../audience/requester.ts';
import type { OpenWrites } from './writes.ts';

export type OpenOutcome = 'personal' | 'generic' | 'fallback';

/**
 * The one counting rule of every open, whatever the kind and whatever was
 * served: by requester class; a machine's fetch as `opens.machine` only; a
 * person's as `opens`, `opens.<outcome>` and `block.<id>.opens` (no block
 * counter when no block could be read).
 */
export function countOpen(writes: OpenWrites, who: { machine: boolean; requester?: RequesterClass | undefined }, outcome: OpenOutcome, blockId: string | undefined): void {
  if (who.requester) writes.count(`opens.by.${who.requester}`);
  if (who.machine) {
    writes.count('opens.machine');
    return;
  }
  writes.count('opens');
  writes.count(`opens.${outcome}`);
  if (blockId !== undefined) writes.count(`block.${blockId}.opens`);
}
