import type { Server } from 'node:http';

/**
 * Listening and stopping for the Node server.
 *
 * Shutdown (SIGTERM, Ctrl-C) in order:
 * 1. draining: /readyz answers 503, and answers say `Connection: close` so
 *    keep-alive clients reconnect elsewhere;
 * 2. the server keeps listening while requests are in flight (a load balancer
 *    that has not yet seen the 503 still gets answers), for at most the deadline;
 * 3. it stops listening; connections still open at the deadline are closed;
 * 4. the caller flushes background work and closes the store.
 */
export interface Lifecycle {
  readonly draining: boolean;
  /** Requests received and not yet answered. */
  readonly inFlight: number;
  /** Steps 1–3; resolves with the number of requests cut off at the deadline. */
  drain(deadlineMs: number): Promise<number>;
}

const POLL_MS = 25;

/** `lane`: requests answered beside the server's own (the socket lane), counted as in flight too. */
export function serverLifecycle(server: Server, lane: { readonly inFlight: number } = { inFlight: 0 }): Lifecycle {
  let draining = false;
  let ownInFlight = 0;
  const inFlight = () => ownInFlight + lane.inFlight;
  server.on('request', (_req, res) => {
    ownInFlight += 1;
    if (draining) res.shouldKeepAlive = false;
    res.once('close', () => (ownInFlight -= 1));
  });

  async function drain(deadlineMs: number): Promise<number> {
    draining = true;
    const deadline = Date.now() + deadlineMs;
    while (inFlight() > 0 && Date.now() < deadline) await sleep(POLL_MS);
    const closed = new Promise<void>((done) => server.close(() => done()));
    server.closeIdleConnections();
    while (inFlight() > 0 && Date.now() < deadline) await sleep(POLL_MS);
    const cut = inFlight();
    server.closeAllConnections();
    await closed;
    return cut;
  }

  return {
    get draining() {
      return draining;
    },
    get inFlight() {
      return inFlight();
    },
    drain,
  };
}

/** Listens on `port`; a port in use is an error that names it and says how to pick another. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((ready, failed) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        failed(new Error(`[opentime] port ${port} is already in use. Stop what listens there, or pick another port: PORT=${port + 1} npm start`, { cause: error }));
      else if (error.code === 'EACCES') failed(new Error(`[opentime] no permission to listen on port ${port}; pick a port above 1023: PORT=8787 npm start`, { cause: error }));
      else failed(error);
    };
    server.once('error', onError);
    server.listen(port, () => {
      server.off('error', onError);
      const address = server.address();
      ready(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
