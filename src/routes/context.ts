import type { BlockEmbeds } from '../core/links/block-embed.ts';
import type { Context } from 'hono';
import type { ClickService } from '../core/click/click.ts';
import type { Counters } from '../core/shared/counters.ts';
import type { ReportWriter } from '../core/reports/writer.ts';
import type { MetricsRegistry } from '../core/shared/metrics.ts';
import type { AppDeps } from '../core/deps.ts';
import { AppError, type ErrorCode } from '../core/shared/errors.ts';
import { bearerToken, matchesAny } from '../core/http/auth.ts';
import { CSRF_HEADER, readCookie, SESSION_COOKIE, type Role, type Sessions } from '../core/http/session.ts';
import { safeEqual } from '../core/shared/constant-time.ts';
import type { RateLimiter } from '../core/audience/rate-limit.ts';
import type { PreviewRun } from './preview-run.ts';
import { bounded, paramsForRules } from '../core/links/url-params.ts';
import type { Lookups } from '../core/content/lookups.ts';
import type { Audience } from '../core/audience/audience.ts';
import type { ContentChanges } from '../core/open/changes.ts';
import type { OpenPipeline } from '../core/open/pipeline.ts';
import type { RateDecision, RateLimits } from '../core/audience/rate-limit.ts';
import type { Renderer } from '../core/render/renderer.ts';
import type { Signer } from '../core/audience/signing.ts';
import type { SubjectKeyer } from '../core/audience/subjects.ts';
import type { TemplateEngine } from '../core/templates/liquid.ts';
import type { TemplateRegistry } from '../core/templates/registry.ts';
import type { TriggerEngine } from '../core/triggers/engine.ts';
import type { Optimizer } from '../core/optimize/optimizer.ts';

export interface Services {
  deps: AppDeps;
  lookups: Lookups;
  counters: Counters;
  /** This instance's figures for /metrics. */
  metrics: MetricsRegistry;
  /** Opens, clicks and orders into report aggregates (core/reports/), off the request path. */
  reports: ReportWriter;
  /** Who is asking, for opens, clicks and the pixel. */
  audience: Audience;
  opens: OpenPipeline;
  clicks: ClickService;
  /** What follows a catalog or block change (caches, drawing ahead). */
  changes: ContentChanges;
  keyer: SubjectKeyer;
  signer: Signer;
  renderer: Renderer;
  templates: TemplateRegistry;
  engine: TemplateEngine;
  limits: RateLimits;
  /** Studio sign-ins (stateless, signed cookies). */
  sessions: Sessions;
  /** Wrong keys at sign-in, per instance. */
  /** Studio sign-in allowances: per address, and in all. */
  signIns: { perAddress: RateLimiter; inAll: RateLimiter };
  /** The same app with writing switched off, for previews (src/routes/preview.ts); absent in a preview app itself. */
  preview?: () => PreviewRun;
  /** The ESP snippets of blocks, sliced for grids (POST /v1/links, the CLI, the demo page). */
  embeds: BlockEmbeds;
  /** The allocations of optimised hero splits, kept on this instance. */
  optimizer: Optimizer;
  /** Behavioural triggers; undefined when the config has no trigger settings. */
  triggers?: TriggerEngine;
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

/** The bearer admin key alone (routes that a session must not reach, and code that cannot wait). */
export function requireAdmin(c: AppContext): void {
  const { config } = c.get('services').deps;
  if (!matchesAny(bearerToken(c.req.header('authorization')), config.adminKeys)) {
    throw new AppError('UNAUTHORIZED', 'admin routes need Authorization: Bearer <OPENTIME_ADMIN_KEY>');
  }
}

/**
 * Who may use an admin route: the bearer admin key, a bearer viewer key
 * (reads only), or a Studio session cookie (writes also need its CSRF
 * token in x-opentime-csrf). `write` is false for routes that change
 * nothing, such as a preview of a draft.
 */
export async function requireAccess(c: AppContext, write: boolean): Promise<Role> {
  const { deps, sessions } = c.get('services');
  const { config } = deps;
  const bearer = bearerToken(c.req.header('authorization'));
  let role: Role | undefined;
  if (bearer !== undefined) {
    if (matchesAny(bearer, config.adminKeys)) role = 'admin';
    else if (matchesAny(bearer, config.viewerKeys ?? [])) role = 'viewer';
  } else {
    const cookie = readCookie(c.req.header('cookie'), SESSION_COOKIE);
    const session = cookie ? await sessions.verify(cookie, deps.clock.now()) : undefined;
    if (session) {
      if (write && !safeEqual(c.req.header(CSRF_HEADER) ?? '', session.csrf)) {
        throw new AppError('CSRF_TOKEN_MISSING', `a write with the Studio's session needs its ${CSRF_HEADER} header (GET /v1/session returns it)`);
      }
      role = session.role;
    }
  }
  if (!role) throw new AppError('UNAUTHORIZED', 'admin routes need Authorization: Bearer <OPENTIME_ADMIN_KEY>, or a Studio session (POST /v1/session)');
  if (write && role !== 'admin') throw new AppError('FORBIDDEN', 'a viewer key can read but not change anything');
  return role;
}

/** Query values are bounded: an over-long id is not an id. */
export function boundedQuery(c: AppContext, name: string, maxChars: number): string | undefined {
  return bounded(c.req.query(name), maxChars);
}

/** The URL's other parameters, for hero rules (url-params.ts). */
export function ruleParams(c: AppContext): Record<string, string> {
  return paramsForRules(new URL(c.req.url).searchParams);
}
