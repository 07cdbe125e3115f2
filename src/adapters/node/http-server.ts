import { getRequestListener } from '@hono/node-server';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Opentime } from '../../app.ts';
import { answerImage, answerImageAgain } from '../../routes/image-answer.ts';

/** `/i/<block>.png`, or a part: `/i/<block>/<part>.png`. */
const IMAGE_PATH = /^\/i\/([^/?]+)(?:\/([^/?]+))?(?:\?|$)/;

/**
 * The Node HTTP server: opens of `/i/<block>.png` are answered straight from
 * node:http through the same `answerImage` the Hono route uses, because a
 * send's opens are the load, and Hono's request and response objects cost
 * more than a render-cache hit itself. Every other request goes to the app.
 */
export function createHttpServer(opentime: Opentime): Server {
  const viaApp = getRequestListener(opentime.app.fetch);
  return createServer((req, res) => {
    const match = req.method === 'GET' || req.method === 'HEAD' ? IMAGE_PATH.exec(req.url ?? '') : null;
    if (!match?.[1]) return void viaApp(req, res);
    answerDirectly(opentime, match[1], match[2], req, res).catch(() => {
      // answerImage answers every failure with an image; should the unexpected happen, the app answers.
      if (!res.headersSent) void viaApp(req, res);
    });
  });
}

function decode(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // not a block id either way: the blank fallback
  }
}

async function answerDirectly(opentime: Opentime, first: string, second: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const incomingId = req.headers['x-request-id'];
  const requestId = (typeof incomingId === 'string' && incomingId.slice(0, 64)) || crypto.randomUUID();
  const names = second === undefined ? { file: decode(first) } : { block: decode(first), file: decode(second) };
  const question = { method: req.method ?? 'GET', ...names, url: req.url ?? '/', userAgent: req.headers['user-agent'] };
  // An image asked again is answered from memory when it can be (no promise on the way), else by the whole open.
  const again = answerImageAgain(opentime.services, question);
  const answer = again !== undefined && again !== 'refused' ? again : await answerImage(opentime.services, { ...question, refused: again === 'refused' });
  res.writeHead(200, { ...answer.headers, 'x-request-id': requestId });
  if (req.method === 'HEAD') res.end();
  else res.end(answer.body);
  // As the app logs every request: never the URL, whose query holds subscriber ids.
  opentime.services.deps.logger.request({
    id: requestId,
    method: req.method,
    route: second === undefined ? '/i/:file' : '/i/:block/:file',
    status: 200,
    ms: Math.round((performance.now() - started) * 10) / 10,
    cache: answer.cacheOutcome,
    block: answer.blockId,
    error: answer.errorCode,
  });
}
