import type { ImageFetcher, LogFields, Logger, Rasterizer, Store } from '../ports.ts';

/**
 * Operators' figures of this instance, in Prometheus' text format
 * (`GET /metrics`): requests by route and status, histograms of open
 * latency, render, store-call and photo-fetch time, cache outcomes,
 * fallbacks by cause, events ingested and the writers' queues. Counted in
 * memory, per instance (Prometheus sums instances); label values come from
 * a bounded set (route patterns, store methods, error codes), never from a
 * URL or a subscriber.
 */
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const MAX_SERIES_PER_METRIC = 500;

type Labels = Record<string, string>;

/** The label texts of one kind of request, for each series a request adds to. */
interface RequestLabels {
  request: string;
  route: string;
  /** An open's (route /i/:file). */
  cache?: string;
  fallback?: string;
}

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

const HELP: Record<string, [type: 'counter' | 'histogram' | 'gauge', help: string]> = {
  opentime_requests_total: ['counter', 'HTTP requests answered, by route pattern, method and status.'],
  opentime_request_seconds: ['histogram', 'Time to answer a request, by route pattern (/i/:file is the open latency).'],
  opentime_open_seconds: ['histogram', 'Time to answer an open (the image route).'],
  opentime_render_seconds: ['histogram', 'Time to rasterize a render.'],
  opentime_store_seconds: ['histogram', 'Time of a store call, by method.'],
  opentime_photo_fetch_seconds: ['histogram', 'Time to fetch and resize a product or hero photo, by outcome.'],
  opentime_open_cache_total: ['counter', 'Opens by render-cache outcome: hit, miss, coalesced, fallback.'],
  opentime_fallbacks_total: ['counter', 'Opens answered with a fallback image, by kind and cause.'],
  opentime_events_ingested_total: ['counter', 'Events accepted by the events API, pixels and webhooks.'],
  opentime_writer_queue: ['gauge', 'Items waiting in a writer (reports, engagement, counters) to be written to the store.'],
};

