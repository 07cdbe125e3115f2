import { Hono } from 'hono';
import { SUBJECT_ID_MAX_CHARS } from '../core/events/limits.ts';
import { MESSAGE_PARAM_MAX_CHARS } from '../core/links/url-params.ts';
import { boundedQuery, ruleParams, type AppEnv } from './context.ts';

const NOTHING_HERE = `<!doctype html><meta charset="utf-8"><title>Offer not found</title>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#111">
<h1 style="font-size:1.4rem">This offer is no longer available</h1>
<p>The link you followed points at content that has been removed.</p></body>`;

/** GET and HEAD: scanners and Apple Mail's link checks send HEAD; they are redirected but not counted. */
export function clickRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.on(['GET', 'HEAD'], '/c/:block/:slot', async (c) => {
    const { clicks, signer } = c.get('services');
    const blockId = c.req.param('block');
    c.set('blockId', blockId);
    const userAgent = c.req.header('user-agent');
    const target = await clicks.click({
      blockId,
      slot: c.req.param('slot'),
      method: c.req.method,
      subject: boundedQuery(c, 'u', SUBJECT_ID_MAX_CHARS),
      messageId: boundedQuery(c, 'm', MESSAGE_PARAM_MAX_CHARS),
      params: ruleParams(c),
      signed: await signer.verify(c.req.url),
      ...(userAgent === undefined ? {} : { userAgent }),
    });
    c.set('cacheOutcome', target.via);
    const headers = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };
    if (!target.url) return c.html(NOTHING_HERE, 404, headers);
    return new Response(null, { status: 302, headers: { ...headers, Location: target.url } });
  });
  return routes;
}
