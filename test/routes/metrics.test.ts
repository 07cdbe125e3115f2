import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, WRITE_KEY } from '../helpers/app.ts';
import { useSeededApp } from '../helpers/node-runtime.ts';

/** GET /metrics: Prometheus' text format, behind the admin key, with what an operator watches. */
const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' };

describe('GET /metrics', () => {
  const { app } = useSeededApp();

  const scrape = async () => {
    const response = await app.request('/metrics', { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  const value = (text: string, series: string) =>
    Number(
      text
        .split('\n')
        .find((line) => line.startsWith(`${series} `))
        ?.split(' ')[1] ?? Number.NaN,
    );

  it('is refused without the admin key', async () => {
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { authorization: `Bearer ${WRITE_KEY}` } })).status).toBe(401);
  });

  it('counts requests by route and status, open latency, cache outcomes, fallbacks by cause, store and render time, events and queues', async () => {
    await app.open('grid', { u: 'metrics-one', m: 'm1' }, { headers: BROWSER });
    await app.open('grid', { u: 'metrics-one', m: 'm1' }, { headers: BROWSER });
    await app.open('no-such-block', { u: 'metrics-one' }, { headers: BROWSER });
    expect((await app.send('track', { userId: 'metrics-one', event: 'Product Viewed', properties: { product_id: 'p-red' } })).status).toBe(200);
    await app.settle();
    const text = await scrape();
    expect(text).toContain('# TYPE opentime_requests_total counter');
    expect(value(text, 'opentime_requests_total{route="/i/:file",method="GET",status="200"}')).toBe(3);
    expect(value(text, 'opentime_requests_total{route="/v1/track",method="POST",status="200"}')).toBe(1);
    expect(value(text, 'opentime_open_seconds_count')).toBe(3);
    expect(value(text, 'opentime_open_seconds_bucket{le="+Inf"}')).toBe(3);
    expect(value(text, 'opentime_open_cache_total{outcome="hit"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'opentime_fallbacks_total{kind="blank",cause="BLOCK_NOT_FOUND"}')).toBe(1);
    expect(value(text, 'opentime_store_seconds_count{method="getBlock"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'opentime_render_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'opentime_photo_fetch_seconds_count{outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'opentime_events_ingested_total')).toBe(1);
    expect(value(text, 'opentime_writer_queue{writer="reports"}')).toBe(0);
    // Never a subscriber or a URL's query.
    expect(text).not.toContain('metrics-one');
  });
});
