import { z } from 'zod';
import { AppError } from './shared/errors.ts';
import { LOG_LEVELS } from './shared/logging.ts';
import { parseHostPatterns, type ImageUrlPolicy } from './images/url-safety.ts';
import type { RateLimitSettings } from './audience/rate-limit.ts';
import { parseSigningKeys, type SigningKey } from './audience/signing.ts';
import { describeProblems, problemsFrom } from './shared/validation.ts';
import type { TriggerSettings } from './triggers/engine.ts';

/**
 * Configuration from an injected environment object (process.env on Node,
 * the Worker's `env` on Workers), validated at once with every problem
 * reported together. Every limit says what it protects.
 */
const keyList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== ''),
  )
  .refine((keys) => keys.every((k) => k.length >= 16), 'each key must be at least 16 characters');

/**
 * Browser origins, `https://shop.example.com` (scheme, host and port, no path),
 * comma-separated, or `*` for any.
 */
const originList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((o) => o.trim().replace(/\/+$/, '').toLowerCase())
      .filter((o) => o !== ''),
  )
  .refine((origins) => origins.every((o) => o === '*' || isOrigin(o)), 'expected origins like https://shop.example.com (no path), comma-separated, or *');

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

/** OPENTIME_IMAGE_HOSTS: host patterns (src/core/images/url-safety.ts), every bad entry reported. */
const imageHosts = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    const { patterns, problems } = parseHostPatterns(v);
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return patterns;
  });

const int = (min: number, max: number, fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(min)
    .max(max)
    .optional()
    .transform((v) => v ?? fallback);

/** Redis Cluster seed nodes, `host:port` (IPv6 in brackets), comma-separated. */
const clusterNodes = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== ''),
  )
  .refine((nodes) => nodes.every((n) => CLUSTER_NODE.test(n) && Number(CLUSTER_NODE.exec(n)?.[2]) <= 65_535), 'expected host:port, comma-separated')
  .transform((nodes) =>
    nodes.map((n) => {
      const [, host = '', port = ''] = CLUSTER_NODE.exec(n) ?? [];
      return { host: host.replace(/^\[|\]$/g, ''), port: Number(port) };
    }),
  );
const CLUSTER_NODE = /^(\[[^\]\s]+\]|[^\s:[\]]+):(\d{1,5})$/;

/** An ESP's API origin: its documented host by default; http only for a test server on loopback. */
const espUrl = (fallback: string) =>
  z
    .url({ protocol: /^https?$/ })
    .optional()
    .transform((v) => (v ?? fallback).replace(/\/+$/, ''));

const flag = (fallback: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : ['1', 'true', 'yes', 'on'].includes(v)));

/** A flag left undefined when unset, for settings whose default depends on another. */
const optionalFlag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : ['1', 'true', 'yes', 'on'].includes(v)));

/**
 * The environment variables opentime reads. What each one means, its default and, for a limit,
 * what the limit protects are in CONFIG_SETTINGS below; docs/configuration.md is generated from it.
 */
