import { Hono } from 'hono';
import { withBudget } from '../core/shared/budget.ts';
import { describeError } from '../core/shared/errors.ts';
import type { AppContext, AppEnv } from './context.ts';

const HEALTH_BUDGET_MS = 1000;

/**
 * Probes. `/livez` is the process (200 while it runs: restart it when this
 * fails); `/readyz` is whether to send it traffic (503 while the store does
 * not answer, and while draining at shutdown). They are apart because an
 * instance survives a store outage (opens get fallbacks, events get 503 and
 * are retried): a liveness probe on the store would restart every instance
 * during the outage. `/healthz` stays an alias of `/readyz` for existing
 * load balancers.
 */
export function healthRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/livez', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ ok: true });
  });
  routes.get('/readyz', ready);
  routes.get('/healthz', ready);
  return routes;
}

async function ready(c: AppContext): Promise<Response> {
  const { store, draining } = c.get('services').deps;
  c.header('Cache-Control', 'no-store');
  if (draining?.()) return c.json({ ok: false, store: store.name, draining: true }, 503);
  try {
    await withBudget(store.ping(), HEALTH_BUDGET_MS, 'store ping');
    return c.json({ ok: true, store: store.name });
  } catch (error) {
    return c.json({ ok: false, store: store.name, error: describeError(error) }, 503);
  }
}
