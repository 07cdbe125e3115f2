import { Liquid, type Template } from 'liquidjs';
import { LRUCache } from 'lru-cache';
import { formatMoney } from '../render/money.ts';

/**
 * Liquid as Shopify, Klaviyo and Braze users write it, locked down: every
 * output is HTML-escaped (a product title `<img onerror=…>` or `{{` is
 * text), templates cannot include files or other templates, only the
 * filters below and Liquid's standard ones exist, only own properties of
 * the data are visible, and parse size, render time and memory are bounded.
 */
export const TEMPLATE_MAX_CHARS = 64 * 1024;
const RENDER_LIMIT_MS = 250;
const MEMORY_LIMIT = 20_000_000;

function scopeValue(context: { getSync(path: string[]): unknown }, path: string[]): unknown {
  try {
    return context.getSync(path);
  } catch {
    return undefined;
  }
}

const DATE_STYLES: Record<string, Intl.DateTimeFormatOptions> = {
  date: { dateStyle: 'medium' },
  'date-long': { dateStyle: 'long' },
  time: { timeStyle: 'short' },
  datetime: { dateStyle: 'medium', timeStyle: 'short' },
  weekday: { weekday: 'long' },
  'weekday-short': { weekday: 'short' },
  'day-month': { day: 'numeric', month: 'long' },
  'weekday-time': { weekday: 'short', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
};

function toDate(value: unknown, now: unknown): Date | undefined {
  if (value === 'now' || value === undefined || value === null || value === '') value = now;
  const date = typeof value === 'number' ? new Date(value) : typeof value === 'string' ? new Date(value) : value instanceof Date ? value : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

export function createLiquid(): Liquid {
  const engine = new Liquid({
    outputEscape: 'escape',
    strictFilters: true,
    ownPropertyOnly: true,
    dynamicPartials: false,
    templates: {},
    parseLimit: TEMPLATE_MAX_CHARS,
    renderLimit: RENDER_LIMIT_MS,
    memoryLimit: MEMORY_LIMIT,
  });

  /** {{ product.price | money }} or {{ 12.5 | money: "EUR", "de-DE" }} */
  engine.registerFilter('money', function (this: { context: { getSync(path: string[]): unknown } }, amount: unknown, currency?: unknown, locale?: unknown) {
    const value = Number(amount);
    if (!Number.isFinite(value)) return '';
    const code = typeof currency === 'string' && /^[A-Za-z]{3}$/.test(currency) ? currency.toUpperCase() : String(scopeValue(this.context, ['currency']) ?? 'USD');
    const lang = typeof locale === 'string' ? locale : String(scopeValue(this.context, ['params', 'locale']) ?? 'en-US');
    return formatMoney(value, code, lang);
  });

  /** {{ "now" | datetime: "weekday-time", "America/New_York" }}: a date in a time zone, in the block's locale. */
  engine.registerFilter('datetime', function (this: { context: { getSync(path: string[]): unknown } }, value: unknown, style?: unknown, timeZone?: unknown, locale?: unknown) {
    const date = toDate(value, scopeValue(this.context, ['now']));
    if (!date) return '';
    const options: Intl.DateTimeFormatOptions = { ...(DATE_STYLES[String(style ?? 'date')] ?? DATE_STYLES.date) };
    const zone = typeof timeZone === 'string' && timeZone !== '' ? timeZone : scopeValue(this.context, ['timezone']);
    if (typeof zone === 'string') options.timeZone = zone;
    const lang = typeof locale === 'string' ? locale : String(scopeValue(this.context, ['params', 'locale']) ?? 'en-US');
    try {
      return new Intl.DateTimeFormat(lang, options).format(date);
    } catch {
      return new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' }).format(date);
    }
  });

  /** {{ count }} {{ count | plural: "item", "items" }}: the word for the count, by the locale's plural rules. */
  engine.registerFilter('plural', function (this: { context: { getSync(path: string[]): unknown } }, count: unknown, one: unknown, other: unknown) {
    const lang = String(scopeValue(this.context, ['params', 'locale']) ?? 'en-US');
    let rule: string;
    try {
      rule = new Intl.PluralRules(lang).select(Number(count));
    } catch {
      rule = Number(count) === 1 ? 'one' : 'other';
    }
    return String(rule === 'one' ? one : (other ?? one));
  });

  return engine;
}

/** Parsed templates by source digest: parsing is the costly part. */
export class TemplateEngine {
  private readonly engine = createLiquid();
  private readonly parsed = new LRUCache<string, Template[]>({ max: 500 });

  parse(key: string, source: string): Template[] {
    let templates = this.parsed.get(key);
    if (!templates) {
      templates = this.engine.parse(source);
      this.parsed.set(key, templates);
    }
    return templates;
  }

  async render(key: string, source: string, scope: object): Promise<string> {
    // Synchronous rendering: every filter here is synchronous, and Liquid's async mode costs a promise per node.
    return this.engine.renderSync(this.parse(key, source), scope) as string;
  }
}
