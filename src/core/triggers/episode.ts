/**
 * An episode: one subscriber's run through one trigger, from the event that
 * started it to its send (or its cancellation). It lives in the store with
 * its due time; at most one is open per (trigger, subscriber).
 */
export interface Episode {
  /** Unique; also the idempotency key of its send (Klaviyo's unique_id, the webhook-id, …). */
  id: string;
  triggerId: string;
  /** The canonical subject key (`u:…`). */
  subjectKey: string;
  startedAt: number;
  dueAt: number;
  /** Failed sends so far (the next retry's backoff grows with it). */
  attempts: number;
  /** The due time was already moved for quiet hours or the usual open hour: it is not moved again. */
  timed?: boolean;
  /** Replayed from the dead-letter list by an admin: sent without checking `when` and the cap again. */
  replayed?: boolean;
  /** The public origin known when it started, for block URLs where the sender knows none (a Worker's alarm without OPENTIME_PUBLIC_URL). */
  origin?: string;
  /** What started it: the event and its product, query or price change (the payload's `facts`). */
  facts: EpisodeFacts;
}

export interface EpisodeFacts {
  event: string;
  product_id?: string;
  category?: string;
  query?: string;
  old_price?: number;
  new_price?: number;
}

/** A send that failed for good, kept until an admin replays or deletes it. */
export interface DeadLetter {
  id: string;
  episode: Episode;
  failedAt: number;
  /** The ESP's status, if it answered. */
  status?: number;
  error: string;
}

/** What was sent (or, in dry-run mode, would have been), for the cap and for GET /v1/triggers/:id/sends. */
export interface SendRecord {
  episodeId: string;
  triggerId: string;
  subjectKey: string;
  at: number;
  dryRun: boolean;
  destination: string;
  /** The request as sent, without its credentials. */
  request: { method: string; url: string; headers: Record<string, string>; body: unknown };
}

/** A subscriber's latest interest in a product (a view or a cart add), for catalog moments. */
export interface Interest {
  productId: string;
  subjectKey: string;
  kind: 'viewed' | 'carted';
  at: number;
}

/** Per-trigger sends kept for GET /v1/triggers/:id/sends; the cap reads the per-subscriber ones. */
export const RECENT_SENDS_KEPT = 100;
/** Sends remembered per (trigger, subscriber) for the cap: more than the largest cap. */
export const SENDS_PER_SUBJECT_KEPT = 100;
/** Subscribers remembered per product for catalog moments, the most recent first. */
export const INTEREST_PER_PRODUCT_KEPT = 1000;
/** Dead letters kept; past it the oldest are dropped (and counted). */
export const DEAD_LETTERS_KEPT = 10_000;

/** The key an open episode is found by. */
export const episodeSlot = (triggerId: string, subjectKey: string) => `${triggerId}\n${subjectKey}`;
