import type { BlockEmbeds } from '../core/links/block-embed.ts';
import type { Context } from 'hono';
import type { ClickService } from '../core/click/click.ts';
import type { Counters } from '../core/shared/counters.ts';
import type { ReportWriter } from '../core/reports/writer.ts';
import type { MetricsRegistry } from '../core/shared/metrics.ts';
import type { AppDeps } from '../core/deps.ts';
import { AppError, type ErrorCode } from '../core/shared/errors.ts';
import { bearerToken, matchesAny } from '../core/http/auth.ts';
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

/** The URL's other parameters, for hero rules (url-params.ts). */
export function ruleParams(c: AppContext): Record<string, string> {
  return paramsForRules(new URL(c.req.url).searchParams);
}
