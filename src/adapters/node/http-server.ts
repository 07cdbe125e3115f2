import { getRequestListener } from '@hono/node-server';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Opentime } from '../../app.ts';
import { answerImage, answerImageAgain, type ImageAnswer, type ImageQuestion } from '../../routes/image-answer.ts';
import { openSocketLane, type LaneAnswer, type LaneRequest, type SocketLane } from './socket-lane.ts';

/** `/i/<block>.png`, or a part: `/i/<block>/<part>.png`. */
const IMAGE_PATH = /^\/i\/([^/?]+)(?:\/([^/?]+))?(?:\?|$)/;
const REQUEST_ID_MAX_CHARS = 64;
/** What Node writes in a header without complaint: no control characters but tab. */
const WRITABLE_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The Node HTTP server. Opens of `/i/<block>.png` are the load of a send,
 * and are answered without a framework: on the socket lane
 * (socket-lane.ts) while a connection's requests are plain GETs it reads
 * whole, else from node:http; either way through the same `answerImage`
 * the Hono route uses (Hono's request and response objects cost more than a
 * cache hit itself). Every other request goes to the app.
 */
export function createHttpServer(opentime: Opentime): { server: Server; lane: SocketLane } {
  const viaApp = getRequestListener(opentime.app.fetch);
  const server = createServer((req, res) => {
    const match = req.method === 'GET' || req.method === 'HEAD' ? IMAGE_PATH.exec(req.url ?? '') : null;
    if (!match?.[1]) return void viaApp(req, res);
    answerDirectly(opentime, match[1], match[2], req, res).catch(() => {
      // answerImage answers every failure with an image; should the unexpected happen, the app answers.
      if (!res.headersSent) void viaApp(req, res);
    });
  });
  const lane = openSocketLane(server, (request) => answerOnLane(opentime, request));
  return { server, lane };
}

function decode(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // not a block id either way: the blank fallback
  }
}

function questionOf(method: string, first: string, second: string | undefined, url: string, userAgent: string | undefined): ImageQuestion {
  const names = second === undefined ? { file: decode(first) } : { block: decode(first), file: decode(second) };
  return { method, ...names, url, userAgent };
}

/** An open answered again from memory when it can be (no promise on the way), else by the whole open. */
function answerOpen(opentime: Opentime, question: ImageQuestion): ImageAnswer | Promise<ImageAnswer> {
  const again = answerImageAgain(opentime.services, question);
  if (again !== undefined && again !== 'refused') return again;
  return answerImage(opentime.services, { ...question, refused: again === 'refused' });
}

async function answerDirectly(opentime: Opentime, first: string, second: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const incomingId = req.headers['x-request-id'];
  const requestId = (typeof incomingId === 'string' && incomingId.slice(0, REQUEST_ID_MAX_CHARS)) || crypto.randomUUID();
  const answer = await answerOpen(opentime, questionOf(req.method ?? 'GET', first, second, req.url ?? '/', req.headers['user-agent']));
  res.writeHead(200, { ...answer.headers, 'x-request-id': requestId });
  if (req.method === 'HEAD') res.end();
  else res.end(answer.body);
  logAnswer(opentime, requestId, req.method, second, started, answer);
}

/**
 * An open on the lane, answered as answerDirectly answers it; undefined for
 * every other request, and while draining (the HTTP server answers then,
 * with `Connection: close`).
 */
function answerOnLane(opentime: Opentime, request: LaneRequest): LaneAnswer | Promise<LaneAnswer | undefined> | undefined {
  const match = IMAGE_PATH.exec(request.url);
  if (!match?.[1] || opentime.services.deps.draining?.()) return undefined;
  const started = performance.now();
  const requestId = request.requestId?.slice(0, REQUEST_ID_MAX_CHARS) || crypto.randomUUID();
  const given = (answer: ImageAnswer): LaneAnswer | undefined => {
    const lines = headerLinesOf(answer);
    if (lines === undefined) return undefined;
    logAnswer(opentime, requestId, request.method, match[2], started, answer);
    return { headerLines: `${lines}x-request-id: ${requestId}\r\nDate: ${httpDate()}\r\n`, body: answer.body };
  };
  const answer = answerOpen(opentime, questionOf(request.method, match[1], match[2], request.url, request.userAgent));
  return answer instanceof Promise ? answer.then(given) : given(answer);
}

/**
 * An answer's header lines, made once per answer (one given again is the same
 * object every time); undefined when one is not writable as it is (node:http
 * then answers, or says why not).
 */
function headerLinesOf(answer: ImageAnswer): string | undefined {
  let lines = headerLines.get(answer);
  if (lines === undefined) {
    const entries = Object.entries(answer.headers);
    if (!entries.every(([, value]) => WRITABLE_VALUE.test(value))) return undefined;
    lines = entries.map(([name, value]) => `${name}: ${value}\r\n`).join('');
    headerLines.set(answer, lines);
  }
  return lines;
}
const headerLines = new WeakMap<ImageAnswer, string>();

/** The Date header, made once a second as Node makes it. */
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}
let dateSecond = 0;
let dateText = '';

function logAnswer(opentime: Opentime, id: string, method: string | undefined, part: string | undefined, started: number, answer: ImageAnswer): void {
  // As the app logs every request: never the URL, whose query holds subscriber ids.
  opentime.services.deps.logger.request({
    id,
    method,
    route: part === undefined ? '/i/:file' : '/i/:block/:file',
    status: 200,
    ms: Math.round((performance.now() - started) * 10) / 10,
    cache: answer.cacheOutcome,
    block: answer.blockId,
    error: answer.errorCode,
  });
}
