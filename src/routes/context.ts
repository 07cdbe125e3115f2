import type { Context } from 'hono';
import type { ClickService } from '../core/clicks.ts';
import type { Counters } from '../core/counters.ts';
import type { AppDeps } from '../core/deps.ts';
import { AppError, type ErrorCode } from '../core/errors.ts';
import { bearerToken, matchesAny } from '../core/http/auth.ts';
import type { Lookups } from '../core/lookups.ts';
import type { CountdownService } from '../core/countdown/service.ts';
import type { OpenService } from '../core/opens.ts';
import type { RateDecision, RateLimits } from '../core/rate-limit.ts';
import type { Renderer } from '../core/render/renderer.ts';
import type { Signer } from '../core/signing.ts';
import type { SubjectKeyer } from '../core/subjects.ts';
import type { TemplateEngine } from '../core/templates/liquid.ts';
import type { TemplateRegistry } from '../core/templates/registry.ts';

export interface Services {
  deps: AppDeps;
  lookups: Lookups;
  counters: Counters;
  opens: OpenService;
  countdowns: CountdownService;
  clicks: ClickService;
  keyer: SubjectKeyer;
  signer: Signer;
  renderer: Renderer;
  templates: TemplateRegistry;
  engine: TemplateEngine;
  limits: RateLimits;
}

export interface AppEnv {
  Variables: {
    services: Services;
    requestId: string;
    cacheOutcome?: string;
    blockId?: string;
    errorCode?: ErrorCode;
    /** The API key's rate limit for this request, for the X-RateLimit-* headers (routes/rate-limit.ts). */
    rateLimit?: RateDecision;
  };
}

export type AppContext = Context<AppEnv>;

export function requireAdmin(c: AppContext): void {
  const { config } = c.get('services').deps;
  if (!matchesAny(bearerToken(c.req.header('authorization')), config.adminKeys)) {
    throw new AppError('UNAUTHORIZED', 'admin routes need Authorization: Bearer <OPENTIME_ADMIN_KEY>');
  }
}

/** Query values are bounded: an over-long id is not an id. */
export function boundedQuery(c: AppContext, name: string, maxChars: number): string | undefined {
  return bounded(c.req.query(name), maxChars);
}

/** boundedQuery over query parameters already parsed. */
export function boundedParam(params: URLSearchParams, name: string, maxChars: number): string | undefined {
  return bounded(params.get(name) ?? undefined, maxChars);
}

function bounded(value: string | undefined, maxChars: number): string | undefined {
  return value === undefined || value === '' || value.length > maxChars ? undefined : value;
}

/** Opentime's own query parameters; the rest come from the ESP's merge tags and feed hero rules. */
const OWN_PARAMS = new Set(['u', 'm', 'slot', 'sig', 't', 'jwt', 'k']);
const MAX_RULE_PARAMS = 20;
const RULE_PARAM_MAX_CHARS = 200;

/** The URL's other parameters, bounded in number and length; longer values are left out, not cut. */
export function ruleParams(c: AppContext): Record<string, string> {
  return paramsForRules(new URL(c.req.url).searchParams);
}

/** ruleParams over query parameters already parsed. */
export function paramsForRules(query: URLSearchParams): Record<string, string> {
  const params: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of query) {
    if (OWN_PARAMS.has(name) || name.length > 64 || value.length > RULE_PARAM_MAX_CHARS || name in params) continue;
    if (++count > MAX_RULE_PARAMS) break;
    params[name] = value;
  }
  return params;
}
