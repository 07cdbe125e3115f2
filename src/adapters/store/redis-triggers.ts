import { createHash } from 'node:crypto';
import type { TriggerStore } from '../../core/ports.ts';
import {
  DEAD_LETTERS_KEPT,
  INTEREST_PER_PRODUCT_KEPT,
  RECENT_SENDS_KEPT,
  SENDS_PER_SUBJECT_KEPT,
  episodeSlot,
  type DeadLetter,
  type Episode,
  type Interest,
  type SendRecord,
} from '../../core/triggers/episode.ts';
import type { TriggerConfig } from '../../core/triggers/schema.ts';

/**
 * The Redis store's TriggerStore. Everything but product interest shares the
 * hash tag `{triggers}`, so one Lua script changes it atomically, in one
 * cluster slot:
 *
 *   {triggers}:defs, :versions, :updated      hashes: trigger id → config JSON, version, updatedAt
 *   {triggers}:episodes                       hash: "<trigger>\n<subject>" → open episode JSON
 *   {triggers}:due                            sorted set: the same slots by due time (ms); the truth for dueAt
 *   {triggers}:sent:<trigger>:<subject>       sorted set: episode id → sent at; with :sent-data (hash: id → record)
 *   {triggers}:recent:<trigger>               list: the trigger's last sends (record JSON), newest first
 *   {triggers}:dead, :dead-order              hash id → dead letter JSON; sorted set id → failedAt
 *   {interest:<product>}:viewed, :carted      sorted sets: subject → when they last did it
 *
 * A claim is one script: the due slots, each pushed past the lease, so any
 * number of instances polling the same Redis take each episode once.
 */
export type RedisArg = string | number;
interface Script {
  source: string;
  sha: string;
}
const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });

export interface RedisTriggerParts {
  prefix: string;
  call: (command: string, ...args: RedisArg[]) => Promise<unknown>;
  run: (which: Script, keys: readonly string[], args: readonly RedisArg[]) => Promise<unknown>;
  operation: <T>(name: string, work: () => Promise<T>) => Promise<T>;
}

const PUT_TRIGGER = script(`
local version = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
return version`);

const OPEN_EPISODE = script(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1`);

/** Closes (ARGV[3] = '') or saves (ARGV[3] = JSON, ARGV[4] = due) an open episode whose id is ARGV[2] (or any, when ''). */
const CHANGE_EPISODE = script(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return false end
if ARGV[2] ~= '' and cjson.decode(json).id ~= ARGV[2] then return false end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
end
return json`);

const CLAIM_DUE = script(`
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local claimed = {}
for _, slot in ipairs(due) do
  local json = redis.call('HGET', KEYS[1], slot)
  if json then
    redis.call('ZADD', KEYS[2], ARGV[3], slot)
    claimed[#claimed + 1] = json
  else
    redis.call('ZREM', KEYS[2], slot)
  end
end
return claimed`);

const RECORD_SEND = script(`
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if extra > 0 then
  local old = redis.call('ZRANGE', KEYS[1], 0, extra - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1)
  redis.call('HDEL', KEYS[2], unpack(old))
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('LPUSH', KEYS[3], ARGV[3])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
return 1`);

const PUT_DEAD_LETTER = script(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if extra > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, extra - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1)
  redis.call('HDEL', KEYS[1], unpack(old))
end
return 1`);

const TAKE_DEAD_LETTER = script(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return json`);

/** Sends older than the longest cap are of no further use. */
const SENDS_KEPT_MS = 366 * 86_400_000;

