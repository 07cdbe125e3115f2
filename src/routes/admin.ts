import { Hono, type MiddlewareHandler } from 'hono';
import { blockSchema, BLOCK_ID_PATTERN } from '../core/blocks/schema.ts';
import { catalogPage, pageQuery } from '../core/catalog/pages.ts';
import { parseCatalogUpsert } from '../core/catalog/product.ts';
import { AppError } from '../core/shared/errors.ts';
import { readJsonBody } from '../core/http/body.ts';
import { deleteSubject, suppress } from '../core/audience/privacy.ts';
import { readTextBody } from '../core/http/body.ts';
import { TEMPLATE_MAX_CHARS } from '../core/templates/liquid.ts';
import { BUILT_IN_TEMPLATES, TEMPLATE_NAME_PATTERN } from '../core/templates/registry.ts';
import { blockProblems } from '../core/kinds/registry.ts';
import { changedPaths } from '../core/blocks/history.ts';
import { templateProblems } from '../core/templates/validate.ts';
import { describeProblems, parseOrThrow } from '../core/shared/validation.ts';
import { z } from 'zod';
import { requireAccess, type AppEnv } from './context.ts';
import { putCatalog } from '../core/recommend/arrivals.ts';

/** Segment's suppression API takes up to 5000 ids per call; so do we. */
const suppressionsSchema = z
  .object({
    ids: z.array(z.string().min(1).max(256)).min(1).max(5000),
    /** Also delete what is kept about them (Segment's SUPPRESS_WITH_DELETE). */
    delete: z.boolean().default(false),
  })
  .strict();
