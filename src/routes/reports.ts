import { Hono } from 'hono';
import { BLOCK_ID_PATTERN } from '../core/blocks/schema.ts';
import { MESSAGE_PARAM_MAX_CHARS } from '../core/links/url-params.ts';
import { DAY_MS, HOUR_MS, type ReportUnit } from '../core/reports/cells.ts';
import { reportCsv } from '../core/reports/csv.ts';
import { buildReport, type ReportQuery } from '../core/reports/report.ts';
import { RENDER_ID_PATTERN } from '../core/reports/gallery.ts';
import type { Decision } from '../core/decide/decide.ts';
import { imageContentType } from '../core/render/image-format.ts';
import { IMAGE_HEADERS } from './image-answer.ts';
import { AppError } from '../core/shared/errors.ts';
import type { Problem } from '../core/shared/validation.ts';
import { requireAccess, type AppContext, type AppEnv } from './context.ts';

/** A report spans at most this many buckets: 7 days by hour (each hour's people are a set of their own), 400 by day. */
const MAX_BUCKETS: Record<ReportUnit, number> = { hour: 7 * 24, day: 400 };
/** Without `from`: the last 30 days by day, the last 48 hours by hour. */
const DEFAULT_SPAN: Record<ReportUnit, number> = { hour: 48 * HOUR_MS, day: 30 * DAY_MS };

/** An ISO 8601 time or epoch milliseconds. */
function timeParam(value: string, path: string, problems: Problem[]): number | undefined {
  const number = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (value.length > 40 || !Number.isFinite(number)) {
    problems.push({ path, message: 'expected an ISO 8601 time such as 2026-06-01T00:00:00Z, or epoch milliseconds' });
    return undefined;
  }
  return number;
}

/** `from`, `to`, `by` and `message` from the query string; every problem at once, by path. */
export function reportQuery(c: AppContext, scope: { block?: string; message?: string }): ReportQuery {
  const problems: Problem[] = [];
  const byParam = c.req.query('by') ?? 'day';
  if (byParam !== 'hour' && byParam !== 'day') problems.push({ path: 'query.by', message: 'expected one of hour, day' });
  const by: ReportUnit = byParam === 'hour' ? 'hour' : 'day';
  const now = c.get('services').deps.clock.now();
  const toParam = c.req.query('to');
  const fromParam = c.req.query('from');
  const to = toParam === undefined ? now : (timeParam(toParam, 'query.to', problems) ?? now);
  const from = fromParam === undefined ? to - DEFAULT_SPAN[by] : (timeParam(fromParam, 'query.from', problems) ?? to);
  if (from > to) problems.push({ path: 'query.from', message: 'must not be after query.to' });
  const size = by === 'hour' ? HOUR_MS : DAY_MS;
  if ((to - from) / size > MAX_BUCKETS[by]) problems.push({ path: 'query.from', message: `a report by ${by} spans at most ${MAX_BUCKETS[by]} ${by}s` });
  const message = c.req.query('message');
  if (message !== undefined && (message === '' || message.length > MESSAGE_PARAM_MAX_CHARS)) {
    problems.push({ path: 'query.message', message: `expected a message id (m=) of 1 to ${MESSAGE_PARAM_MAX_CHARS} characters` });
  }
  if (problems.length > 0) {
    throw new AppError('VALIDATION_FAILED', `invalid report query: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { details: problems });
  }
  const query: ReportQuery = { from, to, by };
  if (scope.block !== undefined) query.block = scope.block;
  const messageId = scope.message ?? message;
  if (messageId !== undefined) query.message = messageId;
  return query;
}

/** JSON, or CSV for `Accept: text/csv`. */
async function answer(c: AppContext, query: ReportQuery, name: string): Promise<Response> {
  const report = await buildReport(c.get('services').deps.store, query);
  if (/\btext\/csv\b/i.test(c.req.header('accept') ?? '')) {
    return c.body(reportCsv(report), 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}.csv"`, 'Cache-Control': 'no-store' });
  }
  return c.json(report, 200, { 'Cache-Control': 'no-store' });
}

