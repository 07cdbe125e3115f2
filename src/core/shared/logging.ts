/**
 * Log levels shared by the Node and Workers loggers: standard names, a
 * threshold from LOG_LEVEL, and the level of a request line (a request that
 * failed on our side is an error, so it reaches stderr and alerting).
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function atLeast(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

/** 5xx is ours to fix: error; everything else, 4xx included (the caller's to fix), is info. */
export function requestLevel(status: unknown): LogLevel {
  return typeof status === 'number' && status >= 500 ? 'error' : 'info';
}

/** Errors and warnings go to stderr, the rest to stdout. */
export function isProblem(level: LogLevel): boolean {
  return level === 'warn' || level === 'error';
}

/**
 * Whether a request line is written, when only `percent` of image opens
 * answered from the render cache are (OPENTIME_REQUEST_LOG_PERCENT): at a
 * send's rate those lines are most of a log's volume and a write for every
 * open, and they say the same thing. Every other line (misses, fallbacks,
 * errors, other routes) is always written.
 */
export function requestLogged(fields: { status?: unknown; cache?: unknown }, percent: number, random: () => number = Math.random): boolean {
  if (percent >= 100 || fields.cache !== 'hit' || typeof fields.status !== 'number' || fields.status >= 400) return true;
  return random() * 100 < percent;
}