export const configSchema = z.object({
  OPENTIME_ADMIN_KEY: keyList,
  OPENTIME_WRITE_KEY: keyList,
  OPENTIME_VIEWER_KEY: keyList,
  OPENTIME_SESSION_HOURS: int(1, 720, 12),
  OPENTIME_SIGNING_KEYS: z.string().min(1).optional(),
  OPENTIME_REQUIRE_SIGNATURE: flag(false),
  OPENTIME_SECRET: z.string().min(16).optional(),
  OPENTIME_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  OPENTIME_STORE_TIMEOUT_MS: int(5, 10_000, 50),
  OPENTIME_PHOTO_TIMEOUT_MS: int(100, 30_000, 2_000),
  OPENTIME_OPEN_RECORD_TTL_DAYS: int(1, 400, 30),
  OPENTIME_BLOCK_CACHE_SECONDS: int(0, 3600, 5),
  OPENTIME_RENDER_CACHE_MB: int(1, 16_384, 64),
  OPENTIME_LAYER_CACHE_MB: int(0, 16_384, 384),
  OPENTIME_DEFAULT_CLICK_URL: z.url({ protocol: /^https?$/ }).optional(),
  OPENTIME_DEMO: optionalFlag,
  OPENTIME_RETENTION_DAYS: int(1, 3650, 395),
  OPENTIME_REPORT_RETENTION_DAYS: int(1, 3650, 400),
  OPENTIME_CONSENT_CATEGORIES: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== ''),
    ),
  OPENTIME_IMAGE_RESIZING: z
    .enum(['none', 'cloudflare'])
    .optional()
    .transform((v) => v ?? 'none'),
  OPENTIME_IMAGE_HOSTS: imageHosts,
  OPENTIME_IMAGE_ALLOW_PRIVATE: flag(false),
  OPENTIME_IMAGE_MAX_REDIRECTS: int(0, 10, 3),
  OPENTIME_IMAGE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .optional(),
  OPENTIME_IMAGE_MAX_PIXELS: z.coerce.number().int().min(1).max(268_402_689).optional(),
  OPENTIME_OPT_OUT_TRAIT: z.string().min(1).max(100).optional(),
  OPENTIME_BROWSER_KEY: keyList,
  OPENTIME_CORS_ORIGINS: originList,
  OPENTIME_WEBHOOK_SECRET: keyList,
  OPENTIME_IDENTITY_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  OPENTIME_RATE_OPENS_PER_MINUTE: int(0, 1_000_000, 60),
  OPENTIME_RATE_EVENTS_PER_SECOND: int(0, 1_000_000, 1000),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'expected a redis:// or rediss:// URL')
    .optional(),
  REDIS_CLUSTER_NODES: clusterNodes,
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: z
    .enum(LOG_LEVELS)
    .optional()
    .transform((v) => v ?? 'info'),
  OPENTIME_REQUEST_LOG_PERCENT: int(0, 100, 100),
  OPENTIME_SHUTDOWN_SECONDS: int(0, 3600, 10),
  OPENTIME_TRIGGERS: z
    .enum(['on', 'dry-run', 'off'])
    .optional()
    .transform((v) => v ?? 'on'),
  OPENTIME_TRIGGER_POLL_SECONDS: int(1, 300, 1),
  OPENTIME_TRIGGER_RETRY_SECONDS: int(1, 3600, 30),
  OPENTIME_TRIGGER_MAX_ATTEMPTS: int(1, 50, 8),
  OPENTIME_KLAVIYO_URL: espUrl('https://a.klaviyo.com'),
  OPENTIME_KLAVIYO_API_KEY: z.string().min(1).optional(),
  OPENTIME_KLAVIYO_REVISION: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(\.\w+)?$/, 'expected a revision date such as 2024-10-15')
    .optional()
    .transform((v) => v ?? '2024-10-15'),
  OPENTIME_BRAZE_URL: espUrl('https://rest.iad-01.braze.com'),
  OPENTIME_BRAZE_API_KEY: z.string().min(1).optional(),
  OPENTIME_CUSTOMERIO_URL: espUrl('https://track.customer.io'),
  OPENTIME_CUSTOMERIO_SITE_ID: z.string().min(1).optional(),
  OPENTIME_CUSTOMERIO_API_KEY: z.string().min(1).optional(),
  OPENTIME_ITERABLE_URL: espUrl('https://api.iterable.com'),
  OPENTIME_ITERABLE_API_KEY: z.string().min(1).optional(),
  OPENTIME_TRIGGER_WEBHOOK_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  PORT: int(0, 65_535, 8787),
  OPENTIME_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  OPENTIME_DATA_DIR: z
    .string()
    .min(1)
    .optional()
    .transform((v) => v ?? './data'),
});

export type RawConfig = z.output<typeof configSchema>;

export interface AppConfig {
  adminKeys: string[];
  /** Read-only keys: the Studio and the admin API's reads, never a write. */
  viewerKeys?: string[];
  /** How long a Studio sign-in lasts. */
  sessionSeconds?: number;
  writeKeys: string[];
  secret: string;
  publicUrl?: string;
  storeTimeoutMs: number;
  photoTimeoutMs: number;
  openRecordTtlSeconds: number;
  /** OPENTIME_REPORT_RETENTION_DAYS; without it (tests that build a config by hand), 400. */
  reportRetentionDays?: number;
  blockCacheMs: number;
  defaultClickUrl?: string;
  demo: boolean;
  /**
   * The write key the demo page may show and use: only a development key generated by this
   * server, never one from the environment (the page is public).
   */
  demoWriteKey?: string;
  /** Output pixels per CSS pixel of a block. */
  scale: number;
  consentCategories: string[];
  optOutTrait?: string;
  signingKeys: SigningKey[];
  requireSignature: boolean;
  /** Public keys accepted from the browser snippet and pixels. */
  browserKeys?: string[];
  /** Origins allowed to call the events API from a browser; `*` is any. */
  corsOrigins?: string[];
  /** Shared secrets that sign webhook deliveries. */
  webhookSecrets?: string[];
  /** The secret a browser event's `context.userHash` is an HMAC under; unset: browser user ids are not verified. */
  identitySecret?: string;
  /** Per-instance rate limits; without them, none (tests that build a config by hand). */
  rateLimits?: RateLimitSettings;
  /** Behavioural triggers (core/triggers/); without them, triggers are off (tests that build a config by hand). */
  triggers?: TriggerSettings;
  /** How often a Node instance looks for due episodes. */
  triggerPollMs?: number;
}