const SUPPRESSIONS_MAX_BYTES = 2 * 1024 * 1024;
const rollbackSchema = z.object({ version: z.number().int().min(1) }).strict();
const idsSchema = z.object({ ids: z.array(z.string().min(1).max(256)).min(1).max(5000) }).strict();
const urlsSchema = z
  .object({
    urls: z
      .array(
        z
          .string()
          .regex(/^\/(i|c)\/[^?#]+(\?[^#]*)?$/, 'expected a path and query such as /i/block.png?u=1&m=2')
          .max(2048),
      )
      .min(1)
      .max(5000),
  })
  .strict();

/** A catalog upsert of 1000 products with long URLs fits comfortably. */
const CATALOG_MAX_BYTES = 4 * 1024 * 1024;
const BLOCK_MAX_BYTES = 256 * 1024;

export function adminRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const adminOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
    await requireAccess(c, c.req.method !== 'GET' && c.req.method !== 'HEAD');
    await next();
  };
  for (const path of [
    '/v1/catalog/*',
    '/v1/blocks',
    '/v1/blocks/*',
    '/v1/templates',
    '/v1/templates/*',
    '/v1/profiles/*',
    '/v1/stats',
    '/v1/subjects/*',
    '/v1/suppressions',
    '/v1/suppressions/*',
    '/v1/tokens',
    '/v1/sign',
  ]) {
    routes.use(path, adminOnly);
  }

  routes.put('/v1/catalog/products', async (c) => {
    const { deps, changes, triggers } = c.get('services');
    const body = await readJsonBody(c.req.raw, CATALOG_MAX_BYTES, 'catalog');
    const products = parseCatalogUpsert(body);
    // Price drops and restocks are judged against the products as they were.
    const before = triggers ? await deps.store.getProducts(products.map((p) => p.id)) : undefined;
    await putCatalog(deps.store, products, deps.clock.now());
    changes.catalogChanged(products);
    if (triggers && before) await triggers.catalogUpdated(before, products, deps.clock.now());
    return c.json({ upserted: products.length });
  });

  /** The catalog a page at a time, in id order: `?limit=` (1–1000, default 100) and `?cursor=` (the last page's next_cursor). */
  routes.get('/v1/catalog/products', async (c) => {
    const { deps } = c.get('services');
    return c.json(await catalogPage(deps.store, pageQuery(c.req.query('limit'), c.req.query('cursor'))));
  });

  /** Removes a product: blocks stop showing it at the next open; a click on an email that showed it still goes to its URL. */
  routes.delete('/v1/catalog/products/:id', async (c) => {
    const { deps, changes } = c.get('services');
    const id = c.req.param('id');
    if ((await deps.store.deleteProducts([id])) === 0) throw new AppError('NOT_FOUND', `no product with id ${JSON.stringify(id)}`);
    changes.productsDeleted([id]);
    return c.json({ deleted: id });
  });

  routes.get('/v1/catalog/products/:id', async (c) => {
    const { deps } = c.get('services');
    const product = (await deps.store.getProducts([c.req.param('id')])).get(c.req.param('id'));
    if (!product) throw new AppError('NOT_FOUND', `no product with id ${JSON.stringify(c.req.param('id'))}`);
    return c.json(product);
  });

  routes.put('/v1/blocks/:id', async (c) => {
    const { deps, changes } = c.get('services');
    const id = c.req.param('id');
    if (!BLOCK_ID_PATTERN.test(id)) {
      throw new AppError('VALIDATION_FAILED', `invalid block id ${JSON.stringify(id)}: expected lowercase letters, digits, - and _ (at most 64)`);
    }
    const body = await readJsonBody(c.req.raw, BLOCK_MAX_BYTES, 'block');
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      const bodyId = (body as { id?: unknown }).id;
      if (bodyId !== undefined && bodyId !== id) {
        throw new AppError('VALIDATION_FAILED', `invalid block: id: is ${JSON.stringify(bodyId)} but the URL says ${JSON.stringify(id)}`);
      }
    }
    const config = parseOrThrow(blockSchema, { ...(body as object), id }, 'block');
    const problems = await blockProblems(config, c.get('services').templates);
    if (problems.length > 0) throw new AppError('VALIDATION_FAILED', `invalid block: ${describeProblems(problems)}`, { details: problems });
    const stored = await deps.store.putBlock(config, deps.clock.now());
    changes.blockChanged(stored);
    return c.json({ id, version: stored.version, updatedAt: new Date(stored.updatedAt).toISOString() });
  });

  routes.get('/v1/blocks/:id', async (c) => {
    const stored = await c.get('services').deps.store.getBlock(c.req.param('id'));
    if (!stored) throw new AppError('BLOCK_NOT_FOUND', `no block with id ${JSON.stringify(c.req.param('id'))}`);
    return c.json({ ...stored.config, version: stored.version, updatedAt: new Date(stored.updatedAt).toISOString() });
  });

  /** Removes a block: its image becomes the generic blank image and its clicks go to OPENTIME_DEFAULT_CLICK_URL, as for any unknown block. */
  routes.delete('/v1/blocks/:id', async (c) => {
    const { deps, changes } = c.get('services');
    const id = c.req.param('id');
    if (!(await deps.store.deleteBlock(id))) throw new AppError('BLOCK_NOT_FOUND', `no block with id ${JSON.stringify(id)}`);
    changes.blockDeleted(id);
    return c.json({ deleted: id });
  });

  /** The kept versions of a block, newest first, each with the paths it changed from the one before. */
  routes.get('/v1/blocks/:id/versions', async (c) => {
    const { deps } = c.get('services');
    const id = c.req.param('id');
    const versions = await deps.store.listBlockVersions(id);
    if (versions.length === 0 && !(await deps.store.getBlock(id))) throw new AppError('BLOCK_NOT_FOUND', `no block with id ${JSON.stringify(id)}`);
    return c.json({
      block: id,
      versions: versions.map((v, i) => {
        const previous = versions[i + 1];
        return {
          version: v.version,
          updatedAt: new Date(v.updatedAt).toISOString(),
          changes: previous ? changedPaths(previous.config, v.config) : [],
        };
      }),
    });
  });

  routes.get('/v1/blocks/:id/versions/:version', async (c) => {
    const { deps } = c.get('services');
    const version = Number(c.req.param('version'));
    const stored = Number.isInteger(version) && version > 0 ? await deps.store.getBlockVersion(c.req.param('id'), version) : undefined;
    if (!stored) throw new AppError('NOT_FOUND', `no version ${JSON.stringify(c.req.param('version'))} of block ${JSON.stringify(c.req.param('id'))} is kept`);
    return c.json({ ...stored.config, version: stored.version, updatedAt: new Date(stored.updatedAt).toISOString() });
  });

  /** Puts an earlier version back as a new version (history only grows), checked as any put is. */
  routes.post('/v1/blocks/:id/rollback', async (c) => {
    const { deps, changes, templates } = c.get('services');
    const id = c.req.param('id');
    const { version } = parseOrThrow(rollbackSchema, await readJsonBody(c.req.raw, 1024, 'rollback'), 'rollback');
    const old = await deps.store.getBlockVersion(id, version);
    if (!old) throw new AppError('NOT_FOUND', `no version ${version} of block ${JSON.stringify(id)} is kept`, { details: [{ path: 'version', message: 'not kept' }] });
    const problems = await blockProblems(old.config, templates);
    if (problems.length > 0) throw new AppError('VALIDATION_FAILED', `version ${version} no longer passes the checks: ${describeProblems(problems)}`, { details: problems });
    const stored = await deps.store.putBlock(old.config, deps.clock.now());
    changes.blockChanged(stored);
    return c.json({ id, version: stored.version, restored: version, updatedAt: new Date(stored.updatedAt).toISOString() });
  });

  routes.get('/v1/blocks', async (c) => {
    const blocks = await c.get('services').deps.store.listBlocks();
    return c.json({ blocks: blocks.map((b) => ({ id: b.config.id, kind: b.config.kind, version: b.version, updatedAt: new Date(b.updatedAt).toISOString() })) });
  });

  /** Templates are HTML with Liquid; the body is the template itself (any content type). */
  routes.put('/v1/templates/:name', async (c) => {
    const { deps, templates, engine } = c.get('services');
    const name = c.req.param('name');
    if (!TEMPLATE_NAME_PATTERN.test(name)) {
      throw new AppError('VALIDATION_FAILED', `invalid template name ${JSON.stringify(name)}: expected lowercase letters, digits, - and _ (at most 64)`);
    }
    const source = await readTextBody(c.req.raw, TEMPLATE_MAX_CHARS, 'template');
    const problems = await templateProblems(engine, source);
    if (problems.length > 0) throw new AppError('VALIDATION_FAILED', `invalid template: ${describeProblems(problems)}`, { details: problems });
    const stored = await deps.store.putTemplate(name, source, deps.clock.now());
    await templates.changed(stored);
    return c.json({ name, version: stored.version, updatedAt: new Date(stored.updatedAt).toISOString() });
  });

  routes.get('/v1/templates/:name', async (c) => {
    const template = await c.get('services').templates.get(c.req.param('name'));
    if (!template) throw new AppError('NOT_FOUND', `no template named ${JSON.stringify(c.req.param('name'))}`);
    return c.body(template.source, 200, { 'Content-Type': 'text/html; charset=utf-8', 'x-opentime-template': template.origin });
  });

  /**
   * Removes a stored template. A block drawn by it would have nothing to draw
   * with, so that is refused (409, naming the blocks) unless a template of
   * that name ships with opentime: then the blocks fall back to it.
   */
  routes.delete('/v1/templates/:name', async (c) => {
    const { deps, templates } = c.get('services');
    const name = c.req.param('name');
    const builtIn = (BUILT_IN_TEMPLATES as readonly string[]).includes(name);
    if (!(await deps.store.getTemplate(name))) {
      throw new AppError('NOT_FOUND', builtIn ? `template ${JSON.stringify(name)} is built in: there is no stored one to delete` : `no template named ${JSON.stringify(name)}`);
    }
    if (!builtIn) {
      const users = (await deps.store.listBlocks()).filter((b) => 'template' in b.config && b.config.template === name).map((b) => b.config.id);
      if (users.length > 0) {
        throw new AppError(
          'TEMPLATE_IN_USE',
          `template ${JSON.stringify(name)} is used by block${users.length > 1 ? 's' : ''} ${users.map((id) => JSON.stringify(id)).join(', ')}: change or delete ${users.length > 1 ? 'them' : 'it'} first`,
          {
            details: users.map((id) => ({ path: `blocks.${id}.template`, message: `uses ${JSON.stringify(name)}` })),
          },
        );
      }
    }
    if (!(await deps.store.deleteTemplate(name))) throw new AppError('NOT_FOUND', `no template named ${JSON.stringify(name)}`);
    templates.deleted(name);
    return c.json({ deleted: name, ...(builtIn ? { falls_back_to: 'built-in' } : {}) });
  });

  routes.get('/v1/templates', async (c) => {
    const stored = await c.get('services').deps.store.listTemplates();
    return c.json({ templates: stored.map((t) => ({ name: t.name, version: t.version, updatedAt: new Date(t.updatedAt).toISOString() })), builtIn: BUILT_IN_TEMPLATES });
  });

  routes.get('/v1/profiles/:id', async (c) => {
    const { deps, audience } = c.get('services');
    const key = await audience.subjectKey(c.req.param('id'));
    const profile = await deps.store.getProfile(key);
    if (!profile) throw new AppError('NOT_FOUND', 'no profile for that subscriber');
    return c.json({ key, profile });
  });

  /** Subscriber tokens to load into an ESP as a profile field (`t=`), with the key id to put in `k=`. */
  routes.post('/v1/tokens', async (c) => {
    const { signer } = c.get('services');
    const body = parseOrThrow(idsSchema, await readJsonBody(c.req.raw, SUPPRESSIONS_MAX_BYTES, 'tokens'), 'tokens');
    const tokens = await Promise.all(body.ids.map(async (id) => ({ id, token: await signer.token(id) })));
    return c.json({ k: signer.currentKeyId, tokens });
  });

  /** Signs URLs for senders that build each email themselves: `{"urls": ["/i/block.png?u=1&m=2", …]}`. */
  routes.post('/v1/sign', async (c) => {
    const { signer } = c.get('services');
    const body = parseOrThrow(urlsSchema, await readJsonBody(c.req.raw, SUPPRESSIONS_MAX_BYTES, 'sign'), 'sign');
    return c.json({ urls: await Promise.all(body.urls.map((url) => signer.signUrl(url))) });
  });

  routes.get('/v1/stats', async (c) => c.json({ counters: await c.get('services').counters.read() }));

  /** Deletes everything kept about a subscriber; `?suppress=1` also stops tracking them. */
  routes.delete('/v1/subjects/:id', async (c) => {
    const { deps, keyer } = c.get('services');
    const privacy = { store: deps.store, keyer, triggers: deps.store };
    const deleted = await deleteSubject(privacy, c.req.param('id'));
    const suppressed = ['1', 'true', 'yes'].includes(c.req.query('suppress') ?? '');
    if (suppressed) await suppress(privacy, [c.req.param('id')], 'admin', deps.clock.now());
    return c.json({ deleted, suppressed });
  });

  routes.post('/v1/suppressions', async (c) => {
    const { deps, keyer } = c.get('services');
    const body = parseOrThrow(suppressionsSchema, await readJsonBody(c.req.raw, SUPPRESSIONS_MAX_BYTES, 'suppressions'), 'suppressions');
    await suppress({ store: deps.store, keyer }, body.ids, 'admin', deps.clock.now());
    if (body.delete) for (const id of body.ids) await deleteSubject({ store: deps.store, keyer, triggers: deps.store }, id);
    return c.json({ suppressed: body.ids.length, deleted: body.delete });
  });

  routes.get('/v1/suppressions/:id', async (c) => {
    const { deps, keyer } = c.get('services');
    const key = await keyer.userKey(c.req.param('id'));
    const source = (await deps.store.getSuppressions([key])).get(key);
    return c.json({ suppressed: source !== undefined, ...(source ? { source } : {}) });
  });

  routes.delete('/v1/suppressions/:id', async (c) => {
    const { deps, keyer } = c.get('services');
    await suppress({ store: deps.store, keyer }, [c.req.param('id')], undefined, deps.clock.now());
    return c.json({ suppressed: false });
  });

  return routes;
}
