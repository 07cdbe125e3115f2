/**
 * One error type for the whole app. `code` is a stable machine code that API
 * callers and logs can match on; `status` is the HTTP status an API route
 * answers with. Image routes never surface these: they answer with a fallback
 * image and name the code in `x-opentime-error`.
 */
export type ErrorCode =
  | 'INVALID_JSON'
  | 'VALIDATION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAUTHORIZED'
  | 'ORIGIN_NOT_ALLOWED'
  | 'ALIAS_NEEDS_WRITE_KEY'
  | 'EMAIL_LINK_NEEDS_WRITE_KEY'
  | 'USER_HASH_INVALID'
  | 'TOO_MANY_LINKS'
  | 'TOO_MANY_LINKS_PER_SUBJECT'
  | 'WEBHOOK_BAD_SIGNATURE'
  | 'NOT_FOUND'
  | 'BLOCK_NOT_FOUND'
  | 'TEMPLATE_IN_USE'
  | 'STORE_UNAVAILABLE'
  | 'STORE_TIMEOUT'
  | 'IMAGE_FETCH_FAILED'
  | 'RENDER_FAILED'
  | 'INTERNAL';

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

  constructor(code: ErrorCode, status: number, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
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