/** A send that has had no answer for this long counts as failed (and is retried). */
const TRIGGER_SEND_TIMEOUT_MS = 10_000;
/** A claimed episode goes back to any instance after this long if its claimer died: well above the send timeout. */
const TRIGGER_LEASE_MS = 60_000;
const TRIGGER_BATCH = 50;

export function triggerSettings(raw: RawConfig): TriggerSettings {
  return {
    mode: raw.OPENTIME_TRIGGERS,
    retryBaseMs: raw.OPENTIME_TRIGGER_RETRY_SECONDS * 1000,
    maxAttempts: raw.OPENTIME_TRIGGER_MAX_ATTEMPTS,
    sendTimeoutMs: TRIGGER_SEND_TIMEOUT_MS,
    leaseMs: TRIGGER_LEASE_MS,
    batch: TRIGGER_BATCH,
    destinations: {
      klaviyo: { url: raw.OPENTIME_KLAVIYO_URL, apiKey: raw.OPENTIME_KLAVIYO_API_KEY, revision: raw.OPENTIME_KLAVIYO_REVISION },
      braze: { url: raw.OPENTIME_BRAZE_URL, apiKey: raw.OPENTIME_BRAZE_API_KEY },
      customerio: { url: raw.OPENTIME_CUSTOMERIO_URL, siteId: raw.OPENTIME_CUSTOMERIO_SITE_ID, apiKey: raw.OPENTIME_CUSTOMERIO_API_KEY },
      iterable: { url: raw.OPENTIME_ITERABLE_URL, apiKey: raw.OPENTIME_ITERABLE_API_KEY },
      webhook: { secret: raw.OPENTIME_TRIGGER_WEBHOOK_SECRET },
    },
  };
}

export function parseConfig(env: Record<string, string | undefined>): RawConfig {
  const result = configSchema.safeParse(env);
  const problems = result.success ? [] : problemsFrom(result.error);
  // Two stores named at once is a mistake that would silently split the data.
  if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) problems.push({ path: 'REDIS_CLUSTER_NODES', message: 'set REDIS_URL or REDIS_CLUSTER_NODES, not both' });
  if (!result.success || problems.length > 0) {
    throw new AppError('CONFIG_INVALID', `[opentime] invalid configuration: ${describeProblems(problems)}`, { details: problems });
  }
  return result.data;
}

export function isProduction(raw: RawConfig): boolean {
  return raw.NODE_ENV === 'production';
}

/** OPENTIME_DEMO when set; else on in development only. */
export function demoEnabled(raw: RawConfig): boolean {
  return raw.OPENTIME_DEMO ?? !isProduction(raw);
}

/** The settings of the photo fetcher (src/adapters/image/), for the entries that build it. */
export function imageFetchSettings(raw: RawConfig): { policy: ImageUrlPolicy; maxRedirects: number; maxBytes: number | undefined; maxPixels: number | undefined } {
  return {
    policy: { hosts: raw.OPENTIME_IMAGE_HOSTS, allowPrivate: raw.OPENTIME_IMAGE_ALLOW_PRIVATE },
    maxRedirects: raw.OPENTIME_IMAGE_MAX_REDIRECTS,
    maxBytes: raw.OPENTIME_IMAGE_MAX_BYTES,
    maxPixels: raw.OPENTIME_IMAGE_MAX_PIXELS,
  };
}

