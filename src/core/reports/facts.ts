import type { RequesterClass } from '../audience/requester.ts';
import type { Decision } from '../decide/decide.ts';

/**
 * What the open and click paths hand to reports: one fact per open or
 * click, with the subscriber still to be resolved (off the request path).
 */

/** Why a person's open was not personal. */
export type GenericWhy = 'anonymous' | 'unsigned' | 'suppressed' | 'no_profile';
export type FallbackWhy = 'store_slow' | 'photo_failed' | 'nothing_to_show' | 'error';

export interface OpenFact {
  blockId: string;
  version: number;
  messageId: string | undefined;
  /** A hero's arm (`holdout` included) or variant; `''` for a block with none. */
  variant: string;
  requester: RequesterClass;
  /** `personal`, `generic:<GenericWhy>` or `fallback:<FallbackWhy>`; resolved after the answer. */
  outcome: () => Promise<string>;
  /** The subscriber's canonical subject key, when there is one that may be counted. */
  subject: () => Promise<string | undefined>;
  at: number;
  /** Where the open's image can be shown again (a render key). */
  render?: string | undefined;
  /** What the open's image showed, for the gallery (absent for a kind that decides nothing). */
  decision?: Decision | undefined;
}

export interface ClickFact {
  blockId: string;
  version: number;
  messageId: string | undefined;
  variant: string;
  requester: RequesterClass;
  subject: () => Promise<string | undefined>;
  at: number;
  /** What the clicked image showed (the open record's decision), so the gallery counts the click under its render. */
  decision?: Decision | undefined;
}

export interface OrderFact {
  subjectKey: string;
  orderId: string | undefined;
  messageId: string;
  revenue: number;
  currency: string;
  at: number;
}