const escapeLabel = (v: string) => (/[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v);

function labelText(labels: Labels): string {
  let text = '';
  for (const k in labels) text += `${text === '' ? '' : ','}${k}="${escapeLabel(labels[k] as string)}"`;
  return text === '' ? '' : `{${text}}`;
}

export class MetricsRegistry {
  private readonly counters = new Map<string, Map<string, number>>();
  private readonly histograms = new Map<string, Map<string, Histogram>>();
  private readonly gauges = new Map<string, () => Record<string, number>>();
  private readonly requestLabelTexts = new Map<string, RequestLabels>();

  inc(name: string, labels: Labels = {}, by = 1): void {
    this.add(name, labelText(labels), by);
  }

  private add(name: string, key: string, by = 1): void {
    const series = this.counters.get(name) ?? new Map<string, number>();
    if (!series.has(key) && series.size >= MAX_SERIES_PER_METRIC) return;
    series.set(key, (series.get(key) ?? 0) + by);
    this.counters.set(name, series);
  }

  observe(name: string, seconds: number, labels: Labels = {}): void {
    this.record(name, seconds, labelText(labels));
  }

  private record(name: string, seconds: number, key: string): void {
    const series = this.histograms.get(name) ?? new Map<string, Histogram>();
    let h = series.get(key);
    if (!h) {
      if (series.size >= MAX_SERIES_PER_METRIC) return;
      h = { counts: SECONDS_BUCKETS.map(() => 0), sum: 0, count: 0 };
      series.set(key, h);
    }
    for (let i = SECONDS_BUCKETS.length - 1; i >= 0 && seconds <= (SECONDS_BUCKETS[i] as number); i--) h.counts[i] = (h.counts[i] as number) + 1;
    h.sum += seconds;
    h.count++;
    this.histograms.set(name, series);
  }

  /** A gauge read when scraped: label value → number. */
  gauge(name: string, read: () => Record<string, number>): void {
    this.gauges.set(name, read);
  }

  /** One request as the request log has it (both the app and Node's direct image listener log every request). */
  request(fields: LogFields): void {
    const route = String(fields.route ?? '(none)');
    const seconds = Number(fields.ms ?? 0) / 1000;
    const labels = this.requestLabels(route, String(fields.method ?? ''), String(fields.status ?? ''), String(fields.cache ?? 'unknown'), String(fields.error ?? 'none'));
    this.add('opentime_requests_total', labels.request);
    this.record('opentime_request_seconds', seconds, labels.route);
    if (labels.cache === undefined) return;
    this.record('opentime_open_seconds', seconds, '');
    this.add('opentime_open_cache_total', labels.cache);
    if (labels.fallback !== undefined) this.add('opentime_fallbacks_total', labels.fallback);
  }

  /** A request's label texts, made once per combination (every open of a send has the same few). */
  private requestLabels(route: string, method: string, status: string, cache: string, error: string): RequestLabels {
    const combination = `${route}\n${method}\n${status}\n${cache}\n${error}`;
    let labels = this.requestLabelTexts.get(combination);
    if (labels) return labels;
    labels = { request: labelText({ route, method, status }), route: labelText({ route }) };
    if (route === '/i/:file') {
      const [outcome, kind] = cache.split(':');
      labels.cache = labelText({ outcome: outcome ?? cache });
      if (outcome === 'fallback') labels.fallback = labelText({ kind: kind ?? 'unknown', cause: error });
    }
    if (this.requestLabelTexts.size >= MAX_SERIES_PER_METRIC) this.requestLabelTexts.clear();
    this.requestLabelTexts.set(combination, labels);
    return labels;
  }

  text(): string {
    const lines: string[] = [];
    const head = (name: string) => {
      const [type, help] = HELP[name] ?? ['untyped', name];
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    for (const [name, series] of this.counters) {
      head(name);
      for (const [labels, value] of series) lines.push(`${name}${labels} ${value}`);
    }
    for (const [name, series] of this.histograms) {
      head(name);
      for (const [labels, h] of series) {
        const inner = labels === '' ? '' : `${labels.slice(1, -1)},`;
        SECONDS_BUCKETS.forEach((le, i) => {
          lines.push(`${name}_bucket{${inner}le="${le}"} ${h.counts[i]}`);
        });
        lines.push(`${name}_bucket{${inner}le="+Inf"} ${h.count}`, `${name}_sum${labels} ${h.sum}`, `${name}_count${labels} ${h.count}`);
      }
    }
    for (const [name, read] of this.gauges) {
      head(name);
      for (const [writer, value] of Object.entries(read())) lines.push(`${name}${labelText({ writer })} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** The work's own promise, observed when it settles (no extra async frame on the caller's path). */
function timed<T>(metrics: MetricsRegistry, name: string, labels: Labels, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const promise = work();
  const done = () => metrics.observe(name, (performance.now() - started) / 1000, labels);
  if (typeof promise?.then === 'function') promise.then(done, done);
  return promise;
}

/** The store with every call timed (`opentime_store_seconds` by method). */
export function timedStore(store: Store, metrics: MetricsRegistry): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function' || key === 'close' || typeof key !== 'string') return value;
      return (...args: unknown[]) => timed(metrics, 'opentime_store_seconds', { method: key }, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

export function timedRasterizer(rasterizer: Rasterizer, metrics: MetricsRegistry): Rasterizer {
  return {
    name: rasterizer.name,
    rasterize: (svg, scale) => timed(metrics, 'opentime_render_seconds', {}, () => rasterizer.rasterize(svg, scale)),
    rasterizeRgba: (svg, scale) => timed(metrics, 'opentime_render_seconds', {}, () => rasterizer.rasterizeRgba(svg, scale)),
  };
}

export function timedImages(images: ImageFetcher, metrics: MetricsRegistry): ImageFetcher {
  return {
    async fetchImage(url, box, signal) {
      const started = performance.now();
      let outcome = 'ok';
      try {
        return await images.fetchImage(url, box, signal);
      } catch (error) {
        outcome = 'failed';
        throw error;
      } finally {
        metrics.observe('opentime_photo_fetch_seconds', (performance.now() - started) / 1000, { outcome });
      }
    },
  };
}

/** The logger, with every request line also counted. */
export function countingLogger(logger: Logger, metrics: MetricsRegistry): Logger {
  // Every request passes here: one object made once, not a function per call.
  return {
    debug: (message, fields) => logger.debug?.(message, fields),
    info: (message, fields) => logger.info(message, fields),
    warn: (message, fields) => logger.warn(message, fields),
    error: (message, fields) => logger.error(message, fields),
    request: (fields) => {
      metrics.request(fields);
      logger.request(fields);
    },
  };
}
