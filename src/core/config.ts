import { z } from 'zod';
import { AppError } from './shared/errors.ts';
import { LOG_LEVELS } from './shared/logging.ts';
import { parseHostPatterns, type ImageUrlPolicy } from './images/url-safety.ts';
import type { RateLimitSettings } from './audience/rate-limit.ts';
import { parseSigningKeys, type SigningKey } from './audience/signing.ts';
import { describeProblems, problemsFrom } from './shared/validation.ts';

/**
 * Configuration from an injected environment object (process.env on Node,
 * the Worker's `env` on Workers), validated at once with every problem
 * reported together. Every limit says what it protects.
 */
const keyList = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((k) => k.trim()).filter((k) => k !== ''))
  .refine((keys) => keys.every((k) => k.length >= 16), 'each key must be at least 16 characters');

/**
 * Browser origins, `https://shop.example.com` (scheme, host and port, no path),
 * comma-separated, or `*` for any.
 */
const originList = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((o) => o.trim().replace(/\/+$/, '').toLowerCase()).filter((o) => o !== ''))
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
  z.coerce.number().int().min(min).max(max).optional().transform((v) => v ?? fallback);

/** Redis Cluster seed nodes, `host:port` (IPv6 in brackets), comma-separated. */
const clusterNodes = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((n) => n.trim()).filter((n) => n !== ''))
  .refine((nodes) => nodes.every((n) => CLUSTER_NODE.test(n) && Number(CLUSTER_NODE.exec(n)?.[2]) <= 65_535), 'expected host:port, comma-separated')
  .transform((nodes) =>
    nodes.map((n) => {
      const [, host = '', port = ''] = CLUSTER_NODE.exec(n) ?? [];
      return { host: host.replace(/^\[|\]$/g, ''), port: Number(port) };
    }),
  );
const CLUSTER_NODE = /^(\[[^\]\s]+\]|[^\s:[\]]+):(\d{1,5})$/;

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