/** The app's view of the configuration, once keys and the secret are settled. */
export function appConfig(raw: RawConfig, keys: { adminKeys: string[]; writeKeys: string[]; secret: string; generated?: readonly string[] }): AppConfig {
  const config: AppConfig = {
    adminKeys: keys.adminKeys,
    writeKeys: keys.writeKeys,
    secret: keys.secret,
    storeTimeoutMs: raw.OPENTIME_STORE_TIMEOUT_MS,
    photoTimeoutMs: raw.OPENTIME_PHOTO_TIMEOUT_MS,
    openRecordTtlSeconds: raw.OPENTIME_OPEN_RECORD_TTL_DAYS * 86_400,
    reportRetentionDays: raw.OPENTIME_REPORT_RETENTION_DAYS,
    blockCacheMs: raw.OPENTIME_BLOCK_CACHE_SECONDS * 1000,
    demo: demoEnabled(raw),
    scale: 2,
    consentCategories: raw.OPENTIME_CONSENT_CATEGORIES,
    signingKeys: raw.OPENTIME_SIGNING_KEYS ? parseSigningKeys(raw.OPENTIME_SIGNING_KEYS) : [{ id: 'k1', secret: `${keys.secret}:signing` }],
    requireSignature: raw.OPENTIME_REQUIRE_SIGNATURE,
    rateLimits: { opensPerMinute: raw.OPENTIME_RATE_OPENS_PER_MINUTE, eventsPerSecond: raw.OPENTIME_RATE_EVENTS_PER_SECOND },
  };
  if (raw.OPENTIME_OPT_OUT_TRAIT !== undefined) config.optOutTrait = raw.OPENTIME_OPT_OUT_TRAIT;
  if (raw.OPENTIME_PUBLIC_URL !== undefined) config.publicUrl = raw.OPENTIME_PUBLIC_URL.replace(/\/+$/, '');
  if (raw.OPENTIME_DEFAULT_CLICK_URL !== undefined) config.defaultClickUrl = raw.OPENTIME_DEFAULT_CLICK_URL;
  if (config.demo && !isProduction(raw) && keys.generated?.includes('write') && keys.writeKeys[0] !== undefined) config.demoWriteKey = keys.writeKeys[0];
  config.browserKeys = raw.OPENTIME_BROWSER_KEY;
  config.viewerKeys = raw.OPENTIME_VIEWER_KEY;
  config.sessionSeconds = raw.OPENTIME_SESSION_HOURS * 3600;
  config.corsOrigins = raw.OPENTIME_CORS_ORIGINS;
  config.webhookSecrets = raw.OPENTIME_WEBHOOK_SECRET;
  if (raw.OPENTIME_IDENTITY_SECRET !== undefined) config.identitySecret = raw.OPENTIME_IDENTITY_SECRET;
  config.triggers = triggerSettings(raw);
  config.triggerPollMs = raw.OPENTIME_TRIGGER_POLL_SECONDS * 1000;
  return config;
}

/** How docs/configuration.md presents one environment variable (`npm run docs:config` writes it). */
export interface SettingDoc {
  /** The section of the reference it is listed in. */
  group: SettingGroup;
  /** What it sets, in a sentence or two of Markdown (links are relative to docs/). */
  description: string;
  /** For a limit: what it protects, and why the default is what it is. */
  reason?: string;
  /**
   * The default in words, only where the schema has none to show (it is unset, or depends on the
   * runtime or on another setting); a plain default is read from the schema, so it cannot drift.
   */
  default?: string;
  /** Read by one runtime only. */
  runtime?: 'node' | 'workers';
  /** What a value looks like, where the schema reads a plain string and parses it further (lists, URLs). */
  accepts?: string;
}

export const SETTING_GROUPS = ['Server', 'Keys and secrets', 'Store', 'Opens and rendering', 'Photos', 'Events, privacy and consent', 'Rate limits', 'Triggers'] as const;
export type SettingGroup = (typeof SETTING_GROUPS)[number];