export function redisTriggerStore({ prefix, call, run, operation }: RedisTriggerParts): TriggerStore {
  const t = `${prefix}{triggers}`;
  const keys = {
    defs: `${t}:defs`,
    versions: `${t}:versions`,
    updated: `${t}:updated`,
    episodes: `${t}:episodes`,
    due: `${t}:due`,
    sent: (slot: string) => `${t}:sent:${slot}`,
    sentData: (slot: string) => `${t}:sent-data:${slot}`,
    recent: (triggerId: string) => `${t}:recent:${triggerId}`,
    dead: `${t}:dead`,
    deadOrder: `${t}:dead-order`,
    interest: (productId: string, kind: Interest['kind']) => `${prefix}{interest:${productId}}:${kind}`,
  };
  const episodeKeys = [keys.episodes, keys.due];
  const withDue = async (json: unknown, slot: string): Promise<Episode | undefined> => {
    if (typeof json !== 'string') return undefined;
    const score = await call('zscore', keys.due, slot);
    const episode = JSON.parse(json) as Episode;
    return score === null || score === undefined ? episode : { ...episode, dueAt: Number(score) };
  };

  return {
    putTrigger: (config, now) =>
      operation('putTrigger', async () => {
        const version = Number(await run(PUT_TRIGGER, [keys.defs, keys.versions, keys.updated], [config.id, JSON.stringify(config), now]));
        return { config, version, updatedAt: now };
      }),
    getTrigger: (id) =>
      operation('getTrigger', async () => {
        const [data, version, updated] = (await Promise.all([call('hget', keys.defs, id), call('hget', keys.versions, id), call('hget', keys.updated, id)])) as Array<
          string | null
        >;
        return typeof data === 'string' ? { config: JSON.parse(data) as TriggerConfig, version: Number(version), updatedAt: Number(updated) } : undefined;
      }),
    listTriggers: () =>
      operation('listTriggers', async () => {
        const ids = ((await call('hkeys', keys.defs)) as string[]).sort();
        if (ids.length === 0) return [];
        const [data, versions, updated] = (await Promise.all([
          call('hmget', keys.defs, ...ids),
          call('hmget', keys.versions, ...ids),
          call('hmget', keys.updated, ...ids),
        ])) as Array<Array<string | null>>;
        return ids.flatMap((_, i) => {
          const json = data?.[i];
          return typeof json === 'string' ? [{ config: JSON.parse(json) as TriggerConfig, version: Number(versions?.[i]), updatedAt: Number(updated?.[i]) }] : [];
        });
      }),
    deleteTrigger: (id) => operation('deleteTrigger', async () => Number(await call('hdel', keys.defs, id)) > 0),

    openEpisode: (episode) =>
      operation('openEpisode', async () => {
        const slot = episodeSlot(episode.triggerId, episode.subjectKey);
        return Number(await run(OPEN_EPISODE, episodeKeys, [slot, JSON.stringify(episode), episode.dueAt])) === 1;
      }),
    getEpisode: (triggerId, subjectKey) =>
      operation('getEpisode', async () => {
        const slot = episodeSlot(triggerId, subjectKey);
        return withDue(await call('hget', keys.episodes, slot), slot);
      }),
    closeEpisode: (triggerId, subjectKey, episodeId) =>
      operation('closeEpisode', async () => {
        const json = await run(CHANGE_EPISODE, episodeKeys, [episodeSlot(triggerId, subjectKey), episodeId ?? '', '', 0]);
        return typeof json === 'string' ? (JSON.parse(json) as Episode) : undefined;
      }),
    claimDueEpisodes: (now, limit, leaseMs) =>
      operation('claimDueEpisodes', async () => {
        const claimed = (await run(CLAIM_DUE, episodeKeys, [now, limit, now + leaseMs])) as string[];
        return claimed.map((json) => ({ ...(JSON.parse(json) as Episode), dueAt: now + leaseMs }));
      }),
    rescheduleEpisode: (episode) =>
      operation('rescheduleEpisode', async () => {
        const slot = episodeSlot(episode.triggerId, episode.subjectKey);
        return typeof (await run(CHANGE_EPISODE, episodeKeys, [slot, episode.id, JSON.stringify(episode), episode.dueAt])) === 'string';
      }),
    nextDueAt: () =>
      operation('nextDueAt', async () => {
        const first = ((await call('zrange', keys.due, 0, 0, 'WITHSCORES')) as unknown[]).flat() as Array<string | number>;
        return first.length >= 2 ? Number(first[1]) : undefined;
      }),

    recordSend: (record) =>
      operation('recordSend', async () => {
        const slot = episodeSlot(record.triggerId, record.subjectKey);
        const json = JSON.stringify(record);
        const args = [record.episodeId, record.at, json, SENDS_PER_SUBJECT_KEPT, RECENT_SENDS_KEPT, SENDS_KEPT_MS];
        return Number(await run(RECORD_SEND, [keys.sent(slot), keys.sentData(slot), keys.recent(record.triggerId)], args)) === 1;
      }),
    sendsOf: (triggerId, subjectKey, since) =>
      operation('sendsOf', async () => {
        const slot = episodeSlot(triggerId, subjectKey);
        const ids = (await call('zrevrangebyscore', keys.sent(slot), '+inf', since)) as string[];
        if (ids.length === 0) return [];
        const records = (await call('hmget', keys.sentData(slot), ...ids)) as Array<string | null>;
        return records.filter((r): r is string => typeof r === 'string').map((r) => JSON.parse(r) as SendRecord);
      }),
    recentSends: (triggerId, limit) =>
      operation('recentSends', async () => ((await call('lrange', keys.recent(triggerId), 0, limit - 1)) as string[]).map((r) => JSON.parse(r) as SendRecord)),

    putDeadLetter: (letter) =>
      operation('putDeadLetter', async () => {
        await run(PUT_DEAD_LETTER, [keys.dead, keys.deadOrder], [letter.id, letter.failedAt, JSON.stringify(letter), DEAD_LETTERS_KEPT]);
      }),
    listDeadLetters: (limit) =>
      operation('listDeadLetters', async () => {
        const ids = (await call('zrange', keys.deadOrder, 0, limit - 1)) as string[];
        if (ids.length === 0) return [];
        const letters = (await call('hmget', keys.dead, ...ids)) as Array<string | null>;
        return letters.filter((l): l is string => typeof l === 'string').map((l) => JSON.parse(l) as DeadLetter);
      }),
    takeDeadLetter: (id) =>
      operation('takeDeadLetter', async () => {
        const json = await run(TAKE_DEAD_LETTER, [keys.dead, keys.deadOrder], [id]);
        return typeof json === 'string' ? (JSON.parse(json) as DeadLetter) : undefined;
      }),

    noteInterest: (interests) =>
      operation('noteInterest', async () => {
        // One product's two sets share a slot; products are written one after another.
        for (const i of interests) {
          const key = keys.interest(i.productId, i.kind);
          await call('zadd', key, 'GT', i.at, i.subjectKey);
          await call('zremrangebyrank', key, 0, -(INTEREST_PER_PRODUCT_KEPT + 1));
        }
      }),
    interestIn: (productId, since, limit) =>
      operation('interestIn', async () => {
        const latest = new Map<string, Interest>();
        for (const kind of ['viewed', 'carted'] as const) {
          const pairs = ((await call('zrevrangebyscore', keys.interest(productId, kind), '+inf', since, 'WITHSCORES', 'LIMIT', 0, limit)) as unknown[]).flat() as Array<
            string | number
          >;
          for (let i = 0; i + 1 < pairs.length; i += 2) {
            const subjectKey = String(pairs[i]);
            const at = Number(pairs[i + 1]);
            const seen = latest.get(subjectKey);
            if (!seen || seen.at < at) latest.set(subjectKey, { productId, subjectKey, kind, at });
          }
        }
        return [...latest.values()].sort((a, b) => b.at - a.at).slice(0, limit);
      }),
  };
}
