import { maxHeaderSize, type Server } from 'node:http';
import type { Socket } from 'node:net';

/** A request the lane read whole from one read of the socket: GET or HEAD, HTTP/1.1, no body. */
export interface LaneRequest {
  method: 'GET' | 'HEAD';
  /** The request target as sent (path and query). */
  url: string;
  userAgent: string | undefined;
  requestId: string | undefined;
}

/** What the lane writes after `HTTP/1.1 200 OK`: header lines, each ending in CRLF, and the body (not written for HEAD). */
export interface LaneAnswer {
  headerLines: string;
  body: Uint8Array;
}

/**
 * Answers a request on the lane, at once or later, or undefined (also
 * later): the HTTP server answers it instead, as if the lane had not read it.
 */
export type LaneResponder = (request: LaneRequest) => LaneAnswer | Promise<LaneAnswer | undefined> | undefined;

/** The lane's connections and requests, for shutdown. */
export interface SocketLane {
  /** Requests read on the lane and not yet answered. */
  readonly inFlight: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /^(GET|HEAD) (\/[!-~]*) HTTP\/1\.1$/;
/** What no head the lane reads holds: a control character but tab (RFC 9110's field values), a CR or LF not in a CRLF. */
const NOT_IN_A_HEAD = /[^\t\r\n\x20-\x7e\x80-\xff]|\r(?!\n)|(?<!\r)\n/;
/** The characters of a header name (RFC 9110's token), by char code. */
const TOKEN_CHARS = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN_CHARS[char.charCodeAt(0)] = 1;
/** Headers after which the request is not one the lane answers: a body, a protocol change, an expectation. */
const HANDED_OVER = new Set(['content-length', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer']);
/** The lengths of the names the lane looks at: any other header is only checked to be well-formed. */
const READ_NAME_LENGTHS = new Set([...HANDED_OVER, 'host', 'connection', 'user-agent', 'x-request-id'].map((name) => name.length));
const SWEEP_MS = 1000;

/**
 * Reads a request head (without its final blank line) strictly; undefined for anything
 * the lane leaves to Node's parser, which then answers it (a 400 where it is malformed).
 */
export function readRequestHead(head: string): LaneRequest | undefined {
  const lineEnd = head.indexOf('\r\n');
  if (lineEnd === -1) return undefined;
  const match = REQUEST_LINE.exec(head.slice(0, lineEnd));
  if (!match || NOT_IN_A_HEAD.test(head)) return undefined;
  let host = false;
  let userAgent: string | undefined;
  let requestId: string | undefined;
  for (let at = lineEnd + 2; at < head.length; ) {
    let next = head.indexOf('\r\n', at);
    if (next === -1) next = head.length;
    const colon = head.indexOf(':', at);
    // No colon in the line, an empty name, or one that is not a token (a folded line, a space before the colon).
    if (colon <= at || colon > next) return undefined;
    for (let i = at; i < colon; i++) if (TOKEN_CHARS[head.charCodeAt(i)] !== 1) return undefined;
    if (READ_NAME_LENGTHS.has(colon - at)) {
      const name = head.slice(at, colon).toLowerCase();
      if (HANDED_OVER.has(name)) return undefined;
      if (name === 'connection' && fieldValue(head, colon, next).toLowerCase() !== 'keep-alive') return undefined;
      // As Node does: the first of a repeated user agent counts.
      if (name === 'host') host = true;
      else if (name === 'user-agent') userAgent ??= fieldValue(head, colon, next);
      else if (name === 'x-request-id') requestId ??= fieldValue(head, colon, next);
    }
    at = next + 2;
  }
  // HTTP/1.1 without Host is a 400, which Node's parser gives.
  if (!host) return undefined;
  return { method: match[1] as 'GET' | 'HEAD', url: match[2] as string, userAgent, requestId };
}

/** The value of the header line whose colon is at `colon` and which ends at `end`, without the spaces and tabs around it. */
function fieldValue(head: string, colon: number, end: number): string {
  let start = colon + 1;
  while (start < end && (head.charCodeAt(start) === 32 || head.charCodeAt(start) === 9)) start++;
  while (end > start && (head.charCodeAt(end - 1) === 32 || head.charCodeAt(end - 1) === 9)) end--;
  return head.slice(start, end);
}

/**
 * A lane beside Node's HTTP server for the requests that are a send's load:
 * image opens, most of them answered from memory in a few microseconds,
 * where Node's request and response objects, header validation and
 * bookkeeping cost more than the answer itself. A connection's requests are
 * read straight off the socket, one at a time and in order, while each is a
 * whole GET or HEAD head in the data read that `respond` answers. The first
 * that is not (another route, a body, a head split across reads, anything
 * unusual) and everything after it on that connection go to the HTTP
 * server, which reads them as if they had come first: the lane writes no
 * answer to what it did not read whole, and never reads on after handing
 * over.
 *
 * Idle connections on the lane close as Node's would (its headers timeout
 * before the first request, its keep-alive timeout and the buffer it keeps
 * past it after an answer), and
 * with the server's closeIdleConnections / closeAllConnections / close.
 */
export function openSocketLane(server: Server, respond: LaneResponder): SocketLane {
  const nodeListeners = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  /** Connections on the lane, with the sweep after which each has been idle too long (Infinity while it is answered). */
  const onLane = new Map<Socket, number>();
  /** Connections to close once their answer is written (the server is closing its idle connections). */
  const closing = new Set<Socket>();
  let inFlight = 0;
  let sweeps = 0;
  let sweeper: ReturnType<typeof setInterval> | undefined;
  /** The sweep after which a connection idle from now has been idle at least `ms` (one more: the next sweep may come at once). */
  const idleUntil = (ms: number) => sweeps + Math.ceil(ms / SWEEP_MS) + 1;
  /**
   * How long an idle connection stays open after an answer: the keep-alive
   * timeout its answers announce, and the buffer Node's own server keeps
   * past it, so that a client reusing the connection just before the
   * announced timeout (Node's agent does at a second before it) never
   * finds it closed (ECONNRESET, an image the email client never gets).
   */
  const keptIdle = () => (server.keepAliveTimeout || 5000) + ((server as Server & { keepAliveTimeoutBuffer?: number }).keepAliveTimeoutBuffer ?? 1000);

  const sweep = () => {
    sweeps += 1;
    for (const [socket, until] of onLane) if (until <= sweeps) leave(socket).destroySoon();
    if (onLane.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const leave = (socket: Socket): Socket => {
    onLane.delete(socket);
    socket.removeAllListeners('data');
    socket.removeListener('error', ignore);
    return socket;
  };
  const handOver = (socket: Socket, unread: Buffer) => {
    if (socket.destroyed) return;
    leave(socket).pause();
    if (unread.byteLength > 0) socket.unshift(unread);
    for (const listener of nodeListeners) listener.call(server, socket);
    socket.resume();
  };
  const write = (socket: Socket, request: LaneRequest, answer: LaneAnswer, close = false) => {
    const keepAlive = Math.max(1, Math.floor(server.keepAliveTimeout / 1000));
    const connection = close ? 'Connection: close\r\n' : `Connection: keep-alive\r\nKeep-Alive: timeout=${keepAlive}\r\n`;
    socket.cork();
    socket.write(`HTTP/1.1 200 OK\r\n${answer.headerLines}${connection}\r\n`, 'latin1');
    if (request.method === 'GET') socket.write(answer.body);
    socket.uncork();
  };

  // A responder that fails leaves the request to node:http, as one that declines: never an uncaught error in a socket's data.
  const answerOf = (request: LaneRequest): ReturnType<LaneResponder> => {
    try {
      return respond(request);
    } catch {
      return undefined;
    }
  };

  /** Answers the requests in `chunk` from `start`, in order; one answered later holds the rest (and the socket) until it is. */
  const serve = (socket: Socket, chunk: Buffer, start: number): void => {
    while (start < chunk.byteLength) {
      // A client that does not read its answers is Node's to slow down (it stops reading the socket).
      if (socket.writableNeedDrain) return void handOver(socket, chunk.subarray(start));
      const end = chunk.indexOf(HEAD_END, start);
      // A head longer than Node allows is Node's to refuse (431).
      const whole = end !== -1 && end - start <= maxHeaderSize;
      const request = whole ? readRequestHead(chunk.toString('latin1', start, end)) : undefined;
      const answer = request && answerOf(request);
      if (!request || !answer) return void handOver(socket, chunk.subarray(start));
      const next = end + HEAD_END.byteLength;
      if (!(answer instanceof Promise)) {
        write(socket, request, answer);
        start = next;
        continue;
      }
      socket.pause();
      onLane.set(socket, Number.POSITIVE_INFINITY);
      inFlight += 1;
      const settle = (given: LaneAnswer | undefined) => {
        inFlight -= 1;
        if (socket.destroyed) return;
        if (!given) return handOver(socket, chunk.subarray(start));
        if (closing.delete(socket)) {
          write(socket, request, given, true);
          return void leave(socket).destroySoon();
        }
        write(socket, request, given);
        onLane.set(socket, idleUntil(keptIdle()));
        socket.resume(); // what arrived meanwhile is read after the rest of this chunk
        serve(socket, chunk, next);
      };
      answer.then(settle, () => settle(undefined));
      return;
    }
    onLane.set(socket, idleUntil(keptIdle()));
  };

  server.on('connection', (socket: Socket) => {
    onLane.set(socket, idleUntil(server.headersTimeout || 60_000));
    sweeper ??= setInterval(sweep, SWEEP_MS).unref();
    socket.on('error', ignore);
    socket.on('data', (chunk: Buffer) => serve(socket, chunk, 0));
    socket.once('close', () => {
      onLane.delete(socket);
      closing.delete(socket);
    });
  });

  const closeIdle = server.closeIdleConnections.bind(server);
  const closeAll = server.closeAllConnections.bind(server);
  server.closeIdleConnections = () => {
    for (const [socket, until] of onLane) {
      if (until === Number.POSITIVE_INFINITY) closing.add(socket);
      else leave(socket).destroySoon();
    }
    closeIdle();
  };
  server.closeAllConnections = () => {
    for (const socket of [...onLane.keys()]) leave(socket).destroy();
    closeAll();
  };
  return {
    get inFlight() {
      return inFlight;
    },
  };
}

function ignore(): void {
  // A connection reset on the lane is the client's going; the socket closes itself.
}
