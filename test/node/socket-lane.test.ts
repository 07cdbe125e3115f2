import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serverLifecycle } from '../../src/adapters/node/lifecycle.ts';
import { openSocketLane, readRequestHead, type LaneAnswer, type LaneRequest, type SocketLane } from '../../src/adapters/node/socket-lane.ts';

// The lane answers `/fast` at once and `/slow` after a while; everything else is node:http's,
// which answers with what it read, so a test sees which of the two answered and what it was given.
const FAST = new TextEncoder().encode('fast body');
const answered: LaneRequest[] = [];
let body: Uint8Array = FAST;

function laneAnswer(request: LaneRequest): LaneAnswer | Promise<LaneAnswer | undefined> | undefined {
  const headerLines = `Content-Type: text/plain\r\nContent-Length: ${body.byteLength}\r\nx-answered-by: lane\r\n`;
  if (request.url.startsWith('/fast')) {
    answered.push(request);
    return { headerLines, body };
  }
  if (request.url.startsWith('/slow')) {
    answered.push(request);
    const answer = { headerLines, body };
    return new Promise((done) => setTimeout(() => done(answer), 60));
  }
  if (request.url.startsWith('/throws')) throw new Error('a responder bug');
  if (request.url.startsWith('/declined-later')) return new Promise((done) => setTimeout(() => done(undefined), 20));
  return undefined;
}

let server: Server;
let lane: SocketLane;
const sockets: Socket[] = [];

