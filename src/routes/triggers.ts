import { Hono, type MiddlewareHandler } from 'hono';
import { AppError } from '../core/shared/errors.ts';
import { readJsonBody } from '../core/http/body.ts';
import { describeProblems, parseOrThrow, type Problem } from '../core/shared/validation.ts';
import { TRIGGER_ID_PATTERN, triggerSchema, type StoredTrigger } from '../core/triggers/schema.ts';
import type { TriggerEngine } from '../core/triggers/engine.ts';
import { requireAccess, type AppContext, type AppEnv } from './context.ts';

/**
 * The admin API of behavioural triggers: the definitions
 * (`PUT/GET/DELETE /v1/triggers/:id`, `GET /v1/triggers`), each one's report
 * and recent sends (dry runs included), and the dead letters with their
 * replay. Every route needs the admin key.
 */
const TRIGGER_MAX_BYTES = 64 * 1024;
/** A path of its own under /v1/triggers, so no trigger may take its name. */
const DEAD_LETTERS = 'dead-letters';
const MAX_LIST = 500;

function engineOf(c: AppContext): TriggerEngine {
  const engine = c.get('services').triggers;
  if (!engine) throw new AppError('NOT_FOUND', 'triggers are not configured on this instance');
  return engine;
}

function limitOf(c: AppContext, fallback: number): number {
  const raw = c.req.query('limit');
  if (raw === undefined) return fallback;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST) {
    throw new AppError('VALIDATION_FAILED', `invalid query: limit: expected a whole number from 1 to ${MAX_LIST}`, {
      details: [{ path: 'limit', message: `expected a whole number from 1 to ${MAX_LIST}` }],
    });
  }
  return limit;
}

const described = (stored: StoredTrigger) => ({ ...stored.config, version: stored.version, updatedAt: new Date(stored.updatedAt).toISOString() });

/** The trigger's counters as a report: how many episodes started, were cancelled (and why), fired, were sent or failed. */
export function triggerReport(id: string, counters: Record<string, number>) {
  const prefix = `trigger.${id}.`;
  const own = (name: string) => counters[prefix + name] ?? 0;
  const reasons: Record<string, number> = {};
  const revenue: Record<string, number> = {};
  for (const [name, value] of Object.entries(counters)) {
    if (name.startsWith(`${prefix}cancelled.`)) reasons[name.slice(prefix.length + 'cancelled.'.length)] = value;
    if (name.startsWith(`${prefix}revenue_cents.`)) revenue[name.slice(prefix.length + 'revenue_cents.'.length)] = value / 100;
  }
  return {
    id,
    started: own('started'),
    cancelled: own('cancelled'),
    cancelled_by: reasons,
    fired: own('fired'),
    sent: own('sent'),
    dry_run: own('dry_run'),
    retried: own('retried'),
    failed: own('failed'),
    // Orders after a click in the trigger's email (`m=trg.<trigger>.…`), within the block's attribution window.
    conversions: own('conversions'),
    revenue,
  };
}

