import { createServer, type Server } from 'node:http';
import type { MetricsRegistry } from '../../core/shared/metrics.ts';
import { METRICS_CONTENT_TYPE } from '../../routes/metrics.ts';
import { listen } from './lifecycle.ts';

/**
 * OPENTIME_METRICS_PORT: `/metrics` on a port of its own, without the admin
 * key (as imgproxy does), for a scraper inside the private network. It
 * answers nothing else, so opening that port exposes no other route.
 */
export async function startMetricsServer(metrics: MetricsRegistry, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('only /metrics here\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' }).end(metrics.text());
  });
  const bound = await listen(server, port);
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