/** One entry per variable of the schema: the compiler refuses a variable without its documentation. */
export const CONFIG_SETTINGS = {
  PORT: { group: 'Server', runtime: 'node', description: 'HTTP port. `0` picks a free one.' },
  NODE_ENV: {
    accepts: '`production`, or anything else for development',
    group: 'Server',
    default: 'unset (development)',
    description:
      '`production` refuses to start without `OPENTIME_ADMIN_KEY`, `OPENTIME_WRITE_KEY` and `OPENTIME_SECRET`, and turns the demo off unless `OPENTIME_DEMO=1`. See [Production](production.md).',
  },
  LOG_LEVEL: { group: 'Server', description: 'The least severe log lines written: `debug`, `info` (request lines included), `warn` or `error`. See [Logging](#logging).' },
  OPENTIME_REQUEST_LOG_PERCENT: {
    group: 'Server',
    description:
      'Share of image opens answered from the render cache whose request line is written, in percent; misses, fallbacks, errors and every other route are always written. See [Logging](#logging).',
    reason: 'At a send’s rate, cache hits are most of the log and a write for every open, saying the same thing each time; 1–10 keeps their shape for a tenth of the cost.',
  },
  OPENTIME_PUBLIC_URL: {
    group: 'Server',
    default: "the request's origin",
    description:
      'The public origin emails point at, e.g. `https://live.example.com`, used in snippets, `opentime links` and the demo catalog. Unset, the demo uses the origin a browser reached it on, when its `Host` is a plain host name or address.',
  },
  OPENTIME_DEMO: {
    group: 'Server',
    default: 'on in development; off with `NODE_ENV=production` and on Workers',
    description:
      "Serve the demo page, demo catalog and demo photos (`1` or `0`). Its page shows only a write key this server generated for development. Started with `0`, the demo's products and block are removed from the store.",
    reason: 'Off in production unless asked for, so a deploy never serves the demo by accident.',
  },
  OPENTIME_DEFAULT_CLICK_URL: { group: 'Server', default: 'none', description: 'Where a click on an unknown (or deleted) block goes; unset, a "no longer available" page.' },
  OPENTIME_METRICS_PORT: {
    group: 'Server',
    runtime: 'node',
    default: 'none',
    description:
      'Also serve `/metrics` (Prometheus text format) on this port, without the admin key, and nothing else there. Unset: `/metrics` only on the main port, behind the admin key. See docs/reports.md.',
    reason: 'A scraper inside the private network needs no admin key; keep this port off the public internet.',
  },
  OPENTIME_SHUTDOWN_SECONDS: {
    group: 'Server',
    runtime: 'node',
    description: 'On `SIGTERM`, how long requests in flight get to finish before their connections are closed; then background work is flushed and the store closed.',
    reason: "Below the orchestrator's grace period (30 s on Kubernetes), so the instance finishes its own shutdown before it is killed.",
  },
  OPENTIME_ADMIN_KEY: {
    accepts: 'keys, comma-separated, each at least 16 characters',
    group: 'Keys and secrets',
    default: 'generated in development (`data/keys.json`); required in production and on Workers',
    description: 'Admin API keys (`Authorization: Bearer …`), comma-separated so a key can be rotated. Each at least 16 characters.',
  },
  OPENTIME_WRITE_KEY: {
    accepts: 'keys, comma-separated, each at least 16 characters',
    group: 'Keys and secrets',
    default: 'generated in development (`data/keys.json`); required in production and on Workers',
    description: "Event write keys (Segment's HTTP Basic username, or `writeKey` in the body), comma-separated. Each at least 16 characters. Keep them on your servers.",
  },
  OPENTIME_VIEWER_KEY: {
    accepts: 'keys, comma-separated, each at least 16 characters',
    group: 'Keys and secrets',
    default: 'none',
    description:
      "Read-only keys for the [Studio](studio.md) (and `Authorization: Bearer …` on the admin API's reads): a viewer sees every block, preview and report and can change nothing.",
    reason: 'Someone who only reads reports need not hold a key that can delete blocks.',
  },
  OPENTIME_SESSION_HOURS: {
    group: 'Keys and secrets',
    description:
      'How long a [Studio](studio.md) sign-in lasts: the session cookie is signed with `OPENTIME_SECRET` and the keys, so any instance accepts it and rotating a key ends the sessions made with it.',
    reason: 'A laptop left signed in does not stay signed in for ever.',
  },
  OPENTIME_SECRET: {
    group: 'Keys and secrets',
    default: 'generated in development (`data/keys.json`); required in production and on Workers',
    description: 'Key for the keyed hashes of email-shaped ids. Changing it orphans those profiles.',
  },
  OPENTIME_SIGNING_KEYS: {
    accepts: '`id:secret` pairs, comma-separated',
    group: 'Keys and secrets',
    default: 'one key derived from `OPENTIME_SECRET`',
    description:
      'Keys that sign and verify `t=`, `sig=` and `jwt=`: `k2:secret,k1:secret`. The first signs, every one listed verifies, and `k=` in a URL names its key, so a key is rotated by putting the new one first and dropping the old one once emails signed with it are no longer opened. See [Signed links](signed-links.md).',
  },
  OPENTIME_REQUIRE_SIGNATURE: {
    group: 'Keys and secrets',
    description:
      "Every block shows personal content only to signed requests (a block's `require_signature` overrides it); unsigned ones get the generic image, and the open pixel records nothing.",
    reason: 'Stops anyone who guesses a `u=` from seeing what that subscriber viewed or carted.',
  },
  OPENTIME_BROWSER_KEY: {
    accepts: 'keys, comma-separated, each at least 16 characters',
    group: 'Keys and secrets',
    default: 'none',
    description:
      'Keys for the browser snippet and pixels, comma-separated, each at least 16 characters. Public (anyone can read them in the page); refused from browsers on origins not in `OPENTIME_CORS_ORIGINS`. See [the browser key and identity](security.md#the-browser-key-and-identity).',
    reason: 'Kept apart from `OPENTIME_WRITE_KEY`, so the server key never ships to browsers and each can be rotated alone.',
  },
  OPENTIME_IDENTITY_SECRET: {
    group: 'Keys and secrets',
    default: 'none: browser user ids are not verified',
    description:
      "A browser-key event that names a `userId` must carry `context.userHash`, the hex HMAC-SHA256 of the userId under this secret, computed by the shop's server (`403 USER_HASH_INVALID` otherwise).",
    reason: "Without it, anyone reading the page's public key can file their own browsing under any `userId`.",
  },
  OPENTIME_WEBHOOK_SECRET: {
    accepts: 'secrets, comma-separated, each at least 16 characters',
    group: 'Keys and secrets',
    default: 'none: the webhook is off',
    description:
      "Shared secrets of Segment's (or Customer.io's) webhook destination, comma-separated for rotation. A delivery must carry `X-Signature` = HMAC-SHA1(secret, body). See [the webhook](collecting-behaviour.md#from-segment-customerio-and-rudderstack).",
  },
  OPENTIME_DATA_DIR: { accepts: 'a directory', group: 'Store', runtime: 'node', description: 'The embedded store (`opentime.db`, SQLite in WAL mode) and the generated keys.' },
  REDIS_URL: {
    accepts: 'a `redis://` or `rediss://` URL',
    group: 'Store',
    runtime: 'node',
    default: 'none: the embedded store',
    description:
      'Use Redis (7.0 or newer) instead of the embedded store: `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS. Every instance given the same Redis shares one state. See [Stores](stores.md).',
  },
  REDIS_CLUSTER_NODES: {
    accepts: '`host:port`, comma-separated',
    group: 'Store',
    runtime: 'node',
    default: 'none',
    description: 'Use Redis Cluster: seed nodes as `host:port` (IPv6 in brackets), comma-separated. Not together with `REDIS_URL`.',
  },
  OPENTIME_STORE_TIMEOUT_MS: {
    group: 'Store',
    description:
      "Each store call made while answering an open gets this long; past it, the fallback image. `wrangler.toml` sets `250` on Workers, where a subscriber's Durable Object may be on another continent.",
    reason: 'An email client waits for the image: a slow store costs a fallback, never a hanging open.',
  },
  OPENTIME_RETENTION_DAYS: {
    group: 'Store',
    description: 'A profile not written for this long expires by itself, and so does an identity link this long after the identify or alias that made it.',
    reason: "Data minimisation: nothing about a subscriber who has gone quiet is kept for ever (395 days: a year and a month, so last year's season is still known).",
  },
  OPENTIME_REPORT_RETENTION_DAYS: {
    group: 'Store',
    description:
      'How long report aggregates (counts and sets of people by hour and by day, see docs/reports.md) are kept; older buckets are dropped by the store. Raw opens are never kept.',
    reason: 'Bounds what reports keep: aggregates grow with blocks, sends and days, never with opens; 400 days covers last year’s season.',
  },
  OPENTIME_OPEN_RECORD_TTL_DAYS: {
    group: 'Store',
    description: 'How long what an open showed is kept for its click.',
    reason: 'Bounds the records one send leaves behind; most clicks come within days of the open.',
  },
  OPENTIME_BLOCK_CACHE_SECONDS: {
    group: 'Opens and rendering',
    description: 'How long an instance trusts its copy of a block config before reading it again, so updates made through another instance show up.',
  },
  OPENTIME_RENDER_CACHE_MB: {
    group: 'Opens and rendering',
    description:
      'Rendered images kept in memory per instance (on Workers at most 16 MB per isolate, besides the Cache API): about 700 product blocks of 1200×600 with photos (JPEGs of about 90 KB). Most of a send’s renders are each one subscriber’s, opened once; the shared ones (the generic picks, a hero) are the ones kept, and an answer given again within seconds is kept by the answer memo besides. In the bench’s send, 64 MB rendered 1.6% more than 128 MB did. See [Memory](performance.md#memory).',
    reason: 'Bounds memory whatever the number of distinct renders.',
  },
  OPENTIME_LAYER_CACHE_MB: {
    group: 'Opens and rendering',
    description:
      'Block layers and product tiles kept as raw pixels per instance, so that a decision never drawn before is composited instead of laid out: a 1200×600 layer is 2.2 MB, a product card of it about 0.33 MB (the pixels of its photo and text; its background is not kept), so the default holds about 1,100 products’ cards. It must hold the cards of the products a send shows, or opens draw them while they wait. `0` draws every image whole (on Workers at most 24 MB per isolate). See [Rendering: layers and tiles](architecture.md#rendering-layers-and-tiles).',
    reason: 'Bounds memory: the least recently used layers and tiles are dropped first.',
  },
  OPENTIME_IMAGE_RESIZING: {
    group: 'Photos',
    runtime: 'workers',
    description:
      '`cloudflare` fetches product photos through Cloudflare Images transformations (enable them on your zone), scaled at the edge to the size they are drawn, instead of embedding the original.',
    reason: 'resvg decodes an embedded photo whole: a full-size photo costs CPU time on every render that misses the cache.',
  },
  OPENTIME_PHOTO_TIMEOUT_MS: {
    group: 'Photos',
    description: 'A product or hero photo slower than this (redirects and download together) counts as missing.',
    reason: 'A slow image host cannot hold a render (and the open waiting for it).',
  },
  OPENTIME_IMAGE_HOSTS: {
    accepts: 'host patterns, comma-separated',
    group: 'Photos',
    default: 'any host whose addresses are public',
    description:
      'Hosts photos may be fetched from, comma-separated: `cdn.shop.com`, `*.imgix.net` (any subdomain), `host:8443` or `host:*` for a port other than 80/443. See [Fetching product and hero photos](security.md#fetching-product-and-hero-photos).',
    reason:
      "Photo URLs come only from admin writes and the address checks keep fetches out of the server's own network; setting it means a leaked admin key cannot make the server fetch anywhere else.",
  },
  OPENTIME_IMAGE_ALLOW_PRIVATE: {
    group: 'Photos',
    description: 'Development and tests only: photos may come from loopback, private, CGNAT and unique-local addresses; link-local and cloud metadata addresses stay refused.',
    reason: 'Off, a photo URL cannot reach localhost, the LAN or a cloud metadata service (SSRF).',
  },
  OPENTIME_IMAGE_MAX_REDIRECTS: {
    group: 'Photos',
    description: 'Redirects a photo fetch follows, each target checked again.',
    reason: 'A redirect chain cannot hold a render or hide where it ends.',
  },
  OPENTIME_IMAGE_MAX_BYTES: {
    group: 'Photos',
    default: '15 MB on Node, 4 MB on Workers',
    description: 'A larger photo is cut off and refused.',
    reason: 'Memory, and a photo URL that points at a video.',
  },
  OPENTIME_IMAGE_MAX_PIXELS: {
    group: 'Photos',
    default: '40 M on Node, 8 M on Workers',
    description: 'A photo whose header claims more pixels is refused before it is decoded.',
    reason: 'Decompression bombs: a small file that decodes to gigabytes.',
  },
  OPENTIME_CONSENT_CATEGORIES: {
    accepts: 'category names, comma-separated',
    group: 'Events, privacy and consent',
    default: 'none',
    description:
      'Segment consent categories (`context.consent.categoryPreferences`), comma-separated, that a subscriber must not deny to be tracked: a denial suppresses them, a later grant lifts that suppression. See [Stores](stores.md).',
  },
  OPENTIME_OPT_OUT_TRAIT: {
    accepts: 'a trait name, at most 100 characters',
    group: 'Events, privacy and consent',
    default: 'none',
    description: 'A trait that opts a subscriber out when `true` (and back in when `false`), e.g. `opentime_opt_out`.',
  },
  OPENTIME_CORS_ORIGINS: {
    accepts: 'origins, comma-separated, or `*`',
    group: 'Events, privacy and consent',
    default: 'none',
    description:
      'Shop origins whose pages may call the events API, comma-separated (`https://shop.example.com`, no path), or `*`. Browsers on other origins cannot read the answers and are refused the browser key. See [CORS](collecting-behaviour.md#cors).',
  },
  OPENTIME_RATE_OPENS_PER_MINUTE: {
    group: 'Rate limits',
    description:
      'Opens (`/i/…` images and the `/o/…` pixel) one subscriber may make per minute on one instance, all at once if they like; past it, the generic image from the render cache. `0`: no limit. See [Rate limits](security.md#rate-limits).',
    reason: 'A hot-looping client or a script hammering one `u=` costs no profile reads and no renders. An email with ten live images opened five times in a minute is 50.',
  },
  OPENTIME_RATE_EVENTS_PER_SECOND: {
    group: 'Rate limits',
    description: 'Events API requests (`/v1/track` … `/v1/batch`, `/v1/p.gif`, the webhook) per key per second on one instance; past it, `429` with `Retry-After`. `0`: no limit.',
    reason: "A runaway sender cannot take the instance's store writes from everyone else; 1,000 is Segment's own recommended ceiling per source.",
  },
  OPENTIME_TRIGGERS: {
    group: 'Triggers',
    description:
      '`on` sends behavioural triggers through their ESPs; `dry-run` records what each would send (`GET /v1/triggers/:id/sends`) and sends nothing; `off` is the kill switch for all: no episode starts and none fires (waiting ones keep until it is back `on`). See [Triggers](triggers.md).',
  },
  OPENTIME_TRIGGER_POLL_SECONDS: {
    group: 'Triggers',
    runtime: 'node',
    description: 'How often each instance claims due episodes from the store. On Workers a Durable Object alarm fires at the due time itself.',
    reason: 'One claim per instance per interval, whatever the number of waiting episodes: a short wait is late by at most this much.',
  },
  OPENTIME_TRIGGER_RETRY_SECONDS: {
    group: 'Triggers',
    description:
      "A send the ESP refused with 429 or 5xx, or did not answer, is tried again after this long, doubling each time (at most an hour); a 429's `Retry-After` is waited out when it is longer.",
    reason: 'Backs off from an ESP that is down or rate-limiting instead of hammering it.',
  },
  OPENTIME_TRIGGER_MAX_ATTEMPTS: {
    group: 'Triggers',
    description: 'Tries of one send in all; then it goes to the dead letters (`GET /v1/triggers/dead-letters`), where it can be replayed.',
    reason: 'Bounds how long a broken destination keeps episodes retrying (8 tries from 30 s: about two hours).',
  },
  OPENTIME_KLAVIYO_URL: { accepts: 'a URL', group: 'Triggers', description: "Klaviyo's API origin (`POST /api/events`)." },
  OPENTIME_KLAVIYO_API_KEY: {
    group: 'Triggers',
    default: 'none',
    description: 'A Klaviyo private API key with the `events:write` scope, for `klaviyo` destinations. Never in the trigger JSON.',
  },
  OPENTIME_KLAVIYO_REVISION: { group: 'Triggers', description: "The `revision` header Klaviyo's API requires (the API version the request is written for)." },
  OPENTIME_BRAZE_URL: {
    accepts: 'a URL',
    group: 'Triggers',
    description: "Your Braze instance's REST endpoint, e.g. `https://rest.fra-01.braze.eu` (it differs per customer: see Braze's dashboard).",
  },
  OPENTIME_BRAZE_API_KEY: {
    group: 'Triggers',
    default: 'none',
    description: 'A Braze REST API key with `campaigns.trigger.send` and `canvas.trigger.send`, for `braze` destinations.',
  },
  OPENTIME_CUSTOMERIO_URL: { accepts: 'a URL', group: 'Triggers', description: "Customer.io's Track API origin; `https://track-eu.customer.io` for an EU workspace." },
  OPENTIME_CUSTOMERIO_SITE_ID: { group: 'Triggers', default: 'none', description: "The Track API's site id (HTTP Basic user), for `customerio` destinations." },
  OPENTIME_CUSTOMERIO_API_KEY: { group: 'Triggers', default: 'none', description: "The Track API's key (HTTP Basic password)." },
  OPENTIME_ITERABLE_URL: { accepts: 'a URL', group: 'Triggers', description: "Iterable's API origin; `https://api.eu.iterable.com` for an EU project." },
  OPENTIME_ITERABLE_API_KEY: { group: 'Triggers', default: 'none', description: 'An Iterable server-side API key (`Api-Key` header), for `iterable` destinations.' },
  OPENTIME_TRIGGER_WEBHOOK_SECRET: {
    group: 'Triggers',
    default: 'none: webhook destinations fail until it is set',
    description:
      "The Standard Webhooks secret that signs `webhook` destinations (`whsec_` and base64, as the specification's libraries take it, or any string of 16 characters or more).",
  },
} as const satisfies Record<keyof typeof configSchema.shape, SettingDoc>;

