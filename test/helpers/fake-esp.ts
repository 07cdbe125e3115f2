import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An ESP's API on loopback for tests: records every request (path, headers,
 * body) and answers from a script of responses (then `202 {}`), so a test
 * can make it answer 429 with Retry-After, 503 or 400 as the ESP would.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads the body as the ESP's documented JSON
  body: any;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface FakeEsp {
  url: string;
  requests: RecordedRequest[];
  /** Answers for the next requests, in order; after them, 202. */
  answer(...answers: ScriptedAnswer[]): void;
  /** Forgets the requests and the answers not given yet. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeEsp(): Promise<FakeEsp> {
  const requests: RecordedRequest[] = [];
  const script: ScriptedAnswer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, text, body });
      const next = script.shift() ?? { status: 202, body: '{}' };
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(next.body ?? '{}');
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (...answers) => script.push(...answers),
    reset: () => {
      requests.length = 0;
      script.length = 0;
    },
    close: () => new Promise((closed) => server.close(() => closed())),
  };
}
