import { Hono } from 'hono';
import { withBudget } from '../core/budget.ts';
import { describeError } from '../core/errors.ts';
import type { AppEnv } from './context.ts';

const HEALTH_BUDGET_MS = 1000;

/** For load balancers: 200 while the store answers, 503 when it does not. */
export function healthRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/healthz', async (c) => {
    const { store } = c.get('services').deps;
    c.header('Cache-Control', 'no-store');
    try {
      await withBudget(store.ping(), HEALTH_BUDGET_MS, 'store ping');
      return c.json({ ok: true, store: store.name });
    } catch (error) {
      return c.json({ ok: false, store: store.name, error: describeError(error) }, 503);
    }
  });
  return routes;
}
