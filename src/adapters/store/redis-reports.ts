import { GALLERY_SIZE, TOUCH_TTL_MS, bucketsBetween, newestRenders, peopleMatch, type GalleryRow, type ReportCount, type Touch, type Touches } from '../../core/reports/cells.ts';
import { EXACT_PEOPLE, EXACT_UNION_MEMBERS } from '../../core/reports/sketch.ts';
import type { ReportStore } from '../../core/ports.ts';

/**
 * Report aggregates in Redis, shared by every instance. Everything of one
 * scope (a block or a send) shares the hash tag `{report:<scope>}`, so one
 * cluster slot holds it and one script can union its sets:
 *
 *   {report:S}:c:<unit>:<bucket>          hash: cell␞measure → count (HINCRBYFLOAT)
 *   {report:S}:pi:<unit>:<bucket>         set: names of the bucket's people sets
 *   {report:S}:p:<unit>:<bucket>:<name>   set of people, exact up to EXACT_PEOPLE members
 *   {report:S}:p:<unit>:<bucket>:<name>:h HyperLogLog of the same people (all of them, always)
 *   {touch:<person>}:click | :open        hash: at, data (the latest touch)
 *   claim:<key>                           string, SET NX PX: an order counted once
 *   {gallery:<block>}                     sorted set: render → last seen (the newest GALLERY_SIZE kept)
 *   {gallery:<block>}:r:<render>          hash: decision, first, last, opens, clicks
 *
 * Every bucket key expires at the end of the retention period, counted from
 * the caller's `now`.
 */