/** Variables read before the configuration exists (by the launcher, `npm start`), documented beside it. */
export const LAUNCHER_SETTINGS = {
  OPENTIME_NODE_PREFIX: {
    accepts: 'a directory',
    group: 'Server',
    runtime: 'node',
    default: '`~/.cache/opentime/node24`',
    description: "Where `npm start` and `npm test` keep the Node 24 build they fetch from the npm registry when the machine's Node is older than 22.18.",
  },
  MALLOC_ARENA_MAX: {
    accepts: 'an integer',
    group: 'Server',
    runtime: 'node',
    default: '`2` under `npm start`',
    description: "glibc's malloc arenas. Set it yourself when you run `node src/node.ts` directly. See [Memory](performance.md#memory).",
    reason: 'Each arena keeps the memory freed in it; glibc otherwise makes up to 8 per core, one for each thread that allocates (sharp’s, libuv’s).',
  },
  MALLOC_MMAP_THRESHOLD_: {
    accepts: 'bytes',
    group: 'Server',
    runtime: 'node',
    default: '`131072` under `npm start`',
    description: 'Allocations of this size and more are mapped and given back to the system when freed. Set it yourself when you run `node src/node.ts` directly.',
    reason:
      'Pixels and encoded images are 100 KB to 3 MB; glibc’s own threshold rises to the largest block freed, after which they stay in the arenas as holes (sharp’s 100 KB JPEGs took 1.6 × their bytes in RSS, 1.25 × with it fixed).',
  },
  NODE_OPTIONS: {
    accepts: 'Node.js options',
    group: 'Server',
    runtime: 'node',
    default: '`npm start` adds `--max-semi-space-size=16` unless it names that option',
    description: "Node's own options. Add `--max-semi-space-size=16` yourself when you run `node src/node.ts` directly.",
    reason: 'V8’s young generation otherwise grows to 128 MB resident; at 16 MB a semi-space it stays at 32 MB.',
  },
} as const satisfies Record<string, SettingDoc>;
