import { createHash, randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { announcing } from '../../core/audience/subject-changes.ts';
import { RedisSubjectChanges, type RedisSubscriber } from './redis-subject-changes.ts';
import type { BlockConfig, StoredBlock } from '../../core/blocks/schema.ts';
import type { Product } from '../../core/catalog/product.ts';
import { TRENDING_WINDOW_HOURS, decayWeight, hourOf } from '../../core/decide/trending.ts';
import { DEDUPE_WINDOW_SECONDS } from '../../core/events/limits.ts';
import {
  BLOCK_VERSIONS_KEPT,
  type ApplyResult,
  type Logger,
  type OpenRecord,
  type Store,
  type StoredTemplate,
  type SubjectEvents,
  type SuppressionSource,
} from '../../core/ports.ts';
import type { Decision } from '../../core/decide/decide.ts';
import { mergeProfiles } from '../../core/profiles/merge.ts';
import type { Profile } from '../../core/profiles/profile.ts';
import { dedupeHorizon, updateSubject } from '../../core/profiles/store-kit.ts';
import { NEIGHBOURS_PER_PRODUCT, NEIGHBOUR_MAX_AGE_DAYS, groupIncrements, rankedNeighbours, storedFloor, type Neighbour } from '../../core/recommend/neighbours.ts';
import { REPORT_SCRIPTS, redisReports } from './redis-reports.ts';
import { redisTriggerStore } from './redis-triggers.ts';

/**
 * The shared store, for production and for several instances behind a load
 * balancer: Redis or Redis Cluster through ioredis. Every key starts with
 * `keyPrefix`; everything kept about one subject shares the hash tag
 * `{<subject key>}`, so it sits in one cluster slot and one Lua script can
 * change it atomically:
 *
 *   {S}:profile       hash: data (profile JSON), writtenAt (ms), rev (compare-and-set token);
 *                     EXPIRE retentionSeconds, refreshed on every write
 *   {S}:applied       sorted set: messageId → when it was applied; EXPIRE the dedupe window
 *   {S}:link          string: the subject S was linked into (identify, alias); EXPIRE retentionSeconds
 *   {S}:linked-at     string: when that link was last made (ms, the retention clock); EXPIRE as the link
 *   {S}:linked-from   set: subjects whose link points at S, so that deleting S finds them
 *   {S}:linked-in     sorted set: subject → when its link into S was made, to count live links into S
 *   {S}:opens         set: ids of S's open records, so that deleting S finds them
 *   {S}:open:<id>     string: what one open showed; PEXPIREAT renderedAt + TTL
 *   {trending:<scope>}:<hour>   sorted set: product → count in that hour; PEXPIREAT when it leaves the window
 *   {neighbours:<list>:<product>}   sorted set: neighbour → forward-decayed score; at most NEIGHBOURS_PER_PRODUCT,
 *                     PEXPIRE NEIGHBOUR_MAX_AGE_DAYS after the last bump
 *   {catalog}:products, {blocks}:configs + :versions, {templates}:sources + :versions, suppressions, counters   hashes
 *   {catalog}:ids               sorted set (scores 0): every product id, for paging in id order
 *
 * Times that decide what a caller sees (dedupe window, open-record expiry,
 * retention) are kept as values and compared with the `now` the caller
 * passes; Redis TTLs only clean up afterwards.
 */

export type RedisArg = string | number;
export type TransactionReplies = Array<[error: Error | null, result: unknown]> | null;

/** The part of an ioredis client (`Redis` or `Cluster`) that this store calls. */
export interface RedisClient {
  readonly status: string;
  call(command: string, ...args: RedisArg[]): Promise<unknown>;
  /** MULTI … EXEC with these commands (lower-case ioredis method names); all keys in one slot. */
  multi(commands: RedisArg[][]): { exec(): Promise<TransactionReplies> };
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready' | 'close', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'ready' | 'close', listener: () => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

export interface RedisStoreOptions {
  /** A client made by the caller, who also closes it. */
  client?: RedisClient;
  /** `redis://` or `rediss://` (TLS): the store makes its own client and closes it. */
  url?: string;
  /** Redis Cluster seed nodes: the store makes its own cluster client and closes it. */
  cluster?: ReadonlyArray<{ host: string; port: number }>;
  /** Prepended to every key (default `opentime:`), so that several deployments can share one Redis. */
  keyPrefix?: string;
  /** Profiles not written for this long are gone (default: kept). */
  retentionSeconds?: number;
  /** The wall clock for retention (tests move it). */
  now?: () => number;
  /** Where losing and regaining the connection is reported (once each, not per retry). */
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** A command with no reply after this long fails, so a hung server cannot hold a request (default 2000). */
  commandTimeoutMs?: number;
}

/** Reconnect for ever: after 100 ms, 200 ms, … then once a second, so a restarted Redis is back in use within a second. */
const reconnectDelayMs = (attempt: number) => Math.min(attempt * 100, 1000);
const COMMAND_TIMEOUT_MS = 2000;
const CONNECT_TIMEOUT_MS = 2000;
/** Right after start, calls wait this long for the first connection; once connected, an outage fails calls at once. */
const FIRST_CONNECTION_WAIT_MS = 5000;
/** A writer that keeps losing the compare-and-set to others gives up (the sender gets a 503 and retries). */
const MAX_WRITE_ATTEMPTS = 100;
/** Clocks of instances differ a little: trending buckets this many hours ahead still count. */
const TRENDING_FUTURE_HOURS = 2;
const HOUR_MS = 3_600_000;
/** Lua's unpack has a stack limit; long ZADDs are split into commands of this many arguments. */
const LUA_ARGS_PER_COMMAND = 1000;

/*
 * applyEvents is a compare-and-set, not WATCH/MULTI. The reducer is
 * TypeScript, so the new profile is computed here, between a read and a
 * write. WATCH belongs to a connection, and one ioredis connection carries
 * every concurrent request of this process: two requests watching on it
 * would clear each other's watches. Instead each profile carries a random
 * `rev`. The read returns it with the profile and the dedupe entries; the
 * write is a Lua script that saves the new profile and the applied
 * messageIds only if `rev` is still the one read, and sets a new one, in one
 * atomic step. A writer that lost the race reads again and reduces again. A
 * random token, unlike a counter, cannot come back to an old value after the
 * profile expired or was deleted.
 */
const WRITE_IF_UNCHANGED = `
if (redis.call('HGET', KEYS[1], 'rev') or '') ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'data', ARGV[3], 'writtenAt', ARGV[4], 'rev', ARGV[2])
  if tonumber(ARGV[5]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[5]) else redis.call('PERSIST', KEYS[1]) end
else
  redis.call('HSET', KEYS[1], 'rev', ARGV[2])
  -- Only the revision: it guards the dedupe entries and lives as long as they do.
  if redis.call('HEXISTS', KEYS[1], 'data') == 0 then redis.call('EXPIRE', KEYS[1], ARGV[6]) end
end
if #ARGV > 7 then
  for i = 8, #ARGV, ${LUA_ARGS_PER_COMMAND} do
    local zadd = {'ZADD', KEYS[2], 'GT'}
    for j = i, math.min(i + ${LUA_ARGS_PER_COMMAND - 1}, #ARGV), 2 do
      zadd[#zadd + 1] = ARGV[j + 1]
      zadd[#zadd + 1] = ARGV[j]
    end
    redis.call(unpack(zadd))
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[7])
  if redis.call('TTL', KEYS[2]) < tonumber(ARGV[6]) then redis.call('EXPIRE', KEYS[2], ARGV[6]) end
end
return 1`;

/** Removes a subject's profile and dedupe entries if nobody wrote them since they were read (after linking them elsewhere). */
const DELETE_IF_UNCHANGED = `
if (redis.call('HGET', KEYS[1], 'rev') or '') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1`;

/*
 * Everything of one subject in its own slot, in one step. Open record keys
 * come from the index instead of KEYS: they are not known before the script
 * reads it, and they share the subject's hash tag, so they are in this slot.
 */
const DELETE_SUBJECT = `
local profile = redis.call('HEXISTS', KEYS[1], 'data')
local applied = redis.call('ZCARD', KEYS[2])
local target = redis.call('GET', KEYS[3])
local sources = redis.call('SMEMBERS', KEYS[4])
local opens = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  opens = opens + redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8])
return {profile, applied, opens, target or '', sources}`;

/** Removes a link only if it still points where the reverse index says (it may have been re-pointed since). */
const UNLINK_IF_TARGET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  return redis.call('DEL', KEYS[1])
end
return 0`;

/*
 * Trending: the hourly buckets of a scope, each weighted by its decay, summed
 * inside Redis (ZUNIONSTORE … WEIGHTS) into a scratch key in the same slot.
 * Only the top of the ranking is sent back: everything scoring at least as
 * much as the limit-th product, so that ties at the cut are broken by id in
 * TypeScript exactly as rankBuckets does.
 */
const RANK_TRENDING = `
local union = {'ZUNIONSTORE', KEYS[1], #KEYS - 1}
for i = 2, #KEYS do union[#union + 1] = KEYS[i] end
union[#union + 1] = 'WEIGHTS'
for i = 2, #ARGV do union[#union + 1] = ARGV[i] end
if redis.call(unpack(union)) == 0 then return {} end
local limit = tonumber(ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], limit - 1, limit - 1, 'REV', 'WITHSCORES')
local ranked
if #last == 0 then
  ranked = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
else
  ranked = redis.call('ZRANGE', KEYS[1], last[2], '+inf', 'BYSCORE', 'WITHSCORES')
end
redis.call('DEL', KEYS[1])
return ranked`;

/**
 * A page of the catalog in id order. KEYS: the products hash, the id index
 * (a sorted set, every score 0, so ZRANGEBYLEX orders ids by their bytes);
 * ARGV: the lex start (`-` or `(<id>`), the page size. The index is rebuilt
 * from the hash when their sizes differ (a catalog written before the index
 * existed); writes keep both in one MULTI.
 */
const LIST_PRODUCTS = `
if redis.call('HLEN', KEYS[1]) ~= redis.call('ZCARD', KEYS[2]) then
  redis.call('DEL', KEYS[2])
  local ids = redis.call('HKEYS', KEYS[1])
  for i = 1, #ids, 1000 do
    local args = {'ZADD', KEYS[2]}
    for j = i, math.min(i + 999, #ids) do args[#args + 1] = 0; args[#args + 1] = ids[j] end
    redis.call(unpack(args))
  end
end
local ids = redis.call('ZRANGEBYLEX', KEYS[2], ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[1], unpack(ids))`;

/**
 * A block put: its version is the next of its counter, and the config is
 * kept in its history hash under that version, the oldest past the kept
 * number dropped, all at once. KEYS: the version hash, the configs hash,
 * the block's history hash (one slot: `{blocks}`); ARGV: the id, the row,
 * how many versions to keep.
 */
const PUT_BLOCK = `
local version = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], version, ARGV[2])
local old = version - tonumber(ARGV[3])
if old > 0 then redis.call('HDEL', KEYS[3], old) end
return version`;

/**
 * The open memo: an open's first part claims it, the others read it. A
 * subject's memos are the fields of one hash (deleteSubject removes it),
 * each `<expires at>|<json>`. KEYS: the hash; ARGV: the open's field, now
 * and the memo's expiry (the caller's clock, like open records), the
 * decision's JSON, its TTL in ms (the hash's real expiry, which cleans up).
 * Returns {1, json} when this caller's decision became the memo, {0, json}
 * with the live one.
 */
const CLAIM_OPEN_MEMO = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local sep = string.find(current, '|', 1, true)
  if sep and tonumber(string.sub(current, 1, sep - 1)) > tonumber(ARGV[2]) then return {0, string.sub(current, sep + 1)} end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. '|' .. ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, ARGV[4]}`;

/**
 * One product's neighbour list, with the core's rule (applyNeighbourIncrements):
 * add each increment in order, drop scores below the floor, keep the top K
 * (ZREMRANGEBYRANK drops the lowest, equal scores by the smaller member first,
 * the mirror of byRank). KEYS: the list; ARGV: floor, K, max age (ms), then
 * neighbour, weight pairs.
 */
const BUMP_NEIGHBOURS = `
for i = 4, #ARGV, 2 do redis.call('ZINCRBY', KEYS[1], ARGV[i + 1], ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

interface Script {
  source: string;
  sha: string;
}
const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });
const SCRIPTS = {
  writeIfUnchanged: script(WRITE_IF_UNCHANGED),
  deleteIfUnchanged: script(DELETE_IF_UNCHANGED),
  deleteSubject: script(DELETE_SUBJECT),
  unlinkIfTarget: script(UNLINK_IF_TARGET),
  rankTrending: script(RANK_TRENDING),
  listProducts: script(LIST_PRODUCTS),
  putBlock: script(PUT_BLOCK),
  claimOpenMemo: script(CLAIM_OPEN_MEMO),
  bumpNeighbours: script(BUMP_NEIGHBOURS),
  addPeople: script(REPORT_SCRIPTS.addPeople),
  countPeople: script(REPORT_SCRIPTS.countPeople),
  keepLaterTouch: script(REPORT_SCRIPTS.keepLaterTouch),
  addToGallery: script(REPORT_SCRIPTS.addToGallery),
};

/** The client the store makes from a URL or cluster nodes: fails fast while Redis is away, reconnects by itself. */
function ownClient(options: RedisStoreOptions, commandTimeout: number | undefined, extra: { autoResubscribe?: boolean } = {}): RedisClient & RedisSubscriber {
  const connection = {
    ...extra,
    // While Redis is away, fail at once instead of queueing: opens fall back within their budget
    // and the events API answers 503, instead of both waiting for a server that may not come back soon.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A command that failed with the connection is not sent again later behind the caller's back.
    autoResendUnfulfilledCommands: false,
    commandTimeout,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: reconnectDelayMs,
  };
  if (options.cluster) {
    return new Cluster([...options.cluster], { enableOfflineQueue: false, clusterRetryStrategy: reconnectDelayMs, redisOptions: connection }) as unknown as RedisClient &
      RedisSubscriber;
  }
  if (!options.url || !/^rediss?:\/\//.test(options.url)) throw new Error('[opentime] [redis] expected a redis:// or rediss:// URL, a cluster or a client');
  return new Redis(options.url, connection) as unknown as RedisClient & RedisSubscriber;
}

/** HGETALL answers an object, or a flat [field, value, …] list from some protocol settings. */
function hashOf(reply: unknown): Record<string, string> {
  if (Array.isArray(reply)) {
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
    return hash;
  }
  return (reply ?? {}) as Record<string, string>;
}

/** WITHSCORES answers [member, score, …], or [[member, score], …] under RESP3. */
function scoredPairs(reply: unknown): Array<[member: string, score: number]> {
  const flat = (reply as unknown[]).flat() as Array<string | number>;
  const pairs: Array<[string, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), Number(flat[i + 1])]);
  return pairs;
}

export function redisStore(options: RedisStoreOptions): Store {
  const prefix = options.keyPrefix ?? 'opentime:';
  // A brace in the prefix would become the hash tag and put every subject in one slot.
  if (/[{}]/.test(prefix)) throw new Error('[opentime] [redis] keyPrefix must not contain { or }');
  const commandTimeout = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
  const owned = options.client === undefined;
  const client = options.client ?? ownClient(options, commandTimeout);
  const wallClock = options.now ?? (() => Date.now());
  const retentionMs = options.retentionSeconds === undefined ? undefined : options.retentionSeconds * 1000;
  // Only a store that makes its own connections can open the listening one its feed needs.
  const subjectChanges = owned
    ? new RedisSubjectChanges({
        channel: `${prefix}subject-changes`,
        publish: (channel, message) => client.call('publish', channel, message),
        // A listening connection waits for messages as long as it takes: no command timeout.
        connect: () => ownClient(options, undefined, { autoResubscribe: false }),
        logger: options.logger,
      })
    : undefined;

  const subject = (key: string) => `${prefix}{${key}}`;
  const keys = {
    profile: (s: string) => `${subject(s)}:profile`,
    applied: (s: string) => `${subject(s)}:applied`,
    link: (s: string) => `${subject(s)}:link`,
    linkedAt: (s: string) => `${subject(s)}:linked-at`,
    linkedFrom: (s: string) => `${subject(s)}:linked-from`,
    linkedIn: (s: string) => `${subject(s)}:linked-in`,
    opens: (s: string) => `${subject(s)}:opens`,
    openPrefix: (s: string) => `${subject(s)}:open:`,
    openMemos: (s: string) => `${subject(s)}:memos`,
    trending: (scope: string, hour: number) => `${prefix}{trending:${scope}}:${hour}`,
    trendingScratch: (scope: string) => `${prefix}{trending:${scope}}:ranking`,
    neighbours: (list: string, product: string) => `${prefix}{neighbours:${list}:${product}}`,
    products: `${prefix}{catalog}:products`,
    productIds: `${prefix}{catalog}:ids`,
    blockConfigs: `${prefix}{blocks}:configs`,
    blockVersions: `${prefix}{blocks}:versions`,
    blockHistory: (id: string) => `${prefix}{blocks}:history:${id}`,
    templateSources: `${prefix}{templates}:sources`,
    templateVersions: `${prefix}{templates}:versions`,
    suppressions: `${prefix}suppressions`,
    counters: `${prefix}counters`,
  };

  let closed = false;
  // Connection state: reported once when lost and once when back, not at every reconnect attempt.
  let connectedOnce = client.status === 'ready';
  let lost = false;
  const onReady = () => {
    connectedOnce = true;
    if (lost) options.logger?.info('redis connection restored');
    lost = false;
  };
  const onLost = (error?: Error) => {
    if (lost || closed) return;
    lost = true;
    options.logger?.warn('redis connection lost', { error: error?.message });
  };
  // An error listener also keeps ioredis from printing every failed reconnect attempt itself.
  const onError = (error: Error) => onLost(error);
  const onClose = () => onLost();
  client.on('ready', onReady);
  client.on('error', onError);
  client.on('close', onClose);

  let firstConnection: Promise<void> | undefined;
  const connected = async (): Promise<void> => {
    // A lazy client ('wait') connects on its first command.
    if (connectedOnce || client.status === 'ready' || client.status === 'wait') return;
    firstConnection ??= new Promise<void>((resolve, reject) => {
      const ready = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        client.off('ready', ready);
        firstConnection = undefined;
        reject(new Error(`no connection within ${FIRST_CONNECTION_WAIT_MS} ms`));
      }, FIRST_CONNECTION_WAIT_MS);
      client.on('ready', ready);
    });
    await firstConnection;
  };

  /** Runs one store operation: refused once closed, and any failure says it came from here. */
  const operation = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    if (closed) throw new Error(`[opentime] [redis] ${name}: the store is closed`);
    try {
      await connected();
      return await work();
    } catch (error) {
      throw new Error(`[opentime] [redis] ${name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };

  const call = (command: string, ...args: RedisArg[]) => client.call(command, ...args);
  const run = async (which: Script, scriptKeys: readonly string[], args: readonly RedisArg[]): Promise<unknown> => {
    try {
      return await call('evalsha', which.sha, scriptKeys.length, ...scriptKeys, ...args);
    } catch (error) {
      // A restarted or flushed server has forgotten the script: send it once in full.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return call('eval', which.source, scriptKeys.length, ...scriptKeys, ...args);
    }
  };
  const transaction = async (commands: RedisArg[][]): Promise<unknown[]> => {
    const replies = await client.multi(commands).exec();
    if (!replies) throw new Error('transaction aborted');
    return replies.map(([error, result]) => {
      if (error) throw error;
      return result;
    });
  };

  const liveProfile = (data: unknown, writtenAt: unknown): Profile | undefined => {
    if (typeof data !== 'string' || data === '') return undefined;
    if (retentionMs !== undefined && Number(writtenAt) + retentionMs <= wallClock()) return undefined;
    return JSON.parse(data) as Profile;
  };
  const readProfile = async (s: string): Promise<{ profile: Profile | undefined; rev: string }> => {
    const [data, writtenAt, rev] = (await call('hmget', keys.profile(s), 'data', 'writtenAt', 'rev')) as Array<string | null>;
    return { profile: liveProfile(data, writtenAt), rev: rev ?? '' };
  };
  /** Saves a profile (or only dedupe entries) if the subject's rev is still `expectedRev`; false when someone wrote first. */
  const writeIfUnchanged = async (
    s: string,
    expectedRev: string,
    profile: Profile | undefined,
    applied: ReadonlyArray<readonly [messageId: string, at: number]>,
    horizon: number,
  ): Promise<boolean> => {
    const args: RedisArg[] = [expectedRev, randomUUID(), profile ? JSON.stringify(profile) : '', wallClock(), options.retentionSeconds ?? 0, DEDUPE_WINDOW_SECONDS, horizon];
    for (const [id, at] of applied) args.push(id, at);
    return (await run(SCRIPTS.writeIfUnchanged, [keys.profile(s), keys.applied(s)], args)) === 1;
  };
  /** Lets the writers that lost a race spread out, so that they do not collide again in lockstep. */
  const pauseAfterConflict = (attempt: number) => new Promise((resume) => setTimeout(resume, Math.random() * Math.min(attempt, 20)));

  /** One subject's events: one read and one conditional write (two round trips) unless another writer got there first. */
  const applyGroup = async (group: SubjectEvents, now: number): Promise<ApplyResult & { profile?: Profile | undefined }> => {
    const horizon = dedupeHorizon(now);
    const ids = group.events.map((e) => e.messageId);
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const [fields, scores] = (await transaction([
        ['hmget', keys.profile(group.subjectKey), 'data', 'writtenAt', 'rev'],
        ['zmscore', keys.applied(group.subjectKey), ...ids],
      ])) as [Array<string | null>, Array<string | null>];
      const alreadyApplied = new Set(ids.filter((_, i) => scores[i] != null && Number(scores[i]) >= horizon));
      const update = updateSubject(liveProfile(fields[0], fields[1]), alreadyApplied, group.events);
      if (update.applied.length === 0) return { applied: [], duplicates: update.duplicates };
      const applied = update.applied.map((id) => [id, now] as const);
      if (await writeIfUnchanged(group.subjectKey, fields[2] ?? '', update.profile, applied, horizon)) {
        return { applied: update.applied, duplicates: update.duplicates, profile: update.profile };
      }
      await pauseAfterConflict(attempt);
    }
    throw new Error(`the profile kept changing under ${MAX_WRITE_ATTEMPTS} attempts to write it`);
  };

  return announcing({
    ...redisReports({ prefix, call, transaction, run: (which, scriptKeys, args) => run(SCRIPTS[which], scriptKeys, args), operation }),
    name: 'redis',
    ...(subjectChanges ? { subjectChanges } : {}),
    ...redisTriggerStore({ prefix, call, run, operation }),

    ping: () =>
      operation('ping', async () => {
        await call('ping');
      }),

    getLinks: (subjectKeys) =>
      operation('getLinks', async () => {
        // One round trip per key, as before: both keys share the subject's slot.
        const replies = await Promise.all(subjectKeys.map((k) => call('mget', keys.link(k), keys.linkedAt(k)) as Promise<Array<string | null>>));
        const found = new Map<string, string>();
        subjectKeys.forEach((k, i) => {
          const [target, linkedAt] = replies[i] ?? [];
          // A link made before links carried their time (no linked-at) is kept.
          const expired = retentionMs !== undefined && typeof linkedAt === 'string' && Number(linkedAt) + retentionMs <= wallClock();
          if (typeof target === 'string' && !expired) found.set(k, target);
        });
        return found;
      }),

    countLinksInto: (subjectKeys) =>
      operation('countLinksInto', async () => {
        const since = retentionMs === undefined ? '-inf' : `(${wallClock() - retentionMs}`;
        const counts = await Promise.all(subjectKeys.map((k) => call('zcount', keys.linkedIn(k), since, '+inf') as Promise<number>));
        const found = new Map<string, number>();
        subjectKeys.forEach((k, i) => {
          const count = Number(counts[i]);
          if (count > 0) found.set(k, count);
        });
        return found;
      }),

    getProfile: (subjectKey) => operation('getProfile', async () => (await readProfile(subjectKey)).profile),

    applyEvents: (groups, now) =>
      operation('applyEvents', async () => {
        // Subjects are independent, and each lives in its own slot: their round trips run side by side.
        const applying = groups.filter((g) => g.events.length > 0);
        const results = await Promise.all(applying.map((g) => applyGroup(g, now)));
        // The profiles just written, so that what follows from the events (co-occurrences) need not read them again.
        const profiles = new Map<string, Profile>();
        results.forEach((r, i) => {
          if (r.profile) profiles.set((applying[i] as SubjectEvents).subjectKey, r.profile);
        });
        return { applied: results.flatMap((r) => r.applied), duplicates: results.flatMap((r) => r.duplicates), profiles };
      }),

    linkSubject: (fromKey, toKey, now) =>
      operation('linkSubject', async () => {
        // Nothing to move, and merging a profile into itself would never settle below.
        if (fromKey === toKey) return;
        // The reverse index first: a crash between the two leaves an index entry without a link (harmless), never the other way round.
        const linkedAt = wallClock();
        const expiry: RedisArg[] = options.retentionSeconds === undefined ? [] : ['EX', options.retentionSeconds];
        const indexExpiry: RedisArg[][] =
          options.retentionSeconds === undefined
            ? []
            : [
                ['expire', keys.linkedFrom(toKey), options.retentionSeconds],
                ['expire', keys.linkedIn(toKey), options.retentionSeconds],
              ];
        await transaction([['sadd', keys.linkedFrom(toKey), fromKey], ['zadd', keys.linkedIn(toKey), linkedAt, fromKey], ...indexExpiry]);
        const [previous] = (await transaction([
          ['set', keys.link(fromKey), toKey, 'GET', ...expiry],
          ['set', keys.linkedAt(fromKey), linkedAt, ...expiry],
        ])) as [string | null, unknown];
        if (previous !== null && previous !== toKey)
          await transaction([
            ['srem', keys.linkedFrom(previous), fromKey],
            ['zrem', keys.linkedIn(previous), fromKey],
          ]);

        // Move the profile and dedupe entries: merge into the target first, then remove them from the
        // source if nobody wrote there meanwhile. If someone did, merge again: merging is idempotent
        // for everything but the order count, which a crash between the steps could count twice.
        const horizon = dedupeHorizon(now);
        for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
          const [fields, appliedReply] = (await transaction([
            ['hmget', keys.profile(fromKey), 'data', 'writtenAt', 'rev'],
            ['zrange', keys.applied(fromKey), 0, -1, 'WITHSCORES'],
          ])) as [Array<string | null>, unknown];
          const fromProfile = liveProfile(fields[0], fields[1]);
          const applied = scoredPairs(appliedReply);
          if (!fromProfile && applied.length === 0) return;
          const into = await readProfile(toKey);
          const merged = fromProfile ? mergeProfiles(into.profile, fromProfile) : undefined;
          if (!(await writeIfUnchanged(toKey, into.rev, merged, applied, horizon))) {
            await pauseAfterConflict(attempt);
            continue;
          }
          if ((await run(SCRIPTS.deleteIfUnchanged, [keys.profile(fromKey), keys.applied(fromKey)], [fields[2] ?? ''])) === 1) return;
          await pauseAfterConflict(attempt);
        }
        throw new Error(`the linked profiles kept changing under ${MAX_WRITE_ATTEMPTS} attempts to merge them`);
      }),

    deleteSubject: (subjectKey) =>
      operation('deleteSubject', async () => {
        const [profile, messageIds, openRecords, target, sources] = (await run(
          SCRIPTS.deleteSubject,
          [
            keys.profile(subjectKey),
            keys.applied(subjectKey),
            keys.link(subjectKey),
            keys.linkedFrom(subjectKey),
            keys.opens(subjectKey),
            keys.linkedAt(subjectKey),
            keys.linkedIn(subjectKey),
            keys.openMemos(subjectKey),
          ],
          [keys.openPrefix(subjectKey)],
        )) as [number, number, number, string, string[]];
        let links = 0;
        if (target !== '') {
          links++;
          await transaction([
            ['srem', keys.linkedFrom(target), subjectKey],
            ['zrem', keys.linkedIn(target), subjectKey],
          ]);
        }
        const unlinked = await Promise.all(sources.map((from) => run(SCRIPTS.unlinkIfTarget, [keys.link(from), keys.linkedAt(from)], [subjectKey])));
        links += unlinked.reduce<number>((sum, n) => sum + Number(n), 0);
        return { profile: profile === 1, links, openRecords, messageIds };
      }),

    setSuppression: (subjectKeys, source) =>
      operation('setSuppression', async () => {
        if (subjectKeys.length === 0) return;
        if (source === undefined) await call('hdel', keys.suppressions, ...subjectKeys);
        else await call('hset', keys.suppressions, ...subjectKeys.flatMap((k) => [k, source]));
      }),

    getSuppressions: (subjectKeys) =>
      operation('getSuppressions', async () => {
        const found = new Map<string, SuppressionSource>();
        if (subjectKeys.length === 0) return found;
        const sources = (await call('hmget', keys.suppressions, ...subjectKeys)) as Array<string | null>;
        subjectKeys.forEach((k, i) => {
          const source = sources[i];
          if (source === 'admin' || source === 'consent' || source === 'browser') found.set(k, source);
        });
        return found;
      }),

    putProducts: (products) =>
      operation('putProducts', async () => {
        if (products.length === 0) return;
        await transaction([
          ['hset', keys.products, ...products.flatMap((p) => [p.id, JSON.stringify(p)])],
          ['zadd', keys.productIds, ...products.flatMap((p) => [0, p.id])],
        ]);
      }),

    getProducts: (ids) =>
      operation('getProducts', async () => {
        const found = new Map<string, Product>();
        if (ids.length === 0) return found;
        const rows = (await call('hmget', keys.products, ...ids)) as Array<string | null>;
        ids.forEach((id, i) => {
          const row = rows[i];
          if (typeof row === 'string') found.set(id, JSON.parse(row) as Product);
        });
        return found;
      }),

    deleteProducts: (ids) =>
      operation('deleteProducts', async () => {
        if (ids.length === 0) return 0;
        const [removed] = await transaction([
          ['hdel', keys.products, ...ids],
          ['zrem', keys.productIds, ...ids],
        ]);
        return Number(removed);
      }),

    listProducts: (limit, after) =>
      operation('listProducts', async () => {
        const rows = (await run(SCRIPTS.listProducts, [keys.products, keys.productIds], [after === undefined ? '-' : `(${after}`, limit])) as Array<string | null>;
        return rows.filter((row): row is string => typeof row === 'string').map((row) => JSON.parse(row) as Product);
      }),

    putBlock: (config, now) =>
      operation('putBlock', async () => {
        const row = JSON.stringify({ config, updatedAt: now });
        const version = await run(SCRIPTS.putBlock, [keys.blockVersions, keys.blockConfigs, keys.blockHistory(config.id)], [config.id, row, BLOCK_VERSIONS_KEPT]);
        return { config, version: Number(version), updatedAt: now };
      }),

    getBlock: (id) =>
      operation('getBlock', async () => {
        const [version, row] = (await transaction([
          ['hget', keys.blockVersions, id],
          ['hget', keys.blockConfigs, id],
        ])) as [string | null, string | null];
        if (version === null || row === null) return undefined;
        const { config, updatedAt } = JSON.parse(row) as { config: BlockConfig; updatedAt: number };
        return { config, version: Number(version), updatedAt };
      }),

    listBlocks: () =>
      operation('listBlocks', async () => {
        const [versionsReply, rowsReply] = await transaction([
          ['hgetall', keys.blockVersions],
          ['hgetall', keys.blockConfigs],
        ]);
        const versions = hashOf(versionsReply);
        return Object.entries(hashOf(rowsReply))
          .map(([id, row]): StoredBlock => {
            const { config, updatedAt } = JSON.parse(row) as { config: BlockConfig; updatedAt: number };
            return { config, version: Number(versions[id]), updatedAt };
          })
          .sort((a, b) => (a.config.id < b.config.id ? -1 : 1));
      }),

    // The version hashes keep a deleted block's or template's version, so a later put continues from it.
    deleteBlock: (id) =>
      operation('deleteBlock', async () => {
        const [removed] = await transaction([
          ['hdel', keys.blockConfigs, id],
          ['del', keys.blockHistory(id)],
        ]);
        return Number(removed) > 0;
      }),

    listBlockVersions: (id) =>
      operation('listBlockVersions', async () =>
        Object.entries(hashOf(await call('hgetall', keys.blockHistory(id))))
          .map(([version, row]): StoredBlock => {
            const { config, updatedAt } = JSON.parse(row) as { config: BlockConfig; updatedAt: number };
            return { config, version: Number(version), updatedAt };
          })
          .sort((a, b) => b.version - a.version),
      ),

    getBlockVersion: (id, version) =>
      operation('getBlockVersion', async () => {
        const row = (await call('hget', keys.blockHistory(id), String(version))) as string | null;
        if (row === null) return undefined;
        const { config, updatedAt } = JSON.parse(row) as { config: BlockConfig; updatedAt: number };
        return { config, version, updatedAt };
      }),

    putTemplate: (name, source, now) =>
      operation('putTemplate', async () => {
        const [version] = await transaction([
          ['hincrby', keys.templateVersions, name, 1],
          ['hset', keys.templateSources, name, JSON.stringify({ source, updatedAt: now })],
        ]);
        return { name, source, version: Number(version), updatedAt: now };
      }),

    getTemplate: (name) =>
      operation('getTemplate', async () => {
        const [version, row] = (await transaction([
          ['hget', keys.templateVersions, name],
          ['hget', keys.templateSources, name],
        ])) as [string | null, string | null];
        if (version === null || row === null) return undefined;
        const { source, updatedAt } = JSON.parse(row) as { source: string; updatedAt: number };
        return { name, source, version: Number(version), updatedAt };
      }),

    listTemplates: () =>
      operation('listTemplates', async () => {
        const [versionsReply, rowsReply] = await transaction([
          ['hgetall', keys.templateVersions],
          ['hgetall', keys.templateSources],
        ]);
        const versions = hashOf(versionsReply);
        return Object.entries(hashOf(rowsReply))
          .map(([name, row]): StoredTemplate => {
            const { source, updatedAt } = JSON.parse(row) as { source: string; updatedAt: number };
            return { name, source, version: Number(versions[name]), updatedAt };
          })
          .sort((a, b) => (a.name < b.name ? -1 : 1));
      }),

    deleteTemplate: (name) => operation('deleteTemplate', async () => Number(await call('hdel', keys.templateSources, name)) > 0),

    putOpenRecord: (key, record, ttlSeconds) =>
      operation('putOpenRecord', async () => {
        const id = JSON.stringify([key.blockId, key.messageId]);
        const expiresAt = record.renderedAt + ttlSeconds * 1000;
        const index = keys.opens(key.subjectKey);
        await transaction([
          ['set', keys.openPrefix(key.subjectKey) + id, JSON.stringify({ ...record, expiresAt }), 'PXAT', expiresAt],
          ['sadd', index, id],
          // The index lives as long as its longest-lived record: set when it has no expiry yet, else only extended.
          ['pexpireat', index, expiresAt, 'NX'],
          ['pexpireat', index, expiresAt, 'GT'],
        ]);
      }),

    getOpenRecord: (key, now) =>
      operation('getOpenRecord', async () => {
        const row = (await call('get', keys.openPrefix(key.subjectKey) + JSON.stringify([key.blockId, key.messageId]))) as string | null;
        if (row === null) return undefined;
        const { decision, renderedAt, expiresAt } = JSON.parse(row) as OpenRecord & { expiresAt: number };
        return expiresAt <= now ? undefined : { decision, renderedAt };
      }),

    claimOpenMemo: (key, decision, now, ttlMs) =>
      operation('claimOpenMemo', async () => {
        const [claimed, json] = (await run(
          SCRIPTS.claimOpenMemo,
          [keys.openMemos(key.subjectKey)],
          [JSON.stringify([key.blockId, key.messageId]), now, now + ttlMs, JSON.stringify(decision), Math.max(1, Math.round(ttlMs))],
        )) as [number, string];
        return { decision: JSON.parse(json) as Decision, claimed: Number(claimed) === 1 };
      }),

    bumpTrending: (increments, now) =>
      operation('bumpTrending', async () => {
        const hour = hourOf(now);
        const byScope = new Map<string, RedisArg[][]>();
        for (const inc of increments) {
          const commands = byScope.get(inc.scope) ?? [];
          commands.push(['zincrby', keys.trending(inc.scope, hour), inc.weight, inc.productId]);
          byScope.set(inc.scope, commands);
        }
        // A bucket is dropped by Redis when it leaves the trending window.
        const expiresAt = (hour + TRENDING_WINDOW_HOURS) * HOUR_MS;
        await Promise.all([...byScope].map(([scope, commands]) => transaction([...commands, ['pexpireat', keys.trending(scope, hour), expiresAt]])));
      }),

    topTrending: (scope, now, limit) =>
      operation('topTrending', async () => {
        if (limit <= 0) return [];
        const nowHour = hourOf(now);
        const hours: number[] = [];
        for (let age = -TRENDING_FUTURE_HOURS; age < TRENDING_WINDOW_HOURS; age++) hours.push(nowHour - age);
        const reply = await run(
          SCRIPTS.rankTrending,
          [keys.trendingScratch(scope), ...hours.map((h) => keys.trending(scope, h))],
          [limit, ...hours.map((h) => String(decayWeight(nowHour - h)))],
        );
        return scoredPairs(reply)
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .slice(0, limit)
          .map(([id]) => id);
      }),

    bumpNeighbours: (increments, now) =>
      operation('bumpNeighbours', async () => {
        const floor = String(storedFloor(now));
        const maxAgeMs = NEIGHBOUR_MAX_AGE_DAYS * 86_400_000;
        await Promise.all(
          [...groupIncrements(increments).values()].map((group) =>
            run(
              SCRIPTS.bumpNeighbours,
              [keys.neighbours(group.list, group.productId)],
              [floor, NEIGHBOURS_PER_PRODUCT, maxAgeMs, ...group.adds.flatMap(([id, w]) => [id, String(w)])],
            ),
          ),
        );
      }),

    getNeighbours: (list, productIds, now) =>
      operation('getNeighbours', async () => {
        const found = new Map<string, Neighbour[]>();
        await Promise.all(
          [...new Set(productIds)].map(async (id) => {
            const ranked = rankedNeighbours(scoredPairs(await call('zrange', keys.neighbours(list, id), 0, -1, 'WITHSCORES')), now);
            if (ranked.length > 0) found.set(id, ranked);
          }),
        );
        return found;
      }),

    incrementCounters: (counts) =>
      operation('incrementCounters', async () => {
        const entries = Object.entries(counts);
        if (entries.length === 0) return;
        await transaction(entries.map(([name, n]) => ['hincrbyfloat', keys.counters, name, n]));
      }),

    readCounters: () =>
      operation('readCounters', async () => {
        const hash = hashOf(await call('hgetall', keys.counters));
        return Object.fromEntries(Object.entries(hash).map(([name, value]) => [name, Number(value)]));
      }),

    async close() {
      if (closed) return;
      closed = true;
      if (!owned) {
        client.off('ready', onReady);
        client.off('error', onError);
        client.off('close', onClose);
        return;
      }
      await subjectChanges?.close();
      // QUIT lets replies in flight arrive; with Redis away it fails at once, and the socket is just dropped.
      await client.quit().catch(() => client.disconnect());
    },
  });
}
