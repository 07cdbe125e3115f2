import { Hono } from 'hono';
import type { AppContext, AppEnv } from './context.ts';

/**
 * The Studio's files: built by `npm install` (the `prepare` script, Vite)
 * into templates/studio/, read through the same assets port as templates
 * (files on Node, the static-assets binding on Workers). The page holds no
 * secret: everything it shows comes from the admin API after sign-in.
 */
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  json: 'application/json',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
};

/** Scripts and styles only from here; photos from the shop's image hosts; never framed. CodeMirror sets inline styles. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https: http:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

async function file(c: AppContext, path: string): Promise<Response> {
  const bytes = await c.get('services').deps.assets.read(`studio/${path}`);
  if (!bytes) {
    if (path === 'index.html') return c.text('The Studio has not been built: run `npm install` (or `npm run build:studio`).', 503);
    return c.json({ error: { code: 'NOT_FOUND', message: `no Studio file ${JSON.stringify(path.slice(0, 100))}` } }, 404);
  }
  const type = TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
  // Vite names assets by their content's hash: they never change; the page itself always revalidates.
  const cache = path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  return new Response(bytes as BodyInit, {
    headers: {
      'Content-Type': type,
      'Cache-Control': cache,
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    },
  });
}

export function studioRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/studio', (c) => c.redirect('/studio/', 308));
  routes.get('/studio/', (c) => file(c, 'index.html'));
  routes.get('/studio/*', (c) => {
    const path = c.req.path.slice('/studio/'.length);
    if (!/^[A-Za-z0-9_./-]{1,200}$/.test(path) || path.split('/').some((part) => part === '..' || part === '' || part === '.')) {
      return c.json({ error: { code: 'NOT_FOUND', message: 'no such Studio file' } }, 404);
    }
    return file(c, path);
  });
  return routes;
}