/** Reports of a block and of a send (docs/reports.md), behind the admin key. */
export function reportRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/v1/reports/blocks/:id', async (c) => {
    // A report changes nothing: the admin or viewer key, or a Studio session.
    await requireAccess(c, false);
    const id = c.req.param('id');
    if (!BLOCK_ID_PATTERN.test(id))
      throw new AppError('VALIDATION_FAILED', `invalid block id ${JSON.stringify(id.slice(0, 80))}: expected lowercase letters, digits, - and _ (at most 64)`);
    return answer(c, reportQuery(c, { block: id }), `report-${id}`);
  });
  // A gallery entry drawn again from the decision it keeps, by the preview app: nothing is written, nothing counts as an open.
  routes.get('/v1/reports/blocks/:id/gallery/:file', async (c) => {
    await requireAccess(c, false);
    const id = c.req.param('id');
    const render = c.req.param('file').replace(/\.png$/, '');
    if (!BLOCK_ID_PATTERN.test(id) || !RENDER_ID_PATTERN.test(render) || !c.req.param('file').endsWith('.png'))
      throw new AppError('VALIDATION_FAILED', 'invalid gallery image: expected /v1/reports/blocks/<block id>/gallery/<render: 16 hex digits>.png');
    const { deps, preview } = c.get('services');
    const row = (await deps.store.readGallery(id)).find((entry) => entry.render === render);
    if (!row) throw new AppError('NOT_FOUND', `block ${JSON.stringify(id)} keeps no render ${render} in its gallery`);
    const stored = await deps.store.getBlock(id);
    if (!stored) throw new AppError('BLOCK_NOT_FOUND', `no block with id ${JSON.stringify(id)}`);
    if (!preview) throw new AppError('NOT_FOUND', 'gallery images are not drawn by a preview app');
    const image = await preview().open(
      { at: deps.clock.now(), block: stored },
      { blockId: id, format: 'png', requester: 'person', machine: false, signed: true, params: {}, shown: JSON.parse(row.decision) as Decision },
    );
    const headers: Record<string, string> = { ...IMAGE_HEADERS, 'Content-Type': imageContentType(image.bytes) };
    if (image.fallback) headers['x-opentime-fallback'] = image.fallback;
    return new Response(image.bytes as BodyInit, { headers });
  });

  /** Recomputes the allocations of a hero's optimised splits now, instead of at their next `every_minutes`. */
  routes.post('/v1/reports/blocks/:id/allocations', async (c) => {
    await requireAccess(c, true);
    const id = c.req.param('id');
    const stored = BLOCK_ID_PATTERN.test(id) ? await c.get('services').deps.store.getBlock(id) : undefined;
    if (!stored) throw new AppError('BLOCK_NOT_FOUND', `no block with id ${JSON.stringify(id.slice(0, 80))}`);
    const block = stored.config;
    if (block.kind !== 'hero' || !block.variants.some((entry) => 'split' in entry && entry.split.optimize)) {
      throw new AppError('VALIDATION_FAILED', `block ${JSON.stringify(id)} has no split with "optimize"`, {
        details: [{ path: 'variants', message: 'expected a hero with a split entry that has "optimize"' }],
      });
    }
    const allocations = await c.get('services').optimizer.refreshNow(block);
    return c.json({ allocations: [...allocations].map(([entry, a]) => ({ entry, shares: { ...a.arms, holdout: a.holdout } })) }, 200, { 'Cache-Control': 'no-store' });
  });
  routes.get('/v1/reports/messages/:message', async (c) => {
    // A report changes nothing: the admin or viewer key, or a Studio session.
    await requireAccess(c, false);
    const message = c.req.param('message');
    if (message.length > MESSAGE_PARAM_MAX_CHARS) throw new AppError('VALIDATION_FAILED', `invalid message id: at most ${MESSAGE_PARAM_MAX_CHARS} characters`);
    return answer(c, reportQuery(c, { message }), 'report-message');
  });
  return routes;
}