export const configSchema = z.object({
  /** Admin API keys (Bearer), comma-separated so a key can be rotated. */
  OPENTIME_ADMIN_KEY: keyList,
  /** Event write keys (Segment's HTTP Basic username, or `writeKey` in the body). */
  OPENTIME_WRITE_KEY: keyList,
  /**
   * Keys for signed URLs and subscriber tokens, `k1:secret,k2:secret`: the
   * first signs, all verify, so a key is rotated by putting the new one first
   * and dropping the old one once emails signed with it are no longer opened.
   * Unset: one key derived from OPENTIME_SECRET.
   */
  OPENTIME_SIGNING_KEYS: z.string().min(1).optional(),
  /** Require a subscriber token or signature on every block that does not say otherwise (stops `u=` enumeration). */
  OPENTIME_REQUIRE_SIGNATURE: flag(false),
  /** Secret for keyed hashes of email-shaped ids; changing it orphans those profiles. */
  OPENTIME_SECRET: z.string().min(16).optional(),
  /** The public origin emails point at, e.g. https://live.example.com (used in snippets). */
  OPENTIME_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Each store call made while answering an open gets this long; then the fallback is served. */
  OPENTIME_STORE_TIMEOUT_MS: int(5, 10_000, 50),
  /** A product photo that does not arrive in time is treated as missing. */
  OPENTIME_PHOTO_TIMEOUT_MS: int(100, 30_000, 2_000),
  /** How long what an open showed is kept for its click. */
  OPENTIME_OPEN_RECORD_TTL_DAYS: int(1, 400, 30),
  /** An instance re-reads block configs after this long, so updates made elsewhere show up. */
  OPENTIME_BLOCK_CACHE_SECONDS: int(0, 3600, 5),
  /** Rendered images kept in memory per instance. */
  OPENTIME_RENDER_CACHE_MB: int(1, 16_384, 256),
  /**
   * Rasterized block layers and product tiles (raw pixels) kept per instance, so that a decision
   * never drawn before is composited instead of laid out: a 1200×600 layer is 2.9 MB, a product
   * card about 0.6 MB. 0 draws every grid whole.
   */
  OPENTIME_LAYER_CACHE_MB: int(0, 16_384, 512),
  /** Where a click goes when the block is unknown. */
  OPENTIME_DEFAULT_CLICK_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Serve the demo page, demo catalog and demo photos. Unset: on in development, off with
   * NODE_ENV=production (and on Workers), so a deploy never serves the demo by accident.
   */
  OPENTIME_DEMO: optionalFlag,
  /** Profiles of subscribers not seen for this long expire (data minimisation). */
  OPENTIME_RETENTION_DAYS: int(1, 3650, 395),
  /** Segment consent categories (context.consent.categoryPreferences) that a subscriber must not deny. */
  OPENTIME_CONSENT_CATEGORIES: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((c) => c.trim()).filter((c) => c !== '')),
  /**
   * Workers only: `cloudflare` fetches product photos through Cloudflare Images
   * transformations, scaled at the edge to the size they are drawn, instead of
   * embedding the original (which resvg then decodes whole, costing CPU time).
   */
  OPENTIME_IMAGE_RESIZING: z.enum(['none', 'cloudflare']).optional().transform((v) => v ?? 'none'),
  /**
   * Hosts product and hero photos may be fetched from, comma-separated: `cdn.example.com`,
   * `*.cdn.example.com` (any subdomain), `host:8080` or `host:*` for a port other than 80/443.
   * Unset: any host whose addresses are public, since photo URLs come only from the catalog and
   * block configs (admin writes) and the address checks keep every fetch out of the server's own
   * network. Setting it means a leaked admin key cannot make the server fetch anywhere else.
   */
  OPENTIME_IMAGE_HOSTS: imageHosts,
  /**
   * Development and tests only: photos may come from loopback, private, CGNAT and unique-local
   * addresses. Off, a photo URL cannot reach localhost, the LAN or a cloud metadata service
   * (SSRF); link-local and metadata addresses stay refused even when on.
   */
  OPENTIME_IMAGE_ALLOW_PRIVATE: flag(false),
  /** Redirects a photo fetch follows, each target checked again: a chain cannot hold a render or hide its end. */
  OPENTIME_IMAGE_MAX_REDIRECTS: int(0, 10, 3),
  /** A photo larger than this is cut off and refused (memory; a URL pointing at a video). Unset: 15 MB on Node, 4 MB on Workers. */
  OPENTIME_IMAGE_MAX_BYTES: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).optional(),
  /** A photo whose header claims more pixels is refused before decoding (decompression bombs). Unset: 40 M on Node, 8 M on Workers. */
  OPENTIME_IMAGE_MAX_PIXELS: z.coerce.number().int().min(1).max(268_402_689).optional(),
  /** A trait that opts a subscriber out when true (for example `opentime_opt_out`). */
  OPENTIME_OPT_OUT_TRAIT: z.string().min(1).max(100).optional(),
  /**
   * Keys for the browser snippet and pixels, comma-separated. They are public (anyone can read
   * them in the page), so they are kept apart from OPENTIME_WRITE_KEY: the server key never ships
   * to browsers, each can be rotated alone, and a browser on an origin that is not allowed cannot
   * use them (see OPENTIME_CORS_ORIGINS).
   */
  OPENTIME_BROWSER_KEY: keyList,
  /**
   * Shop origins whose pages may post events from the browser (CORS). Browsers on other origins
   * cannot read the answers, and are refused the browser key. `*` allows any origin.
   */
  OPENTIME_CORS_ORIGINS: originList,
  /**
   * Shared secrets of Segment's (or Customer.io's) webhook destination, comma-separated so a secret
   * can be rotated: a delivery must carry X-Signature = HMAC-SHA1(secret, body), so nobody else can
   * post events to the webhook.
   */
  OPENTIME_WEBHOOK_SECRET: keyList,
  /**
   * Identity verification for the browser key (as Intercom's): when set, a browser event that names
   * a userId must carry `context.userHash`, the hex HMAC-SHA256 of the userId under this secret,
   * computed by the shop's server. Without it anyone reading the page's public key could claim any
   * userId for their own browsing.
   */
  OPENTIME_IDENTITY_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  /**
   * Opens (`/i/…` images and the `/o/…` pixel) one subscriber may make per minute on one instance,
   * all at once if they like; past it they get the block's generic image from the render cache, so a
   * hot-looping client or a script hammering one `u=` costs no profile reads and no renders. An email
   * with ten live images opened five times in a minute is 50. 0 turns it off.
   */
  OPENTIME_RATE_OPENS_PER_MINUTE: int(0, 1_000_000, 60),
  /**
   * Events API requests (`/v1/track` … `/v1/batch`, `/v1/p.gif`, the webhook) per key per second on one
   * instance: a runaway sender gets 429 with Retry-After instead of taking the instance's store writes
   * from everyone else. 1,000 is Segment's own recommended ceiling per source. 0 turns it off.
   */
  OPENTIME_RATE_EVENTS_PER_SECOND: int(0, 1_000_000, 1000),
  /** The Redis store (shared by every instance): redis:// or rediss:// (TLS). Unset: the embedded store. */
  REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, 'expected a redis:// or rediss:// URL').optional(),
  /** The Redis store on Redis Cluster: seed nodes as host:port, comma-separated. */
  REDIS_CLUSTER_NODES: clusterNodes,
  NODE_ENV: z.string().optional(),
  /** The least severe log entries written: debug, info (requests included), warn or error. */
  LOG_LEVEL: z.enum(LOG_LEVELS).optional().transform((v) => v ?? 'info'),
  /**
   * On SIGTERM, requests in flight get this long to finish before their connections are closed;
   * then background work is flushed and the store closed. Below Kubernetes' default grace period (30 s).
   */
  OPENTIME_SHUTDOWN_SECONDS: int(0, 3600, 10),
  PORT: int(0, 65_535, 8787),
  OPENTIME_DATA_DIR: z.string().min(1).optional().transform((v) => v ?? './data'),
});

export type RawConfig = z.output<typeof configSchema>;

export interface AppConfig {
  adminKeys: string[];
  writeKeys: string[];
  secret: string;
  publicUrl?: string;
  storeTimeoutMs: number;
  photoTimeoutMs: number;
  openRecordTtlSeconds: number;
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
  config.corsOrigins = raw.OPENTIME_CORS_ORIGINS;
  config.webhookSecrets = raw.OPENTIME_WEBHOOK_SECRET;
  if (raw.OPENTIME_IDENTITY_SECRET !== undefined) config.identitySecret = raw.OPENTIME_IDENTITY_SECRET;
  return config;
}
