import { Hono } from 'hono';
import { requireAdmin, type AppEnv } from './context.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** `GET /metrics`: this instance's figures in Prometheus' text format, behind the admin key (OPENTIME_METRICS_PORT serves them without one, on Node). */
export function metricsRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/metrics', (c) => {
    requireAdmin(c);
    return c.body(c.get('services').metrics.text(), 200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' });
  });
  return routes;
}
