import { Hono } from 'hono';
import { answerImage, type ImageAnswer } from './image-answer.ts';
import type { AppContext, AppEnv } from './context.ts';

function imageResponse(c: AppContext, answer: ImageAnswer): Response {
  c.set('cacheOutcome', answer.cacheOutcome);
  c.set('blockId', answer.blockId);
  if (answer.errorCode) c.set('errorCode', answer.errorCode);
  return new Response(answer.body as BodyInit, { status: 200, headers: answer.headers });
}

/** `GET /i/<block>.png|gif` and its parts `/i/<block>/<part>.png` (see image-answer.ts; on Node a direct listener answers them first). */
export function imageRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/i/:file', async (c) =>
    imageResponse(c, await answerImage(c.get('services'), { method: c.req.method, file: c.req.param('file'), url: c.req.url, userAgent: c.req.header('user-agent') })),
  );
  routes.get('/i/:block/:file', async (c) =>
    imageResponse(
      c,
      await answerImage(c.get('services'), { method: c.req.method, block: c.req.param('block'), file: c.req.param('file'), url: c.req.url, userAgent: c.req.header('user-agent') }),
    ),
  );
  return routes;
}