async function start(): Promise<number> {
  answered.length = 0;
  body = FAST;
  server = createServer((req, res) => {
    const text = `node ${req.method} ${req.url} ua=${req.headers['user-agent'] ?? ''}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), 'x-answered-by': 'node' });
    res.end(req.method === 'HEAD' ? undefined : text);
  });
  lane = openSocketLane(server, laneAnswer);
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

/** A raw connection that collects what it is sent. */
async function open(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  const closed = new Promise<void>((done) => socket.once('close', () => done()));
  await new Promise<void>((ready) => socket.once('connect', () => ready()));
  return { socket, received: () => text, closed };
}

/** The responses in `text`, each as its status line, headers and body. */
function responses(text: string): Array<{ status: string; headers: Record<string, string>; body: string }> {
  const out: Array<{ status: string; headers: Record<string, string>; body: string }> = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const [status = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    out.push({ status, headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: lane.test\r\n${extra}\r\n`;

describe('the socket lane', () => {
  it('answers a request it can at once, with its headers, the keep-alive the server keeps, and the body', async () => {
    const port = await start();
    const client = await open(port);
    client.socket.write(get('/fast?u=1', 'User-Agent: Mail/1.0\r\nX-Request-Id: abc\r\n'));
    await until(() => responses(client.received()).length === 1);
    const [answer] = responses(client.received());
    expect(answer?.status).toBe('HTTP/1.1 200 OK');
    expect(answer?.headers['x-answered-by']).toBe('lane');
    expect(answer?.headers.connection).toBe('keep-alive');
    expect(answer?.headers['keep-alive']).toBe(`timeout=${server.keepAliveTimeout / 1000}`);
    expect(answer?.body).toBe('fast body');
    expect(answered).toEqual([{ method: 'GET', url: '/fast?u=1', userAgent: 'Mail/1.0', requestId: 'abc' }]);
  });

  it('answers many requests on one connection, and later answers in the order they were asked', async () => {
    const port = await start();
    const client = await open(port);
    client.socket.write(get('/fast/1'));
    await until(() => responses(client.received()).length === 1);
    // Pipelined: the slow one first; the fast one must wait for it.
    client.socket.write(get('/slow/2') + get('/fast/3') + get('/slow/4'));
    await until(() => responses(client.received()).length === 4);
    expect(answered.map((request) => request.url)).toEqual(['/fast/1', '/slow/2', '/fast/3', '/slow/4']);
    expect(responses(client.received()).every((answer) => answer.headers['x-answered-by'] === 'lane')).toBe(true);
    expect(lane.inFlight).toBe(0);
  });

  it('hands a connection to node:http at the first request it does not answer, in order, and keeps it there', async () => {
    const port = await start();
    const client = await open(port);
    client.socket.write(get('/fast/1') + get('/other', 'User-Agent: Browser\r\n') + get('/fast/3'));
    await until(() => responses(client.received()).length === 3);
    const [first, second, third] = responses(client.received());
    expect(first?.headers['x-answered-by']).toBe('lane');
    expect(second?.headers['x-answered-by']).toBe('node');
    expect(second?.body).toBe('node GET /other ua=Browser');
    // Once handed over, node:http reads the rest: the lane never saw the third.
    expect(third?.body).toBe('node GET /fast/3 ua=');
    expect(answered.map((request) => request.url)).toEqual(['/fast/1']);
    client.socket.write(get('/fast/4'));
    await until(() => responses(client.received()).length === 4);
    expect(responses(client.received())[3]?.headers['x-answered-by']).toBe('node');
  });

  it('hands over a request declined after a while, which node:http then answers', async () => {
    const port = await start();
    const client = await open(port);
    client.socket.write(get('/declined-later') + get('/fast/2'));
    await until(() => responses(client.received()).length === 2);
    expect(responses(client.received()).map((answer) => answer.body)).toEqual(['node GET /declined-later ua=', 'node GET /fast/2 ua=']);
  });

  it('leaves a request whose responder throws to node:http, and the server goes on', async () => {
    const port = await start();
    const client = await open(port);
    client.socket.write(get('/throws'));
    await until(() => responses(client.received()).length === 1);
    expect(responses(client.received())[0]?.body).toBe('node GET /throws ua=');
  });

  it('leaves a head split across reads to node:http', async () => {
    const port = await start();
    const client = await open(port);
    client.socket.write('GET /fast/1 HTTP/1.1\r\nHost: lane');
    await new Promise((r) => setTimeout(r, 50));
    client.socket.write('.test\r\n\r\n');
    await until(() => responses(client.received()).length === 1);
    expect(responses(client.received())[0]?.body).toBe('node GET /fast/1 ua=');
    expect(answered).toEqual([]);
  });

  it.each([
    ['a header line without a colon', 'GET /fast HTTP/1.1\r\nHost: lane.test\r\nBroken header\r\n\r\n', '400'],
    ['no Host', 'GET /fast HTTP/1.1\r\nUser-Agent: x\r\n\r\n', '400'],
    ['a body', 'GET /fast HTTP/1.1\r\nHost: lane.test\r\nContent-Length: 2\r\n\r\nab', '200'],
    ['Transfer-Encoding', 'GET /fast HTTP/1.1\r\nHost: lane.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', '200'],
    ['HTTP/1.0', 'GET /fast HTTP/1.0\r\nHost: lane.test\r\n\r\n', '200'],
    ['Connection: close', 'GET /fast HTTP/1.1\r\nHost: lane.test\r\nConnection: close\r\n\r\n', '200'],
    ['a control character in a value', 'GET /fast HTTP/1.1\r\nHost: lane.test\r\nUser-Agent: a\x01b\r\n\r\n', '400'],
    ['a head longer than Node allows', `GET /fast HTTP/1.1\r\nHost: lane.test\r\nX-Long: ${'a'.repeat(20_000)}\r\n\r\n`, '431'],
  ])('leaves %s to node:http', async (_what, raw, status) => {
    const port = await start();
    const client = await open(port);
    client.socket.write(raw);
    await until(() => client.received().includes('\r\n\r\n'));
    expect(client.received().startsWith(`HTTP/1.1 ${status}`)).toBe(true);
    expect(client.received()).not.toContain('x-answered-by: lane');
    expect(answered).toEqual([]);
  });

  it('answers HEAD with the headers alone, and the connection goes on', async () => {
    const port = await start();
    const client = await open(port);
    client.socket.write(`HEAD /fast/1 HTTP/1.1\r\nHost: lane.test\r\n\r\n`);
    await until(() => client.received().includes('\r\n\r\n'));
    const head = client.received();
    expect(head).toContain('Content-Length: 9');
    expect(head.endsWith('\r\n\r\n')).toBe(true);
    client.socket.write(get('/fast/2'));
    await until(() => client.received().endsWith('fast body'));
    expect(client.received().slice(head.length).startsWith('HTTP/1.1 200 OK')).toBe(true);
  });

  it('hands over a client that does not read its answers, so node:http slows it down', async () => {
    const port = await start();
    body = new Uint8Array(4 * 1024 * 1024);
    const client = await open(port);
    client.socket.pause();
    client.socket.write(get('/fast/1') + get('/fast/2') + get('/fast/3') + get('/fast/4'));
    await until(() => answered.length > 0);
    await new Promise((r) => setTimeout(r, 100));
    // The first answer fills the socket's buffer: the rest are node:http's, which reads no further while it waits.
    expect(answered.length).toBe(1);
  });

  it('closes an idle connection after the keep-alive timeout and the buffer Node keeps past it', async () => {
    const port = await start();
    server.keepAliveTimeout = 1000;
    const client = await open(port);
    client.socket.write(get('/fast/1'));
    await until(() => responses(client.received()).length === 1);
    const answeredAt = Date.now();
    await client.closed;
    expect(Date.now() - answeredAt).toBeGreaterThanOrEqual(1000 + 1000);
    expect(Date.now() - answeredAt).toBeLessThan(5000);
  });

  it('answers a request sent on an idle connection just before the announced keep-alive timeout', async () => {
    // A client may reuse its connection until the timeout the answers announce; closing it sooner resets that request.
    const port = await start();
    server.keepAliveTimeout = 2000;
    const client = await open(port);
    // Answered just before the lane's once-a-second sweep (its first is a second after the connection): the worst case.
    await new Promise((r) => setTimeout(r, 950));
    client.socket.write(get('/fast/1'));
    await until(() => responses(client.received()).length === 1);
    await new Promise((r) => setTimeout(r, 1950));
    client.socket.write(get('/fast/2'));
    await until(() => responses(client.received()).length === 2, 2000);
    expect(answered.map((r) => r.url)).toEqual(['/fast/1', '/fast/2']);
  });

  it('closes its idle connections with the server, and finishes an answer in flight first, with Connection: close', async () => {
    const port = await start();
    const idle = await open(port);
    idle.socket.write(get('/fast/1'));
    await until(() => responses(idle.received()).length === 1);
    const busy = await open(port);
    busy.socket.write(get('/slow/2'));
    await until(() => lane.inFlight === 1);
    const stopped = new Promise((done) => server.close(done));
    await idle.closed;
    await busy.closed;
    await stopped;
    const [answer] = responses(busy.received());
    expect(answer?.body).toBe('fast body');
    expect(answer?.headers.connection).toBe('close');
    expect(lane.inFlight).toBe(0);
    server.listen(0); // afterEach closes it again
  });

  it('is waited for when the server drains: an answer in flight on the lane is given before the server stops', async () => {
    const port = await start();
    const lifecycle = serverLifecycle(server, lane);
    const client = await open(port);
    client.socket.write(get('/slow/1'));
    await until(() => lifecycle.inFlight === 1);
    const cut = await lifecycle.drain(5000);
    expect(cut).toBe(0);
    await client.closed;
    expect(responses(client.received())[0]?.body).toBe('fast body');
    server.listen(0); // afterEach closes it again
  });
});

describe('reading a request head', () => {
  const head = (lines: string[]) => lines.join('\r\n');
  it('reads the method, the target, the first user agent and the request id', () => {
    expect(readRequestHead(head(['HEAD /i/b.png?u=1 HTTP/1.1', 'Host: x', 'user-agent:  A \t', 'User-Agent: B', 'x-request-id: r1']))).toEqual({
      method: 'HEAD',
      url: '/i/b.png?u=1',
      userAgent: 'A',
      requestId: 'r1',
    });
  });
  it.each([
    ['POST', ['POST /i/b.png HTTP/1.1', 'Host: x']],
    ['an absolute target', ['GET http://x/i/b.png HTTP/1.1', 'Host: x']],
    ['a space in the target', ['GET /i/b c.png HTTP/1.1', 'Host: x']],
    ['a folded header', ['GET /i/b.png HTTP/1.1', 'Host: x', ' folded']],
    ['a space before the colon', ['GET /i/b.png HTTP/1.1', 'Host : x']],
    ['a bare LF in a value', ['GET /i/b.png HTTP/1.1', 'Host: x\nX-Other: y']],
    ['Expect', ['GET /i/b.png HTTP/1.1', 'Host: x', 'Expect: 100-continue']],
    ['Upgrade', ['GET /i/b.png HTTP/1.1', 'Host: x', 'Upgrade: websocket']],
  ])('leaves %s to node:http', (_what, lines) => {
    expect(readRequestHead(head(lines))).toBeUndefined();
  });
});
