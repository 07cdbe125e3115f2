import { Hono } from 'hono';
import { classifyOpen, isPerson, type RequesterClass } from '../core/audience/requester.ts';
import { BLOCK_ID_PATTERN, blockSchema, type BlockConfig } from '../core/blocks/schema.ts';
import { isHero, type Decision } from '../core/decide/decide.ts';
import { findVariant } from '../core/decide/hero.ts';
import { readJsonBody, readTextBody } from '../core/http/body.ts';
import type { StoredTemplate } from '../core/ports.ts';
import { TEMPLATE_MAX_CHARS } from '../core/templates/liquid.ts';
import { TEMPLATE_NAME_PATTERN } from '../core/templates/registry.ts';
import { templateProblems } from '../core/templates/validate.ts';
import { blockProblems, kindOf } from '../core/kinds/registry.ts';
import { withParams } from '../core/links/click-url.ts';
import { imageContentType } from '../core/render/image-format.ts';
import { toBase64 } from '../core/shared/bytes.ts';
import { AppError } from '../core/shared/errors.ts';
import { describeProblems, parseOrThrow, type Problem } from '../core/shared/validation.ts';
import { IMAGE_HEADERS } from './image-answer.ts';
import { requireAccess, type AppContext, type AppEnv } from './context.ts';
import type { PreviewRun } from './preview-run.ts';

/**
 * Previews for the Studio: the block as one subscriber at one time on one
 * client, through the same open pipeline as a real open with writing
 * switched off (src/core/open/writes.ts previewWrites). `GET` previews the
 * stored block, `POST` a draft sent as the body (not stored). `.png` is the
 * image, `.json` what it showed and where each slot's click would go.
 */
export const PREVIEW_CLIENTS = {
  person: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)',
  apple: 'Mozilla/5.0',
  gmail: 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
  outlook: 'Mozilla/4.0 (compatible; ms-office; MSOffice 16)',
} as const;
export type PreviewClient = keyof typeof PREVIEW_CLIENTS;

const BLOCK_MAX_BYTES = 256 * 1024;
const QUERY_MAX_CHARS = 256;

interface PreviewQuestion {
  at: number;
  client: PreviewClient;
  subject: string | undefined;
  messageId: string | undefined;
  variant: string | undefined;
  params: Record<string, string>;
}

function question(c: AppContext): PreviewQuestion {
  const url = new URL(c.req.url);
  const q = url.searchParams;
  const atText = q.get('at');
  const at = atText ? Date.parse(atText) : c.get('services').deps.clock.now();
  if (Number.isNaN(at))
    throw new AppError('VALIDATION_FAILED', `invalid preview: at: ${JSON.stringify(atText?.slice(0, 40))} is not an ISO time`, {
      details: [{ path: 'at', message: 'expected an ISO time' }],
    });
  const client = (q.get('client') ?? 'person') as PreviewClient;
  if (!(client in PREVIEW_CLIENTS)) {
    throw new AppError('VALIDATION_FAILED', `invalid preview: client: expected one of ${Object.keys(PREVIEW_CLIENTS).join(', ')}`, {
      details: [{ path: 'client', message: `expected one of ${Object.keys(PREVIEW_CLIENTS).join(', ')}` }],
    });
  }
  const params: Record<string, string> = {};
  for (const [name, value] of q) if (!['u', 'm', 'at', 'client', 'variant', 'template', 'image'].includes(name)) params[name] = value.slice(0, QUERY_MAX_CHARS);
  const bounded = (name: string) => q.get(name)?.slice(0, QUERY_MAX_CHARS) || undefined;
  return { at, client, subject: bounded('u'), messageId: bounded('m'), variant: bounded('variant'), params };
}

/** A hero shown as one chosen variant, whatever its rules and splits would pick. */
function withVariant(block: BlockConfig, variant: string | undefined): BlockConfig {
  if (variant === undefined) return block;
  if (block.kind !== 'hero')
    throw new AppError('VALIDATION_FAILED', 'invalid preview: variant: only a hero has variants', { details: [{ path: 'variant', message: 'only a hero has variants' }] });
  const chosen = findVariant(block, variant);
  if (!chosen)
    throw new AppError('VALIDATION_FAILED', `invalid preview: variant: no variant named ${JSON.stringify(variant)}`, {
      details: [{ path: 'variant', message: 'no such variant' }],
    });
  const { prefetch: _prefetch, ...rest } = block;
  return { ...rest, default: chosen, variants: [] };
}

/** Where each slot's click would go, read off the decision as the click route reads an open record. */
function clicks(block: BlockConfig, decision: Decision | undefined): Array<{ slot: number; url: string; via: 'shown' | 'fallback'; product?: string }> {
  const utm = block.link.utm;
  if (decision && isHero(decision)) return [{ slot: 0, url: withParams(decision.variant.url, utm), via: 'shown' }];
  if (!decision) return [{ slot: 0, url: block.fallback.url, via: 'fallback' }];
  return decision.slots.map((product, slot) =>
    product ? { slot, url: withParams(product.url, utm), via: 'shown' as const, product: product.id } : { slot, url: block.fallback.url, via: 'fallback' as const },
  );
}

async function draftFrom(c: AppContext, id: string): Promise<BlockConfig> {
  const body = await readJsonBody(c.req.raw, BLOCK_MAX_BYTES, 'block');
  const config = parseOrThrow(blockSchema, { ...(body as object), id }, 'block');
  const problems = await blockProblems(config, c.get('services').templates);
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', `invalid block: ${describeProblems(problems)}`, { details: problems });
  return config;
}

