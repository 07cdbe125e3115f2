/**
 * One error type for the whole app. `code` is a stable machine code that API
 * callers and logs can match on; each code owns the HTTP status an API route
 * answers with, in ERROR_STATUS, so one failure is never a 500 in one place
 * and a 502 in another. Image routes never surface these: they answer with a
 * fallback image and name the code in `x-opentime-error`.
 */
export type ErrorCode =
  | 'INVALID_JSON'
  | 'VALIDATION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'CSRF_TOKEN_MISSING'
  | 'ORIGIN_NOT_ALLOWED'
  | 'ALIAS_NEEDS_WRITE_KEY'
  | 'EMAIL_LINK_NEEDS_WRITE_KEY'
  | 'USER_HASH_INVALID'
  | 'TOO_MANY_LINKS'
  | 'TOO_MANY_LINKS_PER_SUBJECT'
  | 'WEBHOOK_BAD_SIGNATURE'
  | 'NOT_FOUND'
  | 'BLOCK_NOT_FOUND'
  | 'PART_NOT_FOUND'
  | 'TEMPLATE_IN_USE'
  | 'EPISODE_WAITING'
  | 'STORE_UNAVAILABLE'
  | 'STORE_TIMEOUT'
  | 'IMAGE_FETCH_FAILED'
  | 'RENDER_FAILED'
  | 'CONFIG_INVALID'
  | 'INTERNAL';

/** The HTTP status of each code; the compiler proves every code has one. */
export const ERROR_STATUS = {
  INVALID_JSON: 400,
  VALIDATION_FAILED: 400,
  TOO_MANY_LINKS_PER_SUBJECT: 400,
  UNAUTHORIZED: 401,
  WEBHOOK_BAD_SIGNATURE: 401,
  /** A viewer key or session asked to change something. */
  FORBIDDEN: 403,
  /** A write with the Studio's session cookie but without its x-opentime-csrf header. */
  CSRF_TOKEN_MISSING: 403,
  ORIGIN_NOT_ALLOWED: 403,
  ALIAS_NEEDS_WRITE_KEY: 403,
  EMAIL_LINK_NEEDS_WRITE_KEY: 403,
  USER_HASH_INVALID: 403,
  NOT_FOUND: 404,
  BLOCK_NOT_FOUND: 404,
  /** `/i/<block>/<part>.png` names a part the block does not have (or a block that is one image). */
  PART_NOT_FOUND: 404,
  TEMPLATE_IN_USE: 409,
  EPISODE_WAITING: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_LINKS: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  RENDER_FAILED: 500,
  /** The instance's own settings are wrong: the operator's problem, never the caller's. */
  CONFIG_INVALID: 500,
  /** A photo or fallback image did not load: an upstream failure, wherever it is loaded. */
  IMAGE_FETCH_FAILED: 502,
  STORE_UNAVAILABLE: 503,
  STORE_TIMEOUT: 503,
} as const satisfies Record<ErrorCode, number>;

export interface AppErrorOptions {
  cause?: unknown;
  /** Extra, safe-to-show detail (for example every validation problem). */
  details?: unknown;
  /** Seconds a client should wait before retrying (503 and 429). */
  retryAfterSeconds?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** The code to report for any thrown value. */
export function errorCode(error: unknown): ErrorCode {
  return isAppError(error) ? error.code : 'INTERNAL';
}

/** A short description of any thrown value, with its causes, for logs. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  return parts.join(' <- ');
}
