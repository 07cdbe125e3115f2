import type { Context } from 'hono';
import type { ClickService } from '../core/clicks.ts';
import type { Counters } from '../core/counters.ts';
import type { AppDeps } from '../core/deps.ts';
import { AppError, type ErrorCode } from '../core/errors.ts';
import { bearerToken, matchesAny } from '../core/http/auth.ts';
import type { Lookups } from '../core/lookups.ts';
import type { OpenService } from '../core/opens.ts';
import type { Renderer } from '../core/render/renderer.ts';
import type { SubjectKeyer } from '../core/subjects.ts';
import type { TemplateEngine } from '../core/templates/liquid.ts';
import type { TemplateRegistry } from '../core/templates/registry.ts';

export interface Services {
  deps: AppDeps;
  lookups: Lookups;
  counters: Counters;
  opens: OpenService;
  clicks: ClickService;
  keyer: SubjectKeyer;
  renderer: Renderer;
  templates: TemplateRegistry;
  engine: TemplateEngine;
}

export interface AppEnv {
  Variables: {
    services: Services;
    requestId: string;
    cacheOutcome?: string;
    blockId?: string;
    errorCode?: ErrorCode;
  };
}

export type AppContext = Context<AppEnv>;

export function requireAdmin(c: AppContext): void {
  const { config } = c.get('services').deps;
  if (!matchesAny(bearerToken(c.req.header('authorization')), config.adminKeys)) {
    throw new AppError('UNAUTHORIZED', 401, 'admin routes need Authorization: Bearer <OPENTIME_ADMIN_KEY>');
  }
}

/** Query values are bounded: an over-long id is not an id. */
export function boundedQuery(c: AppContext, name: string, maxChars: number): string | undefined {
  const value = c.req.query(name);
  if (value === undefined || value === '' || value.length > maxChars) return undefined;
  return value;
}
