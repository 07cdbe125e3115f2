import { GALLERY_SIZE, TOUCH_TTL_MS, mergeTouches, newestRenders, peopleMatch, withGalleryAdd, type GalleryRow, type ReportCount, type Touches } from '../../core/reports/cells.ts';
import { addPeople, countUnion, emptySketch, type Sketch } from '../../core/reports/sketch.ts';
import type { ReportStore } from '../../core/ports.ts';

/** Report aggregates in this process's memory (the memory store's ReportStore). */
export function memoryReports(check: () => void = () => undefined): ReportStore {
  /** "scope|unit|bucket" → cell → measure → value */
  const counts = new Map<string, Map<string, Map<string, number>>>();
  /** "scope|unit|bucket" → set name → sketch */
  const people = new Map<string, Map<string, Sketch>>();
  const touches = new Map<string, Touches>();
  const claims = new Map<string, number>();
  /** block → render → entry */
  const galleries = new Map<string, Map<string, GalleryRow>>();
  const bucketKey = (scope: string, unit: string, bucket: number) => `${scope}|${unit}|${bucket}`;
  const bucketOfKey = (key: string) => Number(key.slice(key.lastIndexOf('|') + 1));

  const sweep = (before: number, now: number) => {
    for (const renders of galleries.values()) for (const [render, row] of renders) if (row.lastSeen < before) renders.delete(render);
    for (const key of counts.keys()) if (bucketOfKey(key) < before) counts.delete(key);
    for (const key of people.keys()) if (bucketOfKey(key) < before) people.delete(key);
    for (const [key, at] of claims) if (at <= now) claims.delete(key);
    for (const [person, t] of touches) if (Math.max(t.click?.at ?? 0, t.open?.at ?? 0) + TOUCH_TTL_MS <= now) touches.delete(person);
  };

  return {
    async addToReports(batch, now) {
      check();
      for (const c of batch.counts) {
        const key = bucketKey(c.scope, c.unit, c.bucket);
        const cells = counts.get(key) ?? new Map<string, Map<string, number>>();
        const measures = cells.get(c.cell) ?? new Map<string, number>();
        measures.set(c.measure, (measures.get(c.measure) ?? 0) + c.value);
        cells.set(c.cell, measures);
        counts.set(key, cells);
      }
      for (const p of batch.people) {
        const key = bucketKey(p.scope, p.unit, p.bucket);
        const sets = people.get(key) ?? new Map<string, Sketch>();
        sets.set(p.set, addPeople(sets.get(p.set) ?? emptySketch(), p.members));
        people.set(key, sets);
      }
      for (const t of batch.touches) touches.set(t.person, mergeTouches(touches.get(t.person), t.touches));
      for (const add of batch.gallery ?? []) {
        const renders = galleries.get(add.block) ?? new Map<string, GalleryRow>();
        const row = withGalleryAdd(renders.get(add.render), add);
        if (!row) continue;
        renders.set(add.render, row);
        if (renders.size > GALLERY_SIZE) {
          const kept = new Set(newestRenders([...renders.values()]).map((r) => r.render));
          for (const render of renders.keys()) if (!kept.has(render)) renders.delete(render);
        }
        galleries.set(add.block, renders);
      }
      sweep(now - batch.retentionMs, now);
    },

    async readReportCounts(scope, unit, from, to) {
      check();
      const rows: ReportCount[] = [];
      for (const [key, cells] of counts) {
        if (!key.startsWith(`${scope}|${unit}|`)) continue;
        const bucket = bucketOfKey(key);
        if (bucket < from || bucket > to) continue;
        for (const [cell, measures] of cells) for (const [measure, value] of measures) rows.push({ scope, unit, bucket, cell, measure, value });
      }
      return rows;
    },

    async countReportPeople(scope, unit, queries) {
      check();
      return queries.map((query) => {
        const sketches: Sketch[] = [];
        for (const bucket of query.buckets) {
          for (const [set, sketch] of people.get(bucketKey(scope, unit, bucket)) ?? []) if (peopleMatch(query, set)) sketches.push(sketch);
        }
        return countUnion(sketches);
      });
    },

    async getTouches(person, now) {
      check();
      const t = touches.get(person);
      if (!t) return undefined;
      const live = (touch: Touches['click']) => (touch && touch.at + TOUCH_TTL_MS > now ? touch : undefined);
      const click = live(t.click);
      const open = live(t.open);
      return click || open ? { ...(click ? { click } : {}), ...(open ? { open } : {}) } : undefined;
    },

    async readGallery(block) {
      check();
      return newestRenders([...(galleries.get(block)?.values() ?? [])].map((row) => ({ ...row })));
    },

    async claimOnce(key, now, ttlSeconds) {
      check();
      const until = claims.get(key);
      if (until !== undefined && until > now) return false;
      claims.set(key, now + ttlSeconds * 1000);
      return true;
    },
  };
}