export interface RedisReportsParts {
  prefix: string;
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
  transaction(commands: Array<Array<string | number>>): Promise<unknown[]>;
  run(script: 'addPeople' | 'countPeople' | 'keepLaterTouch' | 'addToGallery', keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown>;
  operation<T>(name: string, work: () => Promise<T>): Promise<T>;
}

const CHUNK = 500;
const MEASURE_SEP = '\u001e';

export const REPORT_SCRIPTS = {
  // The HLL always holds every member (cheap); the set only while it is exact.
  addPeople: `
local cap = tonumber(ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
for i = 4, #ARGV, ${CHUNK} do redis.call('PFADD', KEYS[2], unpack(ARGV, i, math.min(i + ${CHUNK - 1}, #ARGV))) end
if redis.call('SCARD', KEYS[1]) <= cap then
  for i = 4, #ARGV, ${CHUNK} do redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + ${CHUNK - 1}, #ARGV))) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`,
  // KEYS: (set, its HLL) pairs. Exact while every set is and the union is small; else the HLLs' union.
  // Read-only (PFCOUNT of several keys unions them without writing), so nothing goes to the append-only file.
  countPeople: `
local cap = tonumber(ARGV[1])
local full = false
local members = 0
for i = 1, #KEYS, 2 do
  local n = redis.call('SCARD', KEYS[i])
  members = members + n
  if n > cap then full = true break end
end
if members > tonumber(ARGV[2]) then full = true end
if not full then
  local seen = {}
  local n = 0
  for i = 1, #KEYS, ${CHUNK * 2} do
    local sets = {}
    for j = i, math.min(i + ${CHUNK * 2 - 1}, #KEYS), 2 do sets[#sets + 1] = KEYS[j] end
    for _, m in ipairs(redis.call('SUNION', unpack(sets))) do
      if not seen[m] then seen[m] = true n = n + 1 end
    end
  end
  return n
end
local hlls = {}
for i = 2, #KEYS, 2 do hlls[#hlls + 1] = KEYS[i] end
return redis.call('PFCOUNT', unpack(hlls))`,
  keepLaterTouch: `
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '-1')
if at > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'data', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`,
  // KEYS: the gallery's index, the entry. ARGV: render, at, opens, clicks, decision ('' for a click), size, ttl, entry key prefix, oldest kept.
  // A click on a render not kept adds nothing; past the size, the renders seen longest ago go, and those last seen before retention.
  addToGallery: `
if ARGV[5] == '' and redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local at = tonumber(ARGV[2])
local first = tonumber(redis.call('HGET', KEYS[2], 'first') or ARGV[2])
local last = tonumber(redis.call('HGET', KEYS[2], 'last') or ARGV[2])
if at < first then first = at end
if at > last then last = at end
redis.call('HSET', KEYS[2], 'first', first, 'last', last)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'decision', ARGV[5]) end
redis.call('HINCRBY', KEYS[2], 'opens', ARGV[3])
redis.call('HINCRBY', KEYS[2], 'clicks', ARGV[4])
redis.call('ZADD', KEYS[1], last, ARGV[1])
for _, old in ipairs({ redis.call('ZRANGE', KEYS[1], 0, -(tonumber(ARGV[6]) + 1)), redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[9]) }) do
  for _, render in ipairs(old) do redis.call('DEL', ARGV[8] .. render) end
  if #old > 0 then redis.call('ZREM', KEYS[1], unpack(old)) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return 1`,
} as const;

export function redisReports(parts: RedisReportsParts): ReportStore {
  const { prefix, call, transaction, run, operation } = parts;
  const tag = (scope: string) => `${prefix}{report:${scope}}`;
  const countsKey = (scope: string, unit: string, bucket: number) => `${tag(scope)}:c:${unit}:${bucket}`;
  const indexKey = (scope: string, unit: string, bucket: number) => `${tag(scope)}:pi:${unit}:${bucket}`;
  const setKey = (scope: string, unit: string, bucket: number, name: string) => `${tag(scope)}:p:${unit}:${bucket}:${name}`;
  const touchKey = (person: string, kind: 'click' | 'open') => `${prefix}{touch:${person}}:${kind}`;
  const galleryKey = (block: string) => `${prefix}{gallery:${block}}`;

  return {
    addToReports: (batch, now) =>
      operation('addToReports', async () => {
        // Relative to the caller's clock, so a bucket lives as long as `now` says it has left.
        const ttl = (bucket: number) => bucket + batch.retentionMs - now;
        const byScope = new Map<string, { commands: Array<Array<string | number>>; ttls: Map<string, number> }>();
        for (const c of batch.counts) {
          if (ttl(c.bucket) <= 0) continue; // already past retention
          const key = countsKey(c.scope, c.unit, c.bucket);
          const scope = byScope.get(c.scope) ?? { commands: [], ttls: new Map<string, number>() };
          scope.commands.push(['hincrbyfloat', key, `${c.cell}${MEASURE_SEP}${c.measure}`, c.value]);
          scope.ttls.set(key, ttl(c.bucket));
          byScope.set(c.scope, scope);
        }
        await Promise.all([...byScope.values()].map(({ commands, ttls }) => transaction([...commands, ...[...ttls].map(([key, ms]) => ['pexpire', key, ms])])));
        await Promise.all(
          batch.people
            .filter((p) => ttl(p.bucket) > 0)
            .map((p) => {
              const key = setKey(p.scope, p.unit, p.bucket, p.set);
              return run('addPeople', [key, `${key}:h`, indexKey(p.scope, p.unit, p.bucket)], [EXACT_PEOPLE, ttl(p.bucket), p.set, ...p.members]);
            }),
        );
        await Promise.all(
          batch.touches.flatMap(({ person, touches }) =>
            (['click', 'open'] as const).flatMap((kind) => {
              const touch = touches[kind];
              return touch ? [run('keepLaterTouch', [touchKey(person, kind)], [touch.at, JSON.stringify(touch), Math.max(1000, touch.at + TOUCH_TTL_MS - now)])] : [];
            }),
          ),
        );
        // One at a time, in order: an entry's open comes before its clicks.
        for (const add of batch.gallery ?? []) {
          const index = galleryKey(add.block);
          await run(
            'addToGallery',
            [index, `${index}:r:${add.render}`],
            [add.render, add.at, add.opens, add.clicks, add.decision ?? '', GALLERY_SIZE, batch.retentionMs, `${index}:r:`, now - batch.retentionMs],
          );
        }
      }),

    readReportCounts: (scope, unit, from, to) =>
      operation('readReportCounts', async () => {
        const buckets = bucketsBetween(from, to, unit).filter((b) => b >= from);
        const hashes = await Promise.all(buckets.map((bucket) => call('hgetall', countsKey(scope, unit, bucket))));
        const rows: ReportCount[] = [];
        hashes.forEach((reply, i) => {
          const bucket = buckets[i] as number;
          for (const [field, value] of Object.entries(hashOf(reply))) {
            const at = field.lastIndexOf(MEASURE_SEP);
            rows.push({ scope, unit, bucket, cell: field.slice(0, at), measure: field.slice(at + 1), value: Number(value) });
          }
        });
        return rows;
      }),

    countReportPeople: (scope, unit, queries) =>
      operation('countReportPeople', async () => {
        const buckets = [...new Set(queries.flatMap((q) => q.buckets))];
        const names = await Promise.all(buckets.map((bucket) => call('smembers', indexKey(scope, unit, bucket)) as Promise<string[]>));
        const namesOf = new Map(buckets.map((bucket, i) => [bucket, names[i] ?? []]));
        return Promise.all(
          queries.map(async (query) => {
            const keys: string[] = [];
            for (const bucket of query.buckets) {
              for (const name of namesOf.get(bucket) ?? []) {
                if (!peopleMatch(query, name)) continue;
                const key = setKey(scope, unit, bucket, name);
                keys.push(key, `${key}:h`);
              }
            }
            if (keys.length === 0) return 0;
            return Number(await run('countPeople', keys, [EXACT_PEOPLE, EXACT_UNION_MEMBERS]));
          }),
        );
      }),

    getTouches: (person, now) =>
      operation('getTouches', async () => {
        const [click, open] = (await Promise.all([call('hget', touchKey(person, 'click'), 'data'), call('hget', touchKey(person, 'open'), 'data')])) as Array<string | null>;
        const live = (data: string | null | undefined): Touch | undefined => {
          const touch = data ? (JSON.parse(data) as Touch) : undefined;
          return touch && touch.at + TOUCH_TTL_MS > now ? touch : undefined;
        };
        const touches: Touches = {};
        const c = live(click);
        const o = live(open);
        if (c) touches.click = c;
        if (o) touches.open = o;
        return c || o ? touches : undefined;
      }),

    readGallery: (block) =>
      operation('readGallery', async () => {
        const index = galleryKey(block);
        const renders = (await call('zrevrange', index, 0, GALLERY_SIZE - 1)) as string[];
        const hashes = await Promise.all(renders.map((render) => call('hgetall', `${index}:r:${render}`)));
        const rows: GalleryRow[] = [];
        renders.forEach((render, i) => {
          const hash = hashOf(hashes[i]);
          if (hash.decision === undefined) return; // expired meanwhile
          rows.push({
            render,
            decision: hash.decision,
            firstSeen: Number(hash.first),
            lastSeen: Number(hash.last),
            opens: Number(hash.opens ?? 0),
            clicks: Number(hash.clicks ?? 0),
          });
        });
        return newestRenders(rows);
      }),

    claimOnce: (key, _now, ttlSeconds) =>
      operation('claimOnce', async () => (await call('set', `${prefix}claim:${key}`, '1', 'PX', Math.max(1, ttlSeconds * 1000), 'NX')) === 'OK'),
  };
}

/** HGETALL answers [field, value, …], or a map under RESP3. */
function hashOf(reply: unknown): Record<string, string> {
  if (Array.isArray(reply)) {
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
    return hash;
  }
  return (reply ?? {}) as Record<string, string>;
}
