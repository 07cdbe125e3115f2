import type { Episode } from './episode.ts';

/** The message id (`m=`) of a trigger's email: its block URLs carry it, so its opens, clicks and orders are the trigger's. */
export const messageIdOf = (episode: Episode) => `trg.${episode.triggerId}.${episode.id.replace(/-/g, '').slice(0, 12)}`;

/** The trigger whose email a message id names (`trg.<trigger>.<episode>`), else undefined: for the conversions of its clicks. */
export function triggerOfMessage(messageId: string): string | undefined {
  return /^trg\.([a-z0-9][a-z0-9_-]{0,63})\.[0-9a-f]{12}$/.exec(messageId)?.[1];
}
