import { Hono } from 'hono';
import { z } from 'zod';
import { readJsonBody } from '../core/http/body.ts';
import { ESPS } from '../core/links/snippets.ts';
import { AppError } from '../core/shared/errors.ts';
import { parseOrThrow } from '../core/shared/validation.ts';
import { BLOCK_ID_PATTERN } from '../core/blocks/schema.ts';
import { requireAccess, type AppEnv } from './context.ts';

const LINKS_MAX_BYTES = 16 * 1024;

const linksSchema = z
  .object({
    block: z.string().regex(BLOCK_ID_PATTERN, 'expected a block id'),
    esp: z.enum(ESPS),
    /** Default: sliced where the block's kind slices (grids). */
    sliced: z.boolean().optional(),
    /** Default: OPENTIME_PUBLIC_URL, else this request's own origin. */
    base_url: z
      .string()
      .max(500)
      .regex(/^https?:\/\/[^\s"'<>]+$/, 'expected an http(s) URL such as https://live.example.com')
      .refine((value) => URL.canParse(value), 'expected an http(s) URL such as https://live.example.com')
      .optional(),
  })
  .strict();

/**
 * `POST /v1/links` (admin): the HTML to paste into an ESP's template for a
 * block, sliced for grids, with every part's image and click URL
 * (docs/embedding.md). The Studio's embed panel, `opentime links` and the
 * demo page build the same HTML (src/core/links/embed.ts).
 */
export function linkRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.post('/v1/links', async (c) => {
    // It writes nothing: a viewer's Studio session may ask for the HTML too.
    await requireAccess(c, false);
    const { lookups, embeds, deps } = c.get('services');
    const body = parseOrThrow(linksSchema, await readJsonBody(c.req.raw, LINKS_MAX_BYTES, 'links'), 'links');
    const stored = await lookups.block(body.block);
    if (!stored) throw new AppError('BLOCK_NOT_FOUND', `no block ${JSON.stringify(body.block)}`, { details: [{ path: 'block', message: 'no such block' }] });
    const origin = body.base_url ?? deps.config.publicUrl ?? new URL(c.req.url).origin;
    return c.json(await embeds.embed(stored.config, { esp: body.esp, origin, sliced: body.sliced }));
  });
  return routes;
}
