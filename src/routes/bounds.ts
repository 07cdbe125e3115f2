import type { MiddlewareHandler } from 'hono';
import { SUBJECT_ID_MAX_CHARS } from '../core/events/limits.ts';
import { AppError } from '../core/shared/errors.ts';
import type { AppEnv } from './context.ts';

/**
 * Ids in API paths (`/v1/profiles/:id`, `/v1/subjects/:id`,
 * `/v1/suppressions/:id`, `/v1/catalog/products/:id`, `/v1/blocks/:id`, …)
 * are at most 256 characters, as in the bodies that create them: a longer
 * one cannot name anything stored, and is refused before it becomes a store
 * key. Query values and bodies have their own bounds where they are read.
 */
export function boundedPathIds(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    for (const segment of c.req.path.split('/')) {
      if (segment.length <= SUBJECT_ID_MAX_CHARS) continue;
      // Percent-encoding makes one character up to 12; the decoded id is what is bounded.
      let decoded = segment;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        // Not valid percent-encoding: measured as it came.
      }
      if (decoded.length > SUBJECT_ID_MAX_CHARS) {
        throw new AppError('VALIDATION_FAILED', `a path segment is ${decoded.length} characters; ids are at most ${SUBJECT_ID_MAX_CHARS}`);
      }
    }
    await next();
  };
}