/** Liquid's errors say where they are ("line:3, col:7"): the Studio marks that place in the editor. */
function located(problem: Problem): Problem & { line?: number; column?: number } {
  const where = /line:(\d+), col:(\d+)/.exec(problem.message);
  return where ? { ...problem, line: Number(where[1]), column: Number(where[2]) } : problem;
}

async function templateDraft(c: AppContext, name: string): Promise<StoredTemplate> {
  if (!TEMPLATE_NAME_PATTERN.test(name))
    throw new AppError('VALIDATION_FAILED', 'invalid preview: template: expected lowercase letters, digits, - and _', { details: [{ path: 'template', message: 'invalid name' }] });
  const { engine, deps } = c.get('services');
  const source = await readTextBody(c.req.raw, TEMPLATE_MAX_CHARS, 'template');
  const problems = (await templateProblems(engine, source)).map(located);
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', `invalid template: ${describeProblems(problems)}`, { details: problems });
  return { name, source, version: 0, updatedAt: deps.clock.now() };
}

async function answer(c: AppContext, run: PreviewRun, file: string, draft: BlockConfig | undefined, template?: StoredTemplate): Promise<Response> {
  const match = /^(.+)\.(png|gif|json)$/.exec(file);
  const id = match?.[1] ?? '';
  if (!match || !BLOCK_ID_PATTERN.test(id))
    throw new AppError('VALIDATION_FAILED', `invalid preview path ${JSON.stringify(file.slice(0, 80))}: expected <block id>.png, .gif or .json`);
  const q = question(c);
  const stored = draft ? { config: draft, version: 0, updatedAt: q.at } : await c.get('services').deps.store.getBlock(id);
  if (!stored) throw new AppError('BLOCK_NOT_FOUND', `no block with id ${JSON.stringify(id)}`);
  // A draft template draws the block whatever template it names.
  const drawnBy = template && 'template' in stored.config ? ({ ...stored.config, template: template.name } as BlockConfig) : stored.config;
  const block = withVariant(drawnBy, q.variant);
  const kind = kindOf(block);
  // Outlook on Windows shows a GIF's first frame only: the still of that moment.
  const format = match[2] === 'json' ? (q.client === 'outlook' ? 'png' : kind.formats[0]) : match[2] === 'gif' && q.client !== 'outlook' ? 'gif' : 'png';
  const userAgent = PREVIEW_CLIENTS[q.client];
  const requester: RequesterClass = classifyOpen('GET', userAgent);
  const image = await run.open(
    { at: q.at, block: { ...stored, config: block }, ...(template ? { template } : {}) },
    {
      blockId: id,
      format,
      requester,
      machine: !isPerson(requester),
      subject: q.subject,
      messageId: q.messageId,
      userAgent,
      params: q.params,
      // An admin's preview stands for a signed URL: it shows what a subscriber's signed email would.
      signed: true,
      query: (name) => q.params[name]?.slice(0, 40),
    },
  );
  if (match[2] !== 'json') {
    const headers: Record<string, string> = { ...IMAGE_HEADERS, 'Content-Type': imageContentType(image.bytes), 'x-opentime-preview': '1' };
    if (image.fallback) headers['x-opentime-fallback'] = image.fallback;
    if (image.error) headers['x-opentime-error'] = image.error;
    return new Response(image.bytes as BodyInit, { headers });
  }
  const decision = image.decision;
  return c.json({
    block: id,
    kind: block.kind,
    at: new Date(q.at).toISOString(),
    client: q.client,
    requester,
    format,
    personal: image.personal,
    ...(image.fallback ? { fallback: image.fallback } : {}),
    ...(image.error ? { error: image.error } : {}),
    ...(image.why ? { why: image.why } : {}),
    ...(decision && isHero(decision) ? { variant: decision.variant.id, entry: decision.entry, ...(decision.arm ? { arm: decision.arm } : {}) } : {}),
    ...(decision && !isHero(decision)
      ? { products: decision.slots.map((p) => (p ? { id: p.id, title: p.title, price: p.sale_price ?? p.price, currency: p.currency, source: p.source } : null)) }
      : {}),
    clicks: clicks(block, decision),
    // `image=1`: the image too, as a data URL, so a grid cell costs one preview, not two.
    ...(c.req.query('image') === '1' ? { image: `data:${imageContentType(image.bytes)};base64,${toBase64(image.bytes)}` } : {}),
  });
}

export function previewRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  // A preview changes nothing, a draft's included: a viewer may ask for one.
  routes.use('/v1/preview/*', async (c, next) => {
    await requireAccess(c, false);
    await next();
  });
  const run = (c: AppContext): PreviewRun => {
    const preview = c.get('services').preview;
    if (!preview) throw new AppError('NOT_FOUND', 'previews are not served by a preview app');
    return preview();
  };
  routes.get('/v1/preview/:file', (c) => answer(c, run(c), c.req.param('file'), undefined));
  /** The body is a draft block (JSON), or with `?template=<name>` a draft template (HTML with Liquid) that the stored block is drawn with. */
  routes.post('/v1/preview/:file', async (c) => {
    const templateName = c.req.query('template');
    if (templateName !== undefined) return answer(c, run(c), c.req.param('file'), undefined, await templateDraft(c, templateName));
    const id = c.req.param('file').replace(/\.(png|gif|json)$/, '');
    const draft = await draftFrom(c, BLOCK_ID_PATTERN.test(id) ? id : 'draft');
    return answer(c, run(c), c.req.param('file'), draft);
  });
  return routes;
}
