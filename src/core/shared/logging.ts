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
