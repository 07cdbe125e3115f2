/** Segment's own limits, so that anything Segment accepts we accept too. */
export const EVENT_MAX_BYTES = 32 * 1024;
export const BATCH_MAX_BYTES = 500 * 1024;
/** Segment: messageId is at most 100 characters. */
export const MESSAGE_ID_MAX_CHARS = 100;
/** Ids are copied into store keys; longer ones are almost certainly a mistake. */
export const SUBJECT_ID_MAX_CHARS = 256;
export const EVENT_NAME_MAX_CHARS = 200;
/** Duplicate messageIds are ignored for at least this long (Segment looks back 24 h). */
export const DEDUPE_WINDOW_SECONDS = 24 * 60 * 60;
/**
 * Client clocks can be far off; a corrected timestamp more than this far in
 * the future is treated as "now" so that one bad device cannot pin a product
 * to the top of its recently-viewed list forever.
 */
export const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;