export function triggerRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  // The admin key or a Studio session; the viewer key reads only.
  const adminOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
    await requireAccess(c, c.req.method !== 'GET' && c.req.method !== 'HEAD');
    await next();
  };
  routes.use('/v1/triggers', adminOnly);
  routes.use('/v1/triggers/*', adminOnly);

  routes.get('/v1/triggers', async (c) => {
    const { deps } = c.get('services');
    engineOf(c);
    const [triggers, counters] = await Promise.all([deps.store.listTriggers(), deps.store.readCounters()]);
    return c.json({ triggers: triggers.map((t) => ({ ...described(t), report: triggerReport(t.config.id, counters) })) });
  });

  routes.get(`/v1/triggers/${DEAD_LETTERS}`, async (c) => {
    engineOf(c);
    const letters = await c.get('services').deps.store.listDeadLetters(limitOf(c, 100));
    return c.json({ dead_letters: letters.map((l) => ({ ...l, failedAt: new Date(l.failedAt).toISOString() })) });
  });

  /** Sends a dead letter's episode again, as it was; its idempotency key is the same, so an ESP that took it once drops it. */
  routes.post(`/v1/triggers/${DEAD_LETTERS}/:id/replay`, async (c) => {
    const engine = engineOf(c);
    const id = c.req.param('id');
    const outcome = await engine.replay(id, c.get('services').deps.clock.now());
    if (outcome === 'missing') throw new AppError('NOT_FOUND', `no dead letter with id ${JSON.stringify(id)}`);
    if (outcome === 'busy') throw new AppError('EPISODE_WAITING', 'that subscriber has an episode of this trigger waiting: replay it once that one is done');
    return c.json({ replayed: id });
  });

  routes.delete(`/v1/triggers/${DEAD_LETTERS}/:id`, async (c) => {
    engineOf(c);
    const id = c.req.param('id');
    if (!(await c.get('services').deps.store.takeDeadLetter(id))) throw new AppError('NOT_FOUND', `no dead letter with id ${JSON.stringify(id)}`);
    return c.json({ deleted: id });
  });

  routes.put('/v1/triggers/:id', async (c) => {
    const engine = engineOf(c);
    const { deps } = c.get('services');
    const id = c.req.param('id');
    if (!TRIGGER_ID_PATTERN.test(id) || id === DEAD_LETTERS) {
      throw new AppError('VALIDATION_FAILED', `invalid trigger id ${JSON.stringify(id)}: expected lowercase letters, digits, - and _ (at most 64), not "${DEAD_LETTERS}"`);
    }
    const body = await readJsonBody(c.req.raw, TRIGGER_MAX_BYTES, 'trigger');
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      const bodyId = (body as { id?: unknown }).id;
      if (bodyId !== undefined && bodyId !== id)
        throw new AppError('VALIDATION_FAILED', `invalid trigger: id: is ${JSON.stringify(bodyId)} but the URL says ${JSON.stringify(id)}`);
    }
    const config = parseOrThrow(triggerSchema, { ...(body as object), id }, 'trigger');
    const problems: Problem[] = [];
    const blocks = await Promise.all(config.blocks.map((block) => deps.store.getBlock(block)));
    blocks.forEach((found, i) => {
      if (!found) problems.push({ path: `blocks[${i}]`, message: `no block with id ${JSON.stringify(config.blocks[i])}` });
    });
    if (problems.length > 0) throw new AppError('VALIDATION_FAILED', `invalid trigger: ${describeProblems(problems)}`, { details: problems });
    const stored = await deps.store.putTrigger(config, deps.clock.now());
    engine.changed();
    return c.json({ id, version: stored.version, updatedAt: new Date(stored.updatedAt).toISOString() });
  });

  routes.get('/v1/triggers/:id', async (c) => {
    engineOf(c);
    const stored = await c.get('services').deps.store.getTrigger(c.req.param('id'));
    if (!stored) throw new AppError('NOT_FOUND', `no trigger with id ${JSON.stringify(c.req.param('id'))}`);
    return c.json(described(stored));
  });

  /** Removes a trigger: no episode starts; waiting ones are closed when they come due, unsent. */
  routes.delete('/v1/triggers/:id', async (c) => {
    const engine = engineOf(c);
    const id = c.req.param('id');
    if (!(await c.get('services').deps.store.deleteTrigger(id))) throw new AppError('NOT_FOUND', `no trigger with id ${JSON.stringify(id)}`);
    engine.changed();
    return c.json({ deleted: id });
  });

  routes.get('/v1/triggers/:id/report', async (c) => {
    engineOf(c);
    const { deps } = c.get('services');
    const id = c.req.param('id');
    if (!(await deps.store.getTrigger(id))) throw new AppError('NOT_FOUND', `no trigger with id ${JSON.stringify(id)}`);
    return c.json(triggerReport(id, await deps.store.readCounters()));
  });

  /** The last sends, newest first: what went to the ESP (without its key), or in dry-run mode what would have. */
  routes.get('/v1/triggers/:id/sends', async (c) => {
    engineOf(c);
    const sends = await c.get('services').deps.store.recentSends(c.req.param('id'), limitOf(c, 20));
    return c.json({ sends: sends.map((s) => ({ ...s, at: new Date(s.at).toISOString() })) });
  });

  return routes;
}
