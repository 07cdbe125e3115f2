import { Hono, type MiddlewareHandler } from 'hono';
import { blockSchema, BLOCK_ID_PATTERN } from '../core/blocks/schema.ts';
import { catalogUpsertSchema } from '../core/catalog/product.ts';
import { AppError } from '../core/errors.ts';
import { readJsonBody } from '../core/http/body.ts';
import { parseOrThrow } from '../core/validation.ts';
import { requireAdmin, type AppEnv } from './context.ts';

/** A catalog upsert of 1000 products with long URLs fits comfortably. */
const CATALOG_MAX_BYTES = 4 * 1024 * 1024;
const BLOCK_MAX_BYTES = 256 * 1024;

export function adminRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const adminOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
    requireAdmin(c);
    await next();
  };
  for (const path of ['/v1/catalog/*', '/v1/blocks', '/v1/blocks/*', '/v1/profiles/*', '/v1/stats']) routes.use(path, adminOnly);

  routes.put('/v1/catalog/products', async (c) => {
    const { deps, lookups } = c.get('services');
    const body = await readJsonBody(c.req.raw, CATALOG_MAX_BYTES, 'catalog');
    const parsed = parseOrThrow(catalogUpsertSchema, body, 'catalog');
    const products = Array.isArray(parsed) ? parsed : parsed.products;
    await deps.store.putProducts(products, deps.clock.now());
    lookups.productsChanged(products);
    return c.json({ upserted: products.length });
  });

  routes.get('/v1/catalog/products/:id', async (c) => {
    const { deps } = c.get('services');
    const product = (await deps.store.getProducts([c.req.param('id')])).get(c.req.param('id'));
    if (!product) throw new AppError('NOT_FOUND', 404, `no product with id ${JSON.stringify(c.req.param('id'))}`);
    return c.json(product);
  });

  routes.put('/v1/blocks/:id', async (c) => {
    const { deps, lookups } = c.get('services');
    const id = c.req.param('id');
    if (!BLOCK_ID_PATTERN.test(id)) {
      throw new AppError('VALIDATION_FAILED', 400, `invalid block id ${JSON.stringify(id)}: expected lowercase letters, digits, - and _ (at most 64)`);
    }
    const body = await readJsonBody(c.req.raw, BLOCK_MAX_BYTES, 'block');
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      const bodyId = (body as { id?: unknown }).id;
      if (bodyId !== undefined && bodyId !== id) {
        throw new AppError('VALIDATION_FAILED', 400, `invalid block: id: is ${JSON.stringify(bodyId)} but the URL says ${JSON.stringify(id)}`);
      }
    }
    const config = parseOrThrow(blockSchema, { ...(body as object), id }, 'block');
    const stored = await deps.store.putBlock(config, deps.clock.now());
    lookups.blockChanged(stored);
    return c.json({ id, version: stored.version, updatedAt: new Date(stored.updatedAt).toISOString() });
  });

  routes.get('/v1/blocks/:id', async (c) => {
    const stored = await c.get('services').deps.store.getBlock(c.req.param('id'));
    if (!stored) throw new AppError('BLOCK_NOT_FOUND', 404, `no block with id ${JSON.stringify(c.req.param('id'))}`);
    return c.json({ ...stored.config, version: stored.version, updatedAt: new Date(stored.updatedAt).toISOString() });
  });

  routes.get('/v1/blocks', async (c) => {
    const blocks = await c.get('services').deps.store.listBlocks();
    return c.json({ blocks: blocks.map((b) => ({ id: b.config.id, version: b.version, updatedAt: new Date(b.updatedAt).toISOString() })) });
  });

  routes.get('/v1/profiles/:id', async (c) => {
    const { deps, opens } = c.get('services');
    const key = await opens.subjectKey(c.req.param('id'));
    const profile = await deps.store.getProfile(key);
    if (!profile) throw new AppError('NOT_FOUND', 404, 'no profile for that subscriber');
    return c.json({ key, profile });
  });

  routes.get('/v1/stats', async (c) => c.json({ counters: await c.get('services').counters.read() }));

  return routes;
}
